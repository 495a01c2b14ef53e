"""Read-only view of a CloudTrail trail and its logging status, one boto3 call per property read."""

from __future__ import annotations

from typing import Any

from stratatest.inspect.view import View, tag_map


class TrailNotFound(LookupError):
    """Raised by every property but `exists` when the trail is not there."""


class CloudTrail(View):
    """`aws.cloudtrail(name_or_arn)`: yes/no properties a test asserts on."""

    kind = "cloudtrail"
    service = "cloudtrail"
    missing_codes = frozenset({"TrailNotFoundException"})
    not_found = TrailNotFound

    def _fetch(self) -> dict[str, Any]:
        return self._client.get_trail(Name=self.ref)["Trail"]

    @property
    def arn(self) -> str:
        return self._describe()["TrailARN"]

    @property
    def is_multi_region(self) -> bool:
        return bool(self._describe().get("IsMultiRegionTrail"))

    @property
    def includes_global_service_events(self) -> bool:
        """Events of global services (IAM, STS, CloudFront) are recorded."""
        return bool(self._describe().get("IncludeGlobalServiceEvents"))

    @property
    def validates_log_files(self) -> bool:
        """A signed digest file is delivered with the logs, so tampering with them can be detected."""
        return bool(self._describe().get("LogFileValidationEnabled"))

    @property
    def kms_key_arn(self) -> str | None:
        """The KMS key the log files are encrypted with; None when they are only SSE-S3 encrypted."""
        return self._describe().get("KmsKeyId")

    @property
    def bucket_name(self) -> str:
        return self._describe()["S3BucketName"]

    @property
    def is_logging(self) -> bool:
        """The trail is recording now (a trail can exist with logging stopped)."""
        self._describe()
        return bool(self._client.get_trail_status(Name=self.ref).get("IsLogging"))

    @property
    def tags(self) -> dict[str, str]:
        found = self._paginate("list_tags", "ResourceTagList", ResourceIdList=[self.arn])
        return tag_map(t for item in found for t in item.get("TagsList", []))
