"""Reading AWS error responses: the views branch on the error code of a botocore `ClientError`."""

from __future__ import annotations

from botocore.exceptions import ClientError


def error_code(err: ClientError) -> str:
    """The `Error.Code` of a failed AWS call (e.g. "NoSuchBucket"), or "" when the response carries none."""
    return str(err.response.get("Error", {}).get("Code", ""))
