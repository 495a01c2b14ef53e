"""Plan layer for the environments: each composes the platform with its own sizes and guarantees.

The modules' own plan tests check each setting in depth; these check what differs per environment (NAT
gateways, node groups, database safety) and what must hold across a whole environment (tags on every
resource, no public endpoint, retention, rotation, no wildcard or administrator policy). Each environment's
inventory is a case in the stratatest.yaml beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratatest.inspect.iam import is_wildcard_admin
from stratatest.inspect.policy import as_list

pytestmark = pytest.mark.plan

TERRAFORM = Path(__file__).resolve().parents[3] / "terraform"
ENVS = ["dev", "staging", "prod"]
PLATFORM = TERRAFORM / "modules" / "platform"
ADMIN_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")


@pytest.fixture(scope="module", params=ENVS)
def env(request, plan_of):
    """(name, plan) of each environment with its defaults: what `terraform plan` shows its operators."""
    return request.param, plan_of(TERRAFORM / "envs" / request.param)


def test_creates_only(env) -> None:
    _, plan = env
    assert all(r.actions == ("create",) for r in plan.managed), plan.diff_text()


def test_every_resource_carries_the_environment_tags_and_the_run_id(env, run_id) -> None:
    name, plan = env
    expected = {"environment": name, "owner": "platform-team", "managed-by": "terraform", "stratatest:run-id": run_id}
    taggable = [r for r in plan.managed if "tags_all" in r.values]
    assert len(taggable) > 40
    untagged = [r.address for r in taggable if not r["tags_all"].items() >= expected.items()]
    assert not untagged, f"resources without the environment's default tags: {untagged}"


def test_nat_gateways_follow_the_environment(env) -> None:
    name, plan = env
    expected = 1 if name == "dev" else 3
    assert plan.counts()["aws_nat_gateway"] == expected
    assert len({s["availability_zone"] for s in plan.of_type("aws_subnet")}) == 3


@pytest.mark.control("STRATA-RDS-002", "STRATA-RDS-005")
def test_database_safety_follows_the_environment(env) -> None:
    name, plan = env
    db = plan.one("aws_db_instance")
    production_like = name != "dev"
    assert db["multi_az"] is production_like
    assert db["deletion_protection"] is production_like
    assert db["skip_final_snapshot"] is not production_like
    assert db["backup_retention_period"] >= (14 if production_like else 7)
    assert db["manage_master_user_password"] is True


def test_node_groups_per_environment(env) -> None:
    name, plan = env
    groups = {g["node_group_name"].rsplit("-", 1)[-1]: g for g in plan.of_type("aws_eks_node_group")}
    assert "general" in groups
    scaling = groups["general"]["scaling_config"][0]
    assert scaling["min_size"] <= scaling["desired_size"] <= scaling["max_size"]
    if name == "prod":
        assert scaling["min_size"] >= 3
        assert groups["spot"]["capacity_type"] == "SPOT"
    else:
        assert set(groups) == {"general"}


@pytest.mark.control("STRATA-EKS-002")
def test_no_environment_exposes_the_eks_endpoint(env) -> None:
    _, plan = env
    vpc_config = plan.one("aws_eks_cluster")["vpc_config"][0]
    assert vpc_config["endpoint_private_access"] is True
    assert vpc_config["endpoint_public_access"] is False


@pytest.mark.control("STRATA-LOGS-001")
def test_every_log_group_is_retained_a_year_and_encrypted(env) -> None:
    _, plan = env
    groups = plan.of_type("aws_cloudwatch_log_group")
    assert len(groups) >= 5  # flow logs, EKS control plane, RDS exports, application logs
    for group in groups:
        assert group["retention_in_days"] >= 365, group.address
        assert group.is_unknown("kms_key_id") or group["kms_key_id"], f"{group.address} is not KMS-encrypted"


@pytest.mark.control("STRATA-KMS-001")
def test_every_key_rotates(env) -> None:
    name, plan = env
    keys = plan.of_type("aws_kms_key")
    assert len(keys) >= 6
    for key in keys:
        assert key["enable_key_rotation"] is True, key.address
        assert key["deletion_window_in_days"] == (7 if name == "dev" else 30), key.address


def _known_policies(plan) -> list[tuple[str, dict]]:
    """Every identity-policy document whose JSON is known at plan time, with where it comes from."""
    documents = []
    for r in plan.managed:
        if r.type in ("aws_iam_policy", "aws_iam_role_policy") and isinstance(r.get("policy"), str):
            documents.append((r.address, json.loads(r["policy"])))
    return documents


@pytest.mark.control("STRATA-IAM-001")
def test_no_policy_grants_everything(env) -> None:
    _, plan = env
    statements = [(a, s) for a, doc in _known_policies(plan) for s in as_list(doc.get("Statement"))]
    data_docs = [r for r in plan.resources.values() if r.type == "aws_iam_policy_document"]
    for r in data_docs:
        for s in r.get("statement") or []:
            statements.append((r.address, {"Effect": s["effect"], "Action": s["actions"], "Resource": s["resources"]}))
    assert statements, "no IAM policy statement found in the plan"
    assert not [a for a, s in statements if is_wildcard_admin(s)]


@pytest.mark.control("STRATA-IAM-002")
def test_no_administrator_policy_is_attached(env) -> None:
    _, plan = env
    attachments = plan.of_type("aws_iam_role_policy_attachment")
    assert attachments
    for attachment in attachments:
        arn = attachment["policy_arn"]
        if not attachment.is_unknown("policy_arn"):
            assert arn.rsplit("/", 1)[-1] not in ADMIN_POLICIES, attachment.address


PLATFORM_VARIABLES = {
    "name": "acme-bad",
    "azs": ["us-east-1a", "us-east-1b", "us-east-1c"],
    "vpc_cidr": "10.50.0.0/16",
    "nat_gateway_mode": "one_per_az",
    "kubernetes_version": "1.32",
    "node_groups": {"general": {"instance_types": ["m6i.large"], "min_size": 2, "max_size": 4, "desired_size": 2}},
    "ecr_repositories": ["svc"],
}
UNSAFE_PROD = {
    "environment": "prod",
    "database": {
        "instance_class": "db.r6g.large",
        "allocated_storage": 100,
        "max_allocated_storage": 200,
        "multi_az": False,
        "deletion_protection": True,
        "backup_retention_period": 14,
        "skip_final_snapshot": False,
    },
    "disposable": True,
    "log_retention_in_days": 30,
}


@pytest.mark.control("STRATA-RDS-002", "STRATA-LOGS-001")
def test_platform_refuses_an_unsafe_production(harness) -> None:
    """A single-AZ, disposable prod with a month of logs is rejected before anything is planned."""
    rejected = harness.rejected_variables(PLATFORM, {**PLATFORM_VARIABLES, **UNSAFE_PROD})
    assert rejected == {"database", "disposable", "log_retention_in_days"}
