"""Emulator layer for terraform/modules/observability: apply, read log groups, topic and alarms back, destroy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratatest.inspect import policy as pol

pytestmark = pytest.mark.apply

MODULE = Path(__file__).resolve().parents[3] / "terraform" / "modules" / "observability"
SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]


@pytest.fixture(scope="module")
def node_group(aws, unique_name, needs_services):
    """An EKS cluster with one managed node group for the alarms to watch; removed after the stack is destroyed."""
    needs_services("eks")  # made here with boto3, not by the stack, so the stack's own check would come too late
    eks = aws.client("eks")
    cluster, group = unique_name("obs-eks"), "general"
    role = "arn:aws:iam::123456789012:role/eks"
    eks.create_cluster(name=cluster, roleArn=role, resourcesVpcConfig={"subnetIds": SUBNETS})
    eks.create_nodegroup(clusterName=cluster, nodegroupName=group, subnets=SUBNETS, nodeRole=role)
    asg = eks.describe_nodegroup(clusterName=cluster, nodegroupName=group)["nodegroup"]["resources"]
    yield {"cluster": cluster, "name": group, "asg": asg["autoScalingGroups"][0]["name"]}
    eks.delete_nodegroup(clusterName=cluster, nodegroupName=group)
    eks.delete_cluster(name=cluster)


@pytest.fixture(scope="module")
def observability(node_group, stacks, unique_name):
    """Requests node_group first, so the node group outlives the stack (destroy refreshes the lookup)."""
    name = unique_name("obs")
    log_groups = {"application": f"/aws/eks/{name}/application", "host": f"/aws/eks/{name}/host"}
    stack = stacks(
        MODULE,
        name=name,
        log_groups=log_groups,
        cluster_name=node_group["cluster"],
        node_group_names={"general": node_group["name"]},
        db_instance_identifier=f"{name}-db",
        kms_deletion_window_in_days=7,
        tags={"owner": "platform"},
    )
    return stack, {**stack.outputs(), "name": name, "log_groups": log_groups}


@pytest.mark.control("STRATA-LOGS-001")
def test_log_groups_retained_and_encrypted(observability, aws) -> None:
    out = observability[1]
    assert out["log_group_names"] == out["log_groups"]
    for key, name in out["log_group_names"].items():
        group = aws.log_group(name)
        assert group.exists
        assert group.retention_days == 365
        assert group.kms_key_arn == out["kms_key_arn"]
        assert group.arn == out["log_group_arns"][key]


@pytest.mark.control("STRATA-KMS-001")
def test_key_rotates(observability, aws) -> None:
    key = aws.kms_key(observability[1]["kms_key_arn"])
    assert key.exists and key.is_enabled
    assert key.rotation_enabled
    assert key.rotation_period_days == 365


@pytest.mark.control("STRATA-OBS-001")
def test_topic_encrypted_and_only_this_accounts_alarms_publish(observability, aws) -> None:
    out = observability[1]
    topic = aws.sns_topic(out["alarm_topic_arn"])
    assert topic.exists
    assert topic.is_encrypted
    assert topic.kms_key_id == out["kms_key_arn"]
    (statement,) = pol.statements(topic.policy)
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": ["cloudwatch.amazonaws.com"]}
    assert statement["Action"] == ["sns:Publish"]
    assert statement["Resource"] == [out["alarm_topic_arn"]]
    account = out["alarm_topic_arn"].split(":")[4]
    assert pol.condition_values(statement, "StringEquals", "aws:SourceAccount") == [account]
    (pattern,) = pol.condition_values(statement, "ArnLike", "aws:SourceArn") or []
    assert all(pol.covers(pattern, aws.alarm(n).arn) for n in out["alarm_names"])


@pytest.mark.control("STRATA-OBS-001")
def test_key_lets_cloudwatch_publish_to_the_encrypted_topic(observability, aws) -> None:
    out = observability[1]
    key_id = aws.kms_key(out["kms_key_arn"]).key_id
    document = json.loads(aws.client("kms").get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    (statement,) = [
        s for s in pol.statements(document) if s["Principal"].get("Service") == ["cloudwatch.amazonaws.com"]
    ]
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert pol.condition_values(statement, "ArnLike", "aws:SourceArn") == [
        f"arn:aws:cloudwatch:us-east-1:{out['alarm_topic_arn'].split(':')[4]}:alarm:{out['name']}-*"
    ]


@pytest.mark.control("STRATA-OBS-001")
def test_alarms_cover_the_database_and_the_node_group(observability, node_group, aws) -> None:
    out = observability[1]
    alarms = aws.alarms(f"{out['name']}-")
    assert [a.ref for a in alarms] == out["alarm_names"]
    watched = {(a.namespace, a.metric): a.dimensions for a in alarms}
    database = {"DBInstanceIdentifier": f"{out['name']}-db"}
    auto_scaling_group = {"AutoScalingGroupName": node_group["asg"]}
    assert watched == {
        ("AWS/RDS", "CPUUtilization"): database,
        ("AWS/RDS", "FreeStorageSpace"): database,
        ("AWS/RDS", "DatabaseConnections"): database,
        ("AWS/EC2", "CPUUtilization"): auto_scaling_group,
        ("AWS/EC2", "StatusCheckFailed"): auto_scaling_group,
    }


@pytest.mark.control("STRATA-OBS-001")
def test_every_alarm_notifies_the_topic(observability, aws) -> None:
    out = observability[1]
    for name in out["alarm_names"]:
        alarm = aws.alarm(name)
        assert alarm.notifies(out["alarm_topic_arn"]), (name, alarm.actions)
        assert alarm.treat_missing_data in ("breaching", "notBreaching"), name


def test_every_resource_carries_the_run_id(observability, aws, run_id) -> None:
    out = observability[1]
    assert aws.sns_topic(out["alarm_topic_arn"]).tags.get("stratatest:run-id") == run_id
    assert aws.log_group(out["log_group_names"]["application"]).tags.get("stratatest:run-id") == run_id
    assert aws.alarm(out["alarm_names"][0]).tags.get("stratatest:run-id") == run_id
    assert aws.kms_key(out["kms_key_arn"]).tags.get("stratatest:run-id") == run_id


def test_idempotent(observability) -> None:
    observability[0].assert_idempotent()


def test_destroy_leaves_nothing(observability, aws) -> None:
    """Runs last in this module: destroy now and check the emulator holds nothing of the stack."""
    stack, out = observability
    stack.destroy()
    assert not aws.sns_topic(out["alarm_topic_arn"]).exists
    assert aws.alarms(f"{out['name']}-") == []
    assert not any(aws.log_group(n).exists for n in out["log_group_names"].values())
    key = aws.kms_key(out["kms_key_arn"])
    assert key.pending_deletion, f"KMS key {out['kms_key_arn']} is {key.state}, expected PendingDeletion"
