"""Emulator layer for terraform/modules/network: apply, read the VPC, flow logs and role back, idempotency, destroy."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.apply

MODULE = Path(__file__).resolve().parents[3] / "terraform" / "modules" / "network"
AZS = ["us-east-1a", "us-east-1b", "us-east-1c"]
CLUSTER = "acme-eks"


@pytest.fixture(scope="module")
def network(stacks, unique_name):
    name = unique_name("net")
    stack = stacks(
        MODULE,
        name=name,
        azs=AZS,
        cidr="10.42.0.0/16",
        nat_gateway_mode="single",
        cluster_name=CLUSTER,
        kms_deletion_window_in_days=7,
        tags={"owner": "platform"},
    )
    return stack, {**stack.outputs(), "name": name}


def test_vpc_and_subnets(network, aws) -> None:
    out = network[1]
    vpc = aws.vpc(out["vpc_id"])
    assert vpc.exists
    assert vpc.cidr == out["vpc_cidr"] == "10.42.0.0/16"
    assert vpc.tags["owner"] == "platform"
    subnet_ids = out["public_subnet_ids"] + out["private_subnet_ids"]
    assert sorted(s.id for s in vpc.subnets) == sorted(subnet_ids)
    assert [aws.subnet(s).availability_zone for s in out["private_subnet_ids"]] == AZS
    assert not any(aws.subnet(s).maps_public_ip_on_launch for s in out["public_subnet_ids"])
    assert vpc.nat_gateway_ids == sorted(out["nat_gateway_ids"])
    assert len(out["nat_gateway_ids"]) == 1
    assert len(vpc.internet_gateway_ids) == 1


def test_subnet_tags(network, aws) -> None:
    out = network[1]
    for subnet_id in out["public_subnet_ids"]:
        tags = aws.subnet(subnet_id).tags
        assert tags["kubernetes.io/role/elb"] == "1"
        assert tags[f"kubernetes.io/cluster/{CLUSTER}"] == "shared"
    for subnet_id in out["private_subnet_ids"]:
        tags = aws.subnet(subnet_id).tags
        assert tags["kubernetes.io/role/internal-elb"] == "1"
        assert tags[f"kubernetes.io/cluster/{CLUSTER}"] == "shared"


@pytest.mark.control("STRATA-VPC-002")
def test_default_security_group_restricts_all_traffic(network, aws) -> None:
    group = aws.vpc(network[1]["vpc_id"]).default_security_group
    assert group.restricts_all_traffic, (group.ingress_rules, group.egress_rules)


@pytest.mark.control("STRATA-VPC-001")
def test_flow_logs_capture_all_traffic(network, aws) -> None:
    out = network[1]
    vpc = aws.vpc(out["vpc_id"])
    assert vpc.has_flow_logs
    assert vpc.has_flow_logs_to(out["flow_log_group_name"])
    assert [f["FlowLogId"] for f in vpc.flow_logs] == [out["flow_log_id"]]


@pytest.mark.control("STRATA-LOGS-001")
def test_flow_log_group_retained_and_encrypted(network, aws) -> None:
    out = network[1]
    group = aws.log_group(out["flow_log_group_name"])
    assert group.exists
    assert group.retention_days is not None and group.retention_days >= 365
    assert group.is_encrypted
    assert group.kms_key_arn == out["kms_key_arn"]


@pytest.mark.control("STRATA-KMS-001")
def test_flow_log_key_rotates(network, aws) -> None:
    key = aws.kms_key(network[1]["kms_key_arn"])
    assert key.exists and key.is_enabled
    assert key.rotation_enabled
    assert key.rotation_period_days == 365


@pytest.mark.control("STRATA-IAM-001")
def test_flow_log_role_is_least_privilege(network, aws) -> None:
    out = network[1]
    group = aws.log_group(out["flow_log_group_name"])
    role = aws.iam_role(f"{out['name']}-vpc-flow-logs")
    assert role.exists
    assert role.trusted_services == ["vpc-flow-logs.amazonaws.com"]
    assert not role.has_wildcard_admin
    assert role.attached_policy_arns == []
    (document,) = role.inline_policies.values()
    (statement,) = document["Statement"]
    assert sorted(statement["Action"]) == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    assert sorted(statement["Resource"]) == [group.arn, f"{group.arn}:*"]


def test_every_resource_carries_the_run_id(network, aws, run_id) -> None:
    out = network[1]
    assert aws.vpc(out["vpc_id"]).tags.get("stratatest:run-id") == run_id
    assert aws.subnet(out["private_subnet_ids"][0]).tags.get("stratatest:run-id") == run_id
    assert aws.log_group(out["flow_log_group_name"]).tags.get("stratatest:run-id") == run_id
    assert aws.kms_key(out["kms_key_arn"]).tags.get("stratatest:run-id") == run_id


def test_idempotent(network) -> None:
    network[0].assert_idempotent()


def test_destroy_leaves_nothing(network, aws) -> None:
    """Runs last in this module: destroy now and check the emulator holds nothing of the stack."""
    stack, out = network
    stack.destroy()
    assert not aws.vpc(out["vpc_id"]).exists
    assert aws.vpc(out["vpc_id"]).nat_gateway_ids == []  # deleted ones stay listed, in state "deleted"
    assert not aws.log_group(out["flow_log_group_name"]).exists
    key = aws.kms_key(out["kms_key_arn"])
    assert key.pending_deletion, f"KMS key {out['kms_key_arn']} is {key.state}, expected PendingDeletion"
