"""Read-only view of a KMS key, one boto3 call per property read.

A key may be named by key id, key ARN, `alias/<name>` or alias ARN. DescribeKey accepts all four; the
rotation, alias and tag APIs accept only a key id or ARN, so those resolve the key id first.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from stratatest.inspect.errors import error_code

if TYPE_CHECKING:
    from stratatest.inspect.aws import ClientSource

_PENDING_DELETION = {"PendingDeletion", "PendingReplicaDeletion"}


class KMSKey:
    """`aws.kms_key(id_or_arn_or_alias)`: yes/no properties a test asserts on."""

    def __init__(self, clients: ClientSource, key: str) -> None:
        self._clients = clients
        self.key = key

    def __repr__(self) -> str:
        return f"<kms_key id={self.key}>"

    @cached_property
    def _kms(self) -> Any:
        return self._clients.client("kms")

    def _metadata(self) -> dict[str, Any]:
        return self._kms.describe_key(KeyId=self.key)["KeyMetadata"]

    @property
    def exists(self) -> bool:
        """The key (or the alias's target) exists, in any state including pending deletion."""
        try:
            self._metadata()
        except ClientError as err:
            if error_code(err) == "NotFoundException":
                return False
            raise
        return True

    @property
    def key_id(self) -> str:
        return self._metadata()["KeyId"]

    @property
    def arn(self) -> str:
        return self._metadata()["Arn"]

    @property
    def state(self) -> str:
        """KeyState: `Enabled`, `Disabled`, `PendingDeletion`, `PendingImport`, ..."""
        return self._metadata()["KeyState"]

    @property
    def is_enabled(self) -> bool:
        return self.state == "Enabled"

    @property
    def pending_deletion(self) -> bool:
        return self.state in _PENDING_DELETION

    @property
    def key_manager(self) -> str:
        """`CUSTOMER` or `AWS` (an AWS managed key such as aws/s3)."""
        return self._metadata()["KeyManager"]

    def _rotation(self) -> dict[str, Any]:
        try:
            return self._kms.get_key_rotation_status(KeyId=self.key_id)
        except ClientError as err:
            if error_code(err) == "UnsupportedOperationException":  # asymmetric, HMAC, imported: cannot rotate
                return {}
            raise

    @property
    def rotation_enabled(self) -> bool:
        return bool(self._rotation().get("KeyRotationEnabled", False))

    @property
    def rotation_period_days(self) -> int | None:
        """RotationPeriodInDays; None when rotation is off or the target does not report it."""
        return self._rotation().get("RotationPeriodInDays")

    @property
    def aliases(self) -> list[str]:
        """Alias names (`alias/...`) that point at the key, sorted."""
        pages = self._kms.get_paginator("list_aliases").paginate(KeyId=self.key_id)
        return sorted(a["AliasName"] for page in pages for a in page.get("Aliases", []))

    @property
    def tags(self) -> dict[str, str]:
        pages = self._kms.get_paginator("list_resource_tags").paginate(KeyId=self.key_id)
        return {t["TagKey"]: t["TagValue"] for page in pages for t in page.get("Tags", [])}
