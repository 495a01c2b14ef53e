"""Plan layer for terraform/modules/kms-key: the one place every platform key gets its rotation and policy.

The inventory and the bad inputs are cases in the stratatest.yaml beside the module.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratatest.terraform import inventory

pytestmark = pytest.mark.plan

MODULE = Path(__file__).resolve().parents[3] / "terraform" / "modules" / "kms-key"
INVENTORY = MODULE / "inventory" / "default.yaml"
VARIABLES = inventory.load(INVENTORY)["variables"]


@pytest.fixture(scope="module")
def plan(plan_of):
    return plan_of(MODULE, **VARIABLES)


@pytest.mark.control("STRATA-KMS-001")
def test_rotation_is_always_on(plan) -> None:
    key = plan["aws_kms_key.this"]
    assert key["enable_key_rotation"] is True
    assert key["rotation_period_in_days"] == VARIABLES["rotation_period_in_days"]


def test_policy_lets_the_account_administer_and_the_granted_service_use_the_key_under_its_condition(plan) -> None:
    statements = {s["Sid"]: s for s in json.loads(plan["aws_kms_key.this"]["policy"])["Statement"]}
    assert set(statements) == {"EnableRootAccountPermissions", "CloudWatchLogs"}
    root = statements["EnableRootAccountPermissions"]
    assert root["Principal"]["AWS"].endswith(":root")
    grant = statements["CloudWatchLogs"]
    assert grant["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert sorted(grant["Action"]) == sorted(VARIABLES["service_grants"][0]["actions"])
    condition = grant["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert condition == VARIABLES["service_grants"][0]["conditions"][0]["values"][0]
