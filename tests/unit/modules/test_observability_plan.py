"""Plan layer for terraform/modules/observability: log groups, the encrypted alarm topic, alarms; the inventory and
the bad inputs are cases in the stratatest.yaml beside the module."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratatest.inspect import policy as pol
from stratatest.terraform import inventory

pytestmark = pytest.mark.plan

MODULE = Path(__file__).resolve().parents[3] / "terraform" / "modules" / "observability"
INVENTORY = MODULE / "inventory" / "default.yaml"
VARIABLES = inventory.load(INVENTORY)["variables"]
NAME = VARIABLES["name"]
KEY = "module.kms_key.aws_kms_key.this"


@pytest.fixture(scope="module")
def plan(plan_of):
    return plan_of(MODULE, **VARIABLES)


@pytest.fixture(scope="module")
def plan_without_db_or_nodes(plan_of):
    return plan_of(MODULE, **{**VARIABLES, "db_instance_identifier": None, "node_group_names": {}, "log_groups": {}})


def _key_policy(plan) -> list[dict]:
    return pol.statements(plan[KEY]["policy"])


def _statement(statements: list[dict], service: str) -> dict:
    (found,) = [s for s in statements if s.get("Principal", {}).get("Service") == [service]]
    return found


def test_creates_only_and_nothing_else(plan) -> None:
    assert all(r.actions == ("create",) for r in plan.managed), plan.diff_text()


@pytest.mark.control("STRATA-LOGS-001")
def test_every_log_group_retained_a_year_and_encrypted_with_the_module_key(plan) -> None:
    groups = plan.of_type("aws_cloudwatch_log_group")
    assert sorted(g["name"] for g in groups) == sorted(VARIABLES["log_groups"].values())
    for group in groups:
        assert group["retention_in_days"] >= 365, group.address
        assert "module.kms_key.arn" in plan.references(group.address, "kms_key_id"), group.address


@pytest.mark.control("STRATA-LOGS-001")
def test_logs_may_use_the_key_for_these_log_groups_only(plan) -> None:
    logs = _statement(_key_policy(plan), "logs.us-east-1.amazonaws.com")
    arns = pol.condition_values(logs, "ArnEquals", "kms:EncryptionContext:aws:logs:arn")
    assert sorted(a.split(":log-group:")[1] for a in arns or []) == sorted(VARIABLES["log_groups"].values())
    assert not [a for a in logs["Action"] if a in ("*", "kms:*")]


@pytest.mark.control("STRATA-KMS-001")
def test_key_rotates(plan) -> None:
    key = plan[KEY]
    assert key["enable_key_rotation"] is True
    assert 90 <= key["rotation_period_in_days"] <= 365


@pytest.mark.control("STRATA-OBS-001")
def test_topic_encrypted_with_the_module_key(plan) -> None:
    topic = plan["aws_sns_topic.alarms"]
    assert topic["name"] == f"{NAME}-alarms"
    assert "module.kms_key.arn" in plan.references(topic.address, "kms_master_key_id")


@pytest.mark.control("STRATA-OBS-001")
def test_cloudwatch_may_use_the_key_for_this_accounts_alarms_only(plan) -> None:
    cloudwatch = _statement(_key_policy(plan), "cloudwatch.amazonaws.com")
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert pol.condition_values(cloudwatch, "StringEquals", "aws:SourceAccount") is not None
    (pattern,) = pol.condition_values(cloudwatch, "ArnLike", "aws:SourceArn") or []
    assert pattern.startswith("arn:aws:cloudwatch:us-east-1:") and pattern.endswith(f":alarm:{NAME}-*")


@pytest.mark.control("STRATA-OBS-001")
def test_topic_policy_lets_only_this_accounts_alarms_publish(plan) -> None:
    doc = plan["data.aws_iam_policy_document.topic"]
    (statement,) = doc["statement"]
    assert statement["effect"] == "Allow"
    assert statement["actions"] == ["sns:Publish"]
    assert statement["principals"] == [{"type": "Service", "identifiers": ["cloudwatch.amazonaws.com"]}]
    conditions = {(c["test"], c["variable"]) for c in statement["condition"]}
    assert conditions == {("StringEquals", "aws:SourceAccount"), ("ArnLike", "aws:SourceArn")}
    assert "aws_sns_topic.alarms" in plan.references(doc.address, "statement.resources")
    assert "data.aws_iam_policy_document.topic" in plan.references("aws_sns_topic_policy.alarms", "policy")
    assert "aws_sns_topic.alarms" in plan.references("aws_sns_topic_policy.alarms", "arn")


@pytest.mark.control("STRATA-OBS-001")
def test_database_alarms(plan) -> None:
    alarms = {a["metric_name"]: a for a in plan.of_type("aws_cloudwatch_metric_alarm") if a["namespace"] == "AWS/RDS"}
    assert set(alarms) == {"CPUUtilization", "FreeStorageSpace", "DatabaseConnections"}
    for alarm in alarms.values():
        assert alarm["dimensions"] == {"DBInstanceIdentifier": VARIABLES["db_instance_identifier"]}
    assert (alarms["CPUUtilization"]["comparison_operator"], alarms["CPUUtilization"]["threshold"]) == (
        "GreaterThanThreshold",
        80,
    )
    assert (alarms["FreeStorageSpace"]["comparison_operator"], alarms["FreeStorageSpace"]["threshold"]) == (
        "LessThanThreshold",
        5 * 1024**3,
    )
    assert alarms["DatabaseConnections"]["threshold"] == 200
    # Silence from the database pages through the storage alarm only.
    assert alarms["FreeStorageSpace"]["treat_missing_data"] == "breaching"
    assert alarms["CPUUtilization"]["treat_missing_data"] == "notBreaching"


@pytest.mark.control("STRATA-OBS-001")
def test_node_group_alarms_watch_each_groups_auto_scaling_group(plan) -> None:
    alarms = [a for a in plan.of_type("aws_cloudwatch_metric_alarm") if a["namespace"] == "AWS/EC2"]
    expected = {
        f"{NAME}-ng-{k}-{m}" for k in VARIABLES["node_group_names"] for m in ("cpu-high", "status-check-failed")
    }
    assert {a["alarm_name"] for a in alarms} == expected
    assert {a["metric_name"] for a in alarms} == {"CPUUtilization", "StatusCheckFailed"}
    for alarm in alarms:
        # The Auto Scaling group's name is read from EKS at apply (the read waits for the topic), not planned.
        assert alarm.is_unknown("dimensions"), alarm.address
    lookups = [r for r in plan.resources.values() if r.type == "aws_eks_node_group" and r.mode == "data"]
    assert sorted(r["node_group_name"] for r in lookups) == sorted(VARIABLES["node_group_names"].values())
    assert {r["cluster_name"] for r in lookups} == {VARIABLES["cluster_name"]}


@pytest.mark.control("STRATA-OBS-001")
def test_every_alarm_notifies_the_topic_on_alarm_and_recovery(plan) -> None:
    alarms = plan.of_type("aws_cloudwatch_metric_alarm")
    assert len(alarms) == 3 + 2 * len(VARIABLES["node_group_names"])
    for alarm in alarms:
        assert alarm["actions_enabled"] is True
        assert alarm["treat_missing_data"] in ("breaching", "notBreaching"), alarm.address
        assert alarm["evaluation_periods"] == alarm["datapoints_to_alarm"]
        for actions in ("alarm_actions", "ok_actions"):
            assert plan.references(alarm.address, actions) == ["aws_sns_topic.alarms", "aws_sns_topic.alarms.arn"]


def test_alarm_names_output_lists_every_alarm(plan) -> None:
    assert plan.output("alarm_names") == sorted(a["alarm_name"] for a in plan.of_type("aws_cloudwatch_metric_alarm"))


def test_no_database_no_node_groups_no_log_groups(plan_without_db_or_nodes) -> None:
    plan = plan_without_db_or_nodes
    assert plan.counts().get("aws_cloudwatch_metric_alarm", 0) == 0
    assert plan.counts().get("aws_cloudwatch_log_group", 0) == 0
    assert plan.output("alarm_names") == []
    (statement,) = [s for s in _key_policy(plan) if "Service" in s.get("Principal", {})]
    assert statement["Principal"]["Service"] == ["cloudwatch.amazonaws.com"]  # no logs grant without groups
    assert plan.one("aws_sns_topic")["name"] == f"{NAME}-alarms"


def test_every_resource_tagged(plan) -> None:
    taggable = [r for r in plan.managed if "tags" in r.values]
    assert {r.type for r in taggable} >= {"aws_cloudwatch_log_group", "aws_sns_topic", "aws_cloudwatch_metric_alarm"}
    for resource in taggable:
        assert resource["tags"].items() >= VARIABLES["tags"].items(), resource.address
