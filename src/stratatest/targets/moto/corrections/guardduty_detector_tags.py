"""Correction: GuardDuty TagResource, UntagResource and ListTagsForResource on a detector's ARN.

Gap (moto 5.2.5): GuardDuty has no tag actions and no `/tags/{resourceArn}` route, so TagResource answers a 404
HTML page. A detector created with tags keeps them, but the aws provider changes them with
TagResource/UntagResource, so any tag change on `aws_guardduty_detector` fails with "invalid character '<'".

Fix: the route and the three actions, on the detector's own tags (which GetDetector reports). The provider builds
the detector ARN itself, `arn:<partition>:guardduty:<region>:<account>:detector/<id>`, and leaves the account
empty when it does not look the account up (as the suite's provider configuration does), so an empty account is
accepted as well as the caller's. An ARN of another account or Region, or of an unknown detector, is refused as
AWS refuses a detector the caller does not own; a malformed ARN is a BadRequestException. Not emulated: tags on
filters, IP sets and the other taggable GuardDuty resources (refused rather than ignored).
"""

from __future__ import annotations

import json
from typing import Any

from moto.guardduty import urls
from moto.guardduty.exceptions import DetectorNotFoundException, GuardDutyException
from moto.guardduty.models import Detector
from moto.guardduty.responses import GuardDutyResponse

ROUTE = "{0}/tags/(?P<resourceArn>.+)$"  # POST TagResource, DELETE UntagResource, GET ListTagsForResource


class InvalidResourceArnException(GuardDutyException):
    """GuardDuty's 400 for an ARN it cannot tag, in the shape of moto's other GuardDuty errors."""

    code = 400

    def __init__(self, arn: str, why: str) -> None:
        super().__init__("InvalidInputException", f"The request is rejected because the resourceArn {arn} {why}.")

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [("X-Amzn-ErrorType", "BadRequestException")]


def detector_id(arn: str, partition: str, region: str, account: str) -> str:
    """The detector id an ARN names in this partition, Region and account (or with no account at all)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "guardduty":
        raise InvalidResourceArnException(arn, "is not a GuardDuty ARN")
    resource = parts[5].split("/")
    if resource[0] != "detector" or len(resource) != 2 or not resource[1]:
        raise InvalidResourceArnException(arn, "is not a detector ARN (only detector tags are emulated)")
    if (parts[1], parts[3]) != (partition, region) or parts[4] not in ("", account):
        raise DetectorNotFoundException
    return resource[1]


def _detector(self: GuardDutyResponse) -> Detector:
    backend = self.guardduty_backend
    arn = self._get_param("resourceArn")
    return backend.get_detector(detector_id(arn, backend.partition, self.region, self.current_account))


def _tag_resource(self: GuardDutyResponse) -> tuple[int, dict[str, str], str]:
    _detector(self).tags.update(self._get_param("tags") or {})
    return 204, {}, ""


def _untag_resource(self: GuardDutyResponse) -> tuple[int, dict[str, str], str]:
    detector = _detector(self)
    for key in self.querystring.get("tagKeys", []):
        detector.tags.pop(key, None)
    return 204, {}, ""


def _list_tags_for_resource(self: GuardDutyResponse) -> str:
    return json.dumps({"tags": _detector(self).tags})


def apply() -> None:
    """Add the tags route and actions (idempotent)."""
    urls.url_paths.setdefault(ROUTE, GuardDutyResponse.dispatch)
    GuardDutyResponse.tag_resource = _tag_resource  # type: ignore[attr-defined]
    GuardDutyResponse.untag_resource = _untag_resource  # type: ignore[attr-defined]
    GuardDutyResponse.list_tags_for_resource = _list_tags_for_resource  # type: ignore[attr-defined]
