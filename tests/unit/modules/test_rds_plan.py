"""Plan layer for terraform/modules/rds: both Multi-AZ settings, TLS, backups, logs; the inventory and the bad
inputs are cases in the stratatest.yaml beside the module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratatest.terraform import inventory

pytestmark = pytest.mark.plan

MODULE = Path(__file__).resolve().parents[3] / "terraform" / "modules" / "rds"
INVENTORY = MODULE / "inventory" / "default.yaml"
VARIABLES = inventory.load(INVENTORY)["variables"]
NAME = VARIABLES["name"]
KEY = "module.kms.aws_kms_key.this"
LOG_TYPES = ["postgresql", "upgrade"]


@pytest.fixture(scope="module")
def plan(plan_of):
    """The inventory's case: every default (Multi-AZ, deletion protection, final snapshot)."""
    return plan_of(MODULE, **VARIABLES)


@pytest.fixture(scope="module")
def plan_throwaway(plan_of):
    """Every switch the other way: single-AZ, unprotected, no final snapshot, nobody allowed in."""
    return plan_of(
        MODULE,
        **{
            **VARIABLES,
            "multi_az": False,
            "deletion_protection": False,
            "skip_final_snapshot": True,
            "allowed_security_group_ids": [],
        },
    )


def _config(plan, address: str) -> dict:
    resources = plan.raw["configuration"]["root_module"]["resources"]
    return next(r for r in resources if r["address"] == address)


def test_creates_only_and_nothing_else(plan) -> None:
    assert all(r.actions == ("create",) for r in plan.managed), plan.diff_text()


@pytest.mark.control("STRATA-RDS-001")
def test_storage_encrypted_with_the_module_key(plan) -> None:
    db = plan["aws_db_instance.this"]
    assert db["storage_encrypted"] is True
    assert db.is_unknown("kms_key_id")  # the module's key, created in the same apply
    assert "module.kms.arn" in plan.references(db.address, "kms_key_id")
    assert plan[KEY]["key_usage"] == "ENCRYPT_DECRYPT"


@pytest.mark.control("STRATA-RDS-002")
def test_multi_az_follows_the_variable(plan, plan_throwaway) -> None:
    assert plan["aws_db_instance.this"]["multi_az"] is True  # the default
    assert plan_throwaway["aws_db_instance.this"]["multi_az"] is False


@pytest.mark.control("STRATA-RDS-003")
def test_not_public_and_in_the_given_private_subnets(plan) -> None:
    db = plan["aws_db_instance.this"]
    assert db["publicly_accessible"] is False
    assert plan["aws_db_subnet_group.this"]["subnet_ids"] == sorted(VARIABLES["subnet_ids"])
    assert plan.references(db.address, "db_subnet_group_name") == [
        "aws_db_subnet_group.this",
        "aws_db_subnet_group.this.name",
    ]
    assert plan.references(db.address, "vpc_security_group_ids") == [
        "aws_security_group.this",
        "aws_security_group.this.id",
    ]
    assert plan["aws_security_group.this"]["vpc_id"] == VARIABLES["vpc_id"]


@pytest.mark.control("STRATA-RDS-003")
def test_ingress_only_5432_from_the_allowed_security_groups(plan) -> None:
    group = plan["aws_security_group.this"]
    (rule,) = group["ingress"]
    assert (rule["protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 5432, 5432)
    assert rule["security_groups"] == sorted(VARIABLES["allowed_security_group_ids"])
    assert rule["cidr_blocks"] == rule["ipv6_cidr_blocks"] == rule["prefix_list_ids"] == []
    assert rule["self"] is False
    assert group["egress"] == []
    # Rules live in the group itself, so Terraform owns the whole set: no separate rule resource may add one.
    rule_types = (
        "aws_security_group_rule",
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule",
    )
    assert not [t for t in rule_types if plan.counts().get(t)]


@pytest.mark.control("STRATA-RDS-003")
def test_no_allowed_groups_means_no_ingress(plan_throwaway) -> None:
    assert plan_throwaway["aws_security_group.this"]["ingress"] == []


@pytest.mark.control("STRATA-RDS-004")
def test_parameter_group_forces_tls(plan) -> None:
    group = plan["aws_db_parameter_group.this"]
    parameters = {p["name"]: p["value"] for p in group["parameter"]}
    assert group["family"] == "postgres16"
    assert parameters["rds.force_ssl"] == "1"
    assert parameters["ssl_min_protocol_version"] == "TLSv1.2"
    assert "aws_db_parameter_group.this" in plan.references("aws_db_instance.this", "parameter_group_name")
    assert plan["aws_db_instance.this"]["engine"] == "postgres"
    assert plan["aws_db_instance.this"]["engine_version"].startswith("16.")


def test_parameter_group_logs_connections_ddl_and_slow_statements(plan) -> None:
    parameters = {p["name"]: p["value"] for p in plan["aws_db_parameter_group.this"]["parameter"]}
    assert parameters["log_connections"] == parameters["log_disconnections"] == parameters["log_lock_waits"] == "1"
    assert parameters["log_statement"] == "ddl"
    assert int(parameters["log_min_duration_statement"]) > 0


@pytest.mark.control("STRATA-RDS-005")
def test_backups_and_deletion_protection(plan, plan_throwaway) -> None:
    db = plan["aws_db_instance.this"]
    assert 7 <= db["backup_retention_period"] <= 35
    assert db["backup_window"] and db["maintenance_window"]
    assert db["copy_tags_to_snapshot"] is True
    assert db["deletion_protection"] is True
    assert db["skip_final_snapshot"] is False
    assert db["final_snapshot_identifier"] == f"{NAME}-final"
    throwaway = plan_throwaway["aws_db_instance.this"]
    assert throwaway["deletion_protection"] is False
    assert throwaway["skip_final_snapshot"] is True
    assert throwaway.get("final_snapshot_identifier") is None


@pytest.mark.control("STRATA-RDS-005")
def test_logs_exported_and_master_password_managed_by_aws(plan) -> None:
    db = plan["aws_db_instance.this"]
    assert db["enabled_cloudwatch_logs_exports"] == LOG_TYPES
    assert db["manage_master_user_password"] is True
    assert db.get("password") is None
    assert "password" not in _config(plan, db.address)["expressions"]
    assert "module.kms.arn" in plan.references(db.address, "master_user_secret_kms_key_id")
    assert db["iam_database_authentication_enabled"] is True
    assert plan.outputs["master_user_secret_arn"].known is False  # created by RDS at apply


def test_storage_and_upgrades(plan) -> None:
    db = plan["aws_db_instance.this"]
    assert db["storage_type"] == "gp3"
    assert db["allocated_storage"] == 20
    assert db["max_allocated_storage"] == 100
    assert db["auto_minor_version_upgrade"] is True
    assert db["instance_class"] == "db.t4g.medium"


@pytest.mark.control("STRATA-LOGS-001")
def test_log_groups_created_first_retained_and_encrypted(plan) -> None:
    for log_type in LOG_TYPES:
        group = plan[f'aws_cloudwatch_log_group.this["{log_type}"]']
        assert group["name"] == f"/aws/rds/instance/{NAME}/{log_type}"
        assert group["retention_in_days"] >= 365
        assert "module.kms.arn" in plan.references(group.address, "kms_key_id")
    assert "aws_cloudwatch_log_group.this" in _config(plan, "aws_db_instance.this")["depends_on"]
    assert plan.output("log_group_names") == {t: f"/aws/rds/instance/{NAME}/{t}" for t in LOG_TYPES}


@pytest.mark.control("STRATA-KMS-001")
def test_key_rotates(plan) -> None:
    key = plan[KEY]
    assert key["enable_key_rotation"] is True
    assert 90 <= key["rotation_period_in_days"] <= 365
    assert key["deletion_window_in_days"] == 30


@pytest.mark.control("STRATA-KMS-001", "STRATA-LOGS-001")
def test_key_lets_cloudwatch_logs_use_it_for_the_database_log_groups_only(plan) -> None:
    policy = json.loads(plan[KEY]["policy"])
    service = [s for s in policy["Statement"] if "Service" in s["Principal"]]
    assert [s["Principal"]["Service"] for s in service] == ["logs.us-east-1.amazonaws.com"]
    condition = service[0]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert condition.endswith(f":log-group:/aws/rds/instance/{NAME}/*")
    assert not [a for a in service[0]["Action"] if a in ("*", "kms:*")]


def test_every_resource_tagged(plan) -> None:
    taggable = [r for r in plan.managed if "tags" in r.values]
    assert {r.type for r in taggable} >= {
        "aws_db_instance",
        "aws_security_group",
        "aws_kms_key",
        "aws_cloudwatch_log_group",
    }
    for resource in taggable:
        assert resource["tags"].items() >= VARIABLES["tags"].items(), resource.address
