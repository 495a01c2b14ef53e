"""Correction: DescribeTrails answers only the trails its `trailNameList` names.

Gap (moto 5.2.5): DescribeTrails ignores `trailNameList` and answers every trail the Region can see, shadow trails
of multi-region trails included. The aws provider reads an `aws_cloudtrail` by DescribeTrails with the trail's ARN
and refuses an answer of more than one ("too many results: wanted 1, got 2"), so once a second trail exists in the
emulator (two environments applied side by side, an upgrade beside another test) every apply and plan of a trail
fails.

Fix: the list filters the answer, by name or ARN, as AWS does; an empty list still answers every trail.
"""

from __future__ import annotations

import json

from moto.cloudtrail.responses import CloudTrailResponse


def _describe_trails(self: CloudTrailResponse) -> str:
    include_shadow_trails = self._get_bool_param("includeShadowTrails", True)
    named = set(self._get_param("trailNameList") or [])
    trails = self.cloudtrail_backend.describe_trails(include_shadow_trails)
    if named:
        trails = [t for t in trails if t.trail_name in named or t.arn in named]
    return json.dumps({"trailList": [t.description(include_region=True) for t in trails]})


def apply() -> None:
    """Replace DescribeTrails (idempotent)."""
    CloudTrailResponse.describe_trails = _describe_trails  # type: ignore[method-assign]
