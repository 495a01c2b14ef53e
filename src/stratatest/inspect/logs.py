"""Read-only view of a CloudWatch Logs log group, one boto3 call per property read."""

from __future__ import annotations

from typing import Any

from stratatest.inspect.view import View


class LogGroupNotFound(LookupError):
    """Raised by every property but `exists` when the log group is not there."""


class LogGroup(View):
    """`aws.log_group(name)`: yes/no properties a test asserts on."""

    kind = "log_group"
    service = "logs"
    not_found = LogGroupNotFound

    @property
    def name(self) -> str:
        return self.ref

    def _fetch(self) -> dict[str, Any] | None:
        # DescribeLogGroups filters by prefix only: pick the exact name out of the answer.
        found = self._paginate("describe_log_groups", "logGroups", logGroupNamePrefix=self.name)
        return next((g for g in found if g["logGroupName"] == self.name), None)

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
        return dict(self._client.list_tags_log_group(logGroupName=self.name).get("tags", {}))
