"""Read-only view of a GuardDuty detector, one boto3 call per property read."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from stratatest.inspect.errors import error_code
from stratatest.inspect.view import View


class DetectorNotFound(LookupError):
    """Raised by every property but `exists` when the detector is not there."""


class GuardDutyDetector(View):
    """`aws.guardduty_detector(detector_id)`: yes/no properties a test asserts on."""

    kind = "guardduty_detector"
    service = "guardduty"
    not_found = DetectorNotFound

    def _fetch(self) -> dict[str, Any]:
        return self._client.get_detector(DetectorId=self.ref)

    def _is_missing(self, err: ClientError) -> bool:
        # GuardDuty answers an unknown detector id with a generic BadRequestException naming the detectorId.
        return error_code(err) == "BadRequestException" and "detectorId" in str(err.response.get("Error", {}))

    @property
    def is_enabled(self) -> bool:
        return self._describe()["Status"] == "ENABLED"

    @property
    def finding_publishing_frequency(self) -> str:
        return str(self._describe().get("FindingPublishingFrequency", ""))

    @property
    def features(self) -> dict[str, str]:
        """Status (`ENABLED`/`DISABLED`) of each protection feature, e.g. `{"EKS_AUDIT_LOGS": "ENABLED"}`."""
        return {f["Name"]: f["Status"] for f in self._describe().get("Features", [])}

    def feature_configuration(self, name: str) -> dict[str, str]:
        """Status of each additional configuration of feature `name` (e.g. `EKS_ADDON_MANAGEMENT`); {} if none."""
        feature = next((f for f in self._describe().get("Features", []) if f["Name"] == name), {})
        return {c["Name"]: c["Status"] for c in feature.get("AdditionalConfiguration", [])}

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._describe().get("Tags", {}))
