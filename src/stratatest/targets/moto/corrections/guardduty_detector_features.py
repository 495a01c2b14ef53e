"""Correction: UpdateDetector changes the features it names and keeps the others, as AWS does.

Gap (moto 5.2.5): `Detector.update` replaces the detector's whole feature list with the request's. Each
`aws_guardduty_detector_feature` sends only its own feature, so of two such resources the second apply erases the
first, and the plan after apply wants to create it again: the configuration is never idempotent.

Fix: the request's features are merged into the stored ones by name, and so is each named feature's
`additionalConfiguration` (GuardDuty's REST API spells the members in camel case: name, status,
additionalConfiguration). A feature or additional configuration the request does not name keeps its status.
"""

from __future__ import annotations

from typing import Any

from moto.guardduty.models import Detector


def merge_by_name(current: list[dict[str, Any]], changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored items updated by the request's items of the same name, new names appended in request order."""
    merged = {item["name"]: dict(item) for item in current}
    for change in changes:
        before = merged.get(change["name"], {})
        item = {**before, **change}
        if "additionalConfiguration" in change:
            item["additionalConfiguration"] = merge_by_name(
                before.get("additionalConfiguration", []), change["additionalConfiguration"]
            )
        merged[change["name"]] = item
    return list(merged.values())


def _update(
    self: Detector,
    enable: bool | None,
    finding_publishing_frequency: str | None,
    data_sources: dict[str, Any] | None,
    features: list[dict[str, Any]] | None,
) -> None:
    merged = None if features is None else merge_by_name(self.features, features)
    _ORIGINAL["update"](self, enable, finding_publishing_frequency, data_sources, merged)


_ORIGINAL: dict[str, Any] = {}


def apply() -> None:
    """Patch Detector.update (idempotent)."""
    if _ORIGINAL:
        return
    _ORIGINAL["update"] = Detector.update
    Detector.update = _update  # type: ignore[method-assign]
