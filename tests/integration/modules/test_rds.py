"""Emulator layer for terraform/modules/rds: a network first, then the database; read back, idempotency, destroy.

Creating the instance takes about 80 s on moto: the provider polls until the instance reports `available`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.emulator

MODULES = Path(__file__).resolve().parents[3] / "terraform" / "modules"
AZS = ["us-east-1a", "us-east-1b"]


@pytest.fixture(scope="module")
def network(stacks, unique_name) -> dict:
    """The database's VPC; destroyed after the database (the stacks fixture destroys in reverse order)."""
    stack = stacks(
        MODULES / "network",
        name=unique_name("rdsnet"),
        azs=AZS,
        cidr="10.43.0.0/16",
        nat_gateway_mode="single",
        kms_deletion_window_in_days=7,
    )
    return stack.outputs()


@pytest.fixture(scope="module")
def client_group_id(network, aws) -> str:
    """Stands in for a workload's security group: the VPC's (locked-down) default group, made by the network."""
    return aws.vpc(network["vpc_id"]).default_security_group.id


@pytest.fixture(scope="module")
def database(stacks, unique_name, network, client_group_id):
    # Test settings: deletion_protection and the final snapshot would make the destroy at the end of this module
    # fail or leave a snapshot behind; the plan layer checks both defaults (protection on, snapshot taken).
    # multi_az is false so the read-back shows the instance follows the variable, not a hard-coded true.
    stack = stacks(
        MODULES / "rds",
        name=unique_name("rds"),
        vpc_id=network["vpc_id"],
        subnet_ids=network["private_subnet_ids"],
        allowed_security_group_ids=[client_group_id],
        multi_az=False,
        deletion_protection=False,
        skip_final_snapshot=True,
        backup_retention_period=14,
        kms_deletion_window_in_days=7,
        tags={"owner": "platform"},
    )
    return stack, stack.outputs()


@pytest.mark.control("STRATA-RDS-001")
def test_storage_encrypted_with_the_module_key(database, aws) -> None:
    out = database[1]
    instance = aws.db_instance(out["db_instance_identifier"])
    assert instance.exists
    assert instance.arn == out["db_instance_arn"]
    assert instance.engine == "postgres"
    assert instance.is_encrypted
    assert instance.kms_key_arn == out["kms_key_arn"]
    assert aws.kms_key(out["kms_key_arn"]).key_manager == "CUSTOMER"


@pytest.mark.control("STRATA-RDS-002")
def test_multi_az_follows_the_variable(database, aws) -> None:
    assert aws.db_instance(database[1]["db_instance_identifier"]).multi_az is False


@pytest.mark.control("STRATA-RDS-003")
def test_not_public_and_reachable_only_from_the_allowed_group(database, aws, network, client_group_id) -> None:
    out = database[1]
    instance = aws.db_instance(out["db_instance_identifier"])
    assert not instance.publicly_accessible
    assert instance.subnet_ids == sorted(network["private_subnet_ids"])
    assert instance.security_group_ids == [out["security_group_id"]]
    group = aws.security_group(out["security_group_id"])
    (rule,) = group.ingress_rules
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 5432, 5432)
    assert [p["GroupId"] for p in rule["UserIdGroupPairs"]] == [client_group_id]
    assert rule.get("IpRanges", []) == [] and rule.get("Ipv6Ranges", []) == []
    assert group.egress_rules == []


@pytest.mark.control("STRATA-RDS-004")
def test_parameter_group_forces_tls(database, aws) -> None:
    out = database[1]
    assert aws.db_instance(out["db_instance_identifier"]).parameter_group_names == [out["parameter_group_name"]]
    group = aws.db_parameter_group(out["parameter_group_name"])
    assert group.family == "postgres16"
    assert group.forces_tls
    assert group.parameters["log_connections"] == "1"


@pytest.mark.control("STRATA-RDS-005")
def test_backups_logs_and_managed_password(database, aws) -> None:
    out = database[1]
    instance = aws.db_instance(out["db_instance_identifier"])
    assert instance.backup_retention_days == 14
    assert instance.log_exports == ["postgresql", "upgrade"]
    assert instance.iam_authentication_enabled
    assert not instance.deletion_protection  # as the test asked; the plan layer checks the default is on
    assert instance.manages_master_password
    assert instance.master_user_secret_arn == out["master_user_secret_arn"]
    assert instance.master_user_secret_kms_key_arn == out["kms_key_arn"]
    assert instance.master_user_secret_exists


@pytest.mark.control("STRATA-LOGS-001")
def test_log_groups_retained_and_encrypted(database, aws) -> None:
    out = database[1]
    identifier = out["db_instance_identifier"]
    assert out["log_group_names"] == {t: f"/aws/rds/instance/{identifier}/{t}" for t in ("postgresql", "upgrade")}
    for name in out["log_group_names"].values():
        group = aws.log_group(name)
        assert group.exists
        assert group.retention_days == 365
        assert group.kms_key_arn == out["kms_key_arn"]


@pytest.mark.control("STRATA-KMS-001")
def test_key_rotates(database, aws) -> None:
    key = aws.kms_key(database[1]["kms_key_arn"])
    assert key.is_enabled and key.rotation_enabled


def test_every_resource_carries_the_run_id(database, aws, run_id) -> None:
    out = database[1]
    assert aws.db_instance(out["db_instance_identifier"]).tags.get("stratatest:run-id") == run_id
    assert aws.db_instance(out["db_instance_identifier"]).tags.get("owner") == "platform"
    assert aws.security_group(out["security_group_id"]).tags.get("stratatest:run-id") == run_id


def test_idempotent(database) -> None:
    database[0].assert_idempotent()


def test_destroy_leaves_nothing(database, aws) -> None:
    """Runs last in this module: destroy the database now (the network goes at teardown) and check it is gone."""
    stack, out = database
    stack.destroy()
    assert not aws.db_instance(out["db_instance_identifier"]).exists
    assert not aws.db_parameter_group(out["parameter_group_name"]).exists
    assert not aws.security_group(out["security_group_id"]).exists
    assert not any(aws.log_group(name).exists for name in out["log_group_names"].values())
    assert aws.kms_key(out["kms_key_arn"]).pending_deletion
