"""Read-only view of a CloudWatch Logs log group, one boto3 call per property read."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stratatest.inspect.aws import ClientSource


class LogGroupNotFound(LookupError):
    """Raised by every property but `exists` when the log group is not there."""


class LogGroup:
    """`aws.log_group(name)`: yes/no properties a test asserts on."""

    def __init__(self, clients: ClientSource, name: str) -> None:
        self._clients = clients
        self.name = name

    def __repr__(self) -> str:
        return f"<log_group name={self.name}>"

    @cached_property
    def _logs(self) -> Any:
        return self._clients.client("logs")

    def _find(self) -> dict[str, Any] | None:
        # DescribeLogGroups filters by prefix only: pick the exact name out of the answer.
        pages = self._logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=self.name)
        return next((g for page in pages for g in page.get("logGroups", []) if g["logGroupName"] == self.name), None)

    def _describe(self) -> dict[str, Any]:
        group = self._find()
        if group is None:
            raise LogGroupNotFound(f"log group {self.name} does not exist")
        return group

    @property
    def exists(self) -> bool:
        return self._find() is not None

    @property
    def arn(self) -> str:
        """The group's ARN without the `:*` suffix DescribeLogGroups puts on `arn`."""
        group = self._describe()
        return str(group.get("logGroupArn") or group["arn"].removesuffix(":*"))

    @property
    def retention_days(self) -> int | None:
        """Days events are kept; None when they never expire."""
        return self._describe().get("retentionInDays")

    @property
    def kms_key_arn(self) -> str | None:
        return self._describe().get("kmsKeyId")

    @property
    def is_encrypted(self) -> bool:
        """Encrypted with a KMS key the account controls (without one, CloudWatch uses its own keys)."""
        return bool(self.kms_key_arn)

    @property
    def tags(self) -> dict[str, str]:
        self._describe()
        return dict(self._logs.list_tags_log_group(logGroupName=self.name).get("tags", {}))
