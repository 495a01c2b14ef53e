"""The idempotency check passes on an idempotent stack and, when it is not, fails showing the drift.

The drift is real, not staged: plain moto 5.2.5 loses the KMS rotation period (the gap the
`kms_rotation_period` correction fixes), so the same module drifts there and is idempotent on the corrected
server.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stratatest.targets.moto import MotoTarget
from stratatest.terraform.harness import Harness
from stratatest.terraform.stack import Stack
from stratatest.toolchain import toolchain

MODULE = Path(__file__).resolve().parent / "rotating_key"


def _applied(target: MotoTarget, tmp_path: Path) -> Stack:
    stack = Stack(Harness(toolchain(), target, "idem", tmp_path), MODULE)
    stack.apply()
    return stack


def test_drift_fails_with_the_diff(start_moto: Callable[..., MotoTarget], tmp_path: Path) -> None:
    stack = _applied(start_moto(corrections="none"), tmp_path)
    try:
        with pytest.raises(AssertionError) as failure:
            stack.assert_idempotent()
    finally:
        stack.destroy()
    message = str(failure.value)
    assert "rotating_key is not idempotent: the plan after apply wants 1 change(s)" in message
    assert "aws_kms_key.this: update" in message
    assert "rotation_period_in_days: null -> 180" in message or "rotation_period_in_days: 0 -> 180" in message


def test_idempotent_stack_passes(start_moto: Callable[..., MotoTarget], tmp_path: Path) -> None:
    stack = _applied(start_moto(corrections="all"), tmp_path)
    try:
        stack.assert_idempotent()
    finally:
        stack.destroy()
