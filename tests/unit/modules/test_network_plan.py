"""Plan layer for terraform/modules/network: both NAT modes, subnets, flow logs; the inventory and the bad inputs
are cases in the stratatest.yaml beside the module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratatest.terraform import inventory

pytestmark = pytest.mark.plan

MODULE = Path(__file__).resolve().parents[3] / "terraform" / "modules" / "network"
INVENTORY = MODULE / "inventory" / "default.yaml"
VARIABLES = inventory.load(INVENTORY)["variables"]
AZS = VARIABLES["azs"]


@pytest.fixture(scope="module")
def plan(plan_of):
    """The inventory's case: nat_gateway_mode single."""
    return plan_of(MODULE, **VARIABLES)


@pytest.fixture(scope="module")
def plan_per_az(plan_of):
    return plan_of(MODULE, **{**VARIABLES, "nat_gateway_mode": "one_per_az", "cluster_name": "acme-eks"})


def test_creates_only_and_nothing_else(plan) -> None:
    assert all(r.actions == ("create",) for r in plan.managed), plan.diff_text()


def test_single_nat_gateway_serves_every_private_subnet(plan) -> None:
    counts = plan.counts()
    assert counts["aws_nat_gateway"] == counts["aws_eip"] == 1
    assert counts["aws_subnet"] == 2 * len(AZS)
    assert counts["aws_route_table"] == len(AZS) + 1
    assert plan["aws_nat_gateway.this[0]"]["connectivity_type"] == "public"
    assert "aws_subnet.public" in plan.references("aws_nat_gateway.this[0]", "subnet_id")
    assert "aws_nat_gateway.this" in plan.references("aws_route.private_nat[0]", "nat_gateway_id")


def test_one_nat_gateway_per_az(plan_per_az) -> None:
    counts = plan_per_az.counts()
    assert counts["aws_nat_gateway"] == counts["aws_eip"] == len(AZS)
    assert counts["aws_route"] == len(AZS) + 1
    assert [plan_per_az[f"aws_eip.nat[{i}]"]["domain"] for i in range(len(AZS))] == ["vpc"] * len(AZS)


def test_subnets_split_the_vpc_cidr_per_az(plan) -> None:
    public = [plan[f"aws_subnet.public[{i}]"] for i in range(len(AZS))]
    private = [plan[f"aws_subnet.private[{i}]"] for i in range(len(AZS))]
    assert [s["availability_zone"] for s in public] == AZS
    assert [s["availability_zone"] for s in private] == AZS
    cidrs = [s["cidr_block"] for s in public + private]
    assert len(set(cidrs)) == len(cidrs)
    assert all(cidr.startswith("10.42.") for cidr in cidrs)
    assert not any(s["map_public_ip_on_launch"] for s in public)


def test_subnet_tags_for_load_balancers(plan) -> None:
    for i in range(len(AZS)):
        public = plan[f"aws_subnet.public[{i}]"]["tags"]
        private = plan[f"aws_subnet.private[{i}]"]["tags"]
        assert public["kubernetes.io/role/elb"] == "1"
        assert "kubernetes.io/role/internal-elb" not in public
        assert private["kubernetes.io/role/internal-elb"] == "1"
        assert "kubernetes.io/role/elb" not in private
        assert not [k for k in {**public, **private} if k.startswith("kubernetes.io/cluster/")]


def test_subnet_tags_name_the_cluster_when_set(plan_per_az) -> None:
    for address in [r.address for r in plan_per_az.of_type("aws_subnet")]:
        assert plan_per_az[address]["tags"]["kubernetes.io/cluster/acme-eks"] == "shared", address


@pytest.mark.control("STRATA-VPC-002")
def test_default_security_group_has_no_rules(plan) -> None:
    sg = plan["aws_default_security_group.this"]
    config = _config(plan, "aws_default_security_group.this")
    assert not {"ingress", "egress"} & set(config["expressions"]), "the default security group declares rules"
    assert sg.get("ingress") in (None, [])
    assert sg.get("egress") in (None, [])
    assert "aws_vpc.this" in plan.references(sg.address, "vpc_id")


@pytest.mark.control("STRATA-VPC-001")
def test_flow_log_captures_all_traffic_to_cloudwatch(plan) -> None:
    flow_log = plan.one("aws_flow_log")
    assert flow_log["traffic_type"] == "ALL"
    assert flow_log["log_destination_type"] == "cloud-watch-logs"
    assert "aws_vpc.this" in plan.references(flow_log.address, "vpc_id")
    assert "aws_cloudwatch_log_group.flow_logs" in plan.references(flow_log.address, "log_destination")
    assert "aws_iam_role.flow_logs" in plan.references(flow_log.address, "iam_role_arn")


@pytest.mark.control("STRATA-LOGS-001")
def test_log_group_retained_a_year_and_encrypted_with_the_module_key(plan) -> None:
    group = plan["aws_cloudwatch_log_group.flow_logs"]
    assert group["retention_in_days"] >= 365
    assert "aws_kms_key.flow_logs" in plan.references(group.address, "kms_key_id")


@pytest.mark.control("STRATA-KMS-001")
def test_log_key_rotates(plan) -> None:
    key = plan["aws_kms_key.flow_logs"]
    assert key["enable_key_rotation"] is True
    assert 90 <= key["rotation_period_in_days"] <= 365


def test_log_key_lets_only_cloudwatch_logs_of_this_region_use_it_for_the_group(plan) -> None:
    policy = json.loads(plan["aws_kms_key.flow_logs"]["policy"])
    service = [s for s in policy["Statement"] if "Service" in s["Principal"]]
    assert [s["Principal"]["Service"] for s in service] == ["logs.us-east-1.amazonaws.com"]
    condition = service[0]["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    assert condition.endswith(":log-group:/aws/vpc-flow-logs/acme-network")
    assert not [a for a in service[0]["Action"] if a in ("*", "kms:*")]


@pytest.mark.control("STRATA-IAM-001")
def test_flow_log_role_policy_is_scoped_to_the_log_group(plan) -> None:
    doc = plan["data.aws_iam_policy_document.flow_logs"]
    statements = doc["statement"]
    actions = sorted(a for s in statements for a in s["actions"])
    assert actions == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    for statement in statements:
        assert statement["effect"] == "Allow"
        assert "*" not in statement.get("resources", [])  # resources are the log group ARN: known after apply
        assert not [a for a in statement["actions"] if a == "*" or a.endswith(":*")]
    assert "aws_cloudwatch_log_group.flow_logs" in plan.references(doc.address, "statement.resources")
    assert "data.aws_iam_policy_document.flow_logs" in plan.references("aws_iam_role_policy.flow_logs", "policy")
    assert plan.counts().get("aws_iam_role_policy_attachment", 0) == 0


@pytest.mark.control("STRATA-IAM-001")
def test_flow_log_role_trusts_only_vpc_flow_logs_of_this_account(plan) -> None:
    trust = json.loads(plan["aws_iam_role.flow_logs"]["assume_role_policy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert set(statement["Condition"]) == {"StringEquals", "ArnLike"}


def test_every_resource_tagged(plan) -> None:
    taggable = [r for r in plan.managed if "tags" in r.values]
    assert {r.type for r in taggable} >= {"aws_vpc", "aws_subnet", "aws_nat_gateway", "aws_flow_log", "aws_kms_key"}
    for resource in taggable:
        assert resource["tags"].items() >= VARIABLES["tags"].items(), resource.address


def _config(plan, address: str) -> dict:
    resources = plan.raw["configuration"]["root_module"]["resources"]
    return next(r for r in resources if r["address"] == address)
