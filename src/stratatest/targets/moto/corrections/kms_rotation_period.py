"""Correction: keep a KMS key's rotation period and report it, as AWS does.

Gap (moto 5.2.5): `EnableKeyRotation` ignores `RotationPeriodInDays` and `GetKeyRotationStatus` answers only
`KeyRotationEnabled`. The aws provider reads `rotation_period_in_days` from GetKeyRotationStatus, so an
`aws_kms_key` with rotation enabled shows drift (`0 -> N`) on every plan and never becomes idempotent.

Fix: EnableKeyRotation validates the period like AWS (90..2560 days, default 365 when omitted) and stores it
on the key; GetKeyRotationStatus returns `KeyId`, and while rotation is enabled `RotationPeriodInDays` and
`NextRotationDate`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from moto.kms.exceptions import ValidationException
from moto.kms.responses import KmsResponse

DEFAULT_PERIOD_DAYS = 365
MIN_PERIOD_DAYS, MAX_PERIOD_DAYS = 90, 2560


def _key(response: KmsResponse, key_id: str) -> Any:
    return response.kms_backend.describe_key(key_id)


def _enable_key_rotation(self: KmsResponse) -> str:
    period = self._get_param("RotationPeriodInDays")
    if period is None:
        period = DEFAULT_PERIOD_DAYS
    if not isinstance(period, int) or not MIN_PERIOD_DAYS <= period <= MAX_PERIOD_DAYS:
        raise ValidationException(
            f"1 validation error detected: Value '{period}' at 'rotationPeriodInDays' failed to satisfy "
            f"constraint: Member must have value between {MIN_PERIOD_DAYS} and {MAX_PERIOD_DAYS}"
        )
    result = _ORIGINAL["enable"](self)  # validates the key id and enables rotation
    key = _key(self, self._get_param("KeyId"))
    key.stratatest_rotation_period_days = period
    key.stratatest_rotation_enabled_at = time.time()
    return result


def _get_key_rotation_status(self: KmsResponse) -> str:
    body = json.loads(_ORIGINAL["status"](self))  # validates the key id
    key = _key(self, self._get_param("KeyId"))
    body["KeyId"] = key.arn
    if body.get("KeyRotationEnabled"):
        period = getattr(key, "stratatest_rotation_period_days", DEFAULT_PERIOD_DAYS)
        enabled_at = getattr(key, "stratatest_rotation_enabled_at", key.creation_date)
        body["RotationPeriodInDays"] = period
        body["NextRotationDate"] = enabled_at + period * 86400
    return json.dumps(body)


_ORIGINAL: dict[str, Any] = {}


def apply() -> None:
    """Patch KmsResponse's two rotation actions (idempotent)."""
    if _ORIGINAL:
        return
    _ORIGINAL["enable"] = KmsResponse.enable_key_rotation
    _ORIGINAL["status"] = KmsResponse.get_key_rotation_status
    KmsResponse.enable_key_rotation = _enable_key_rotation  # type: ignore[method-assign]
    KmsResponse.get_key_rotation_status = _get_key_rotation_status  # type: ignore[method-assign]
