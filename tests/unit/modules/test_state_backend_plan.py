"""Plan layer for terraform/modules/state-backend: one plan, many assertions; the inventory and the bad inputs
are cases in the stratatest.yaml beside the module."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratatest.terraform import inventory

pytestmark = pytest.mark.plan

MODULE = Path(__file__).resolve().parents[3] / "terraform" / "modules" / "state-backend"
INVENTORY = MODULE / "inventory" / "default.yaml"
VARIABLES = inventory.load(INVENTORY)["variables"]


@pytest.fixture(scope="module")
def plan(plan_of):
    return plan_of(MODULE, **VARIABLES)


def test_creates_only_and_nothing_else(plan) -> None:
    assert all(r.actions == ("create",) for r in plan.managed), plan.diff_text()


@pytest.mark.control("STRATA-S3-001", "STRATA-TFSTATE-001")
def test_bucket_encrypted_with_the_module_kms_key(plan) -> None:
    sse = plan["aws_s3_bucket_server_side_encryption_configuration.state"]
    rule = sse["rule"][0]
    assert rule["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    assert rule["bucket_key_enabled"] is True
    refs = plan.references(sse.address, "rule.apply_server_side_encryption_by_default.kms_master_key_id")
    assert "aws_kms_key.state" in refs


@pytest.mark.control("STRATA-S3-002", "STRATA-TFSTATE-001")
def test_all_four_public_access_blocks(plan) -> None:
    pab = plan["aws_s3_bucket_public_access_block.state"]
    flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    assert {flag: pab[flag] for flag in flags} == dict.fromkeys(flags, True)


@pytest.mark.control("STRATA-S3-003")
def test_bucket_policy_denies_insecure_transport(plan) -> None:
    doc = plan["data.aws_iam_policy_document.bucket"]
    deny = [s for s in doc["statement"] if s["effect"] == "Deny"]
    assert deny, "no Deny statement in the bucket policy"
    stmt = deny[0]
    assert stmt["actions"] == ["s3:*"]
    assert stmt["principals"] == [{"type": "*", "identifiers": ["*"]}]
    assert stmt["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]
    assert "data.aws_iam_policy_document.bucket" in plan.references("aws_s3_bucket_policy.state", "policy")


@pytest.mark.control("STRATA-S3-004", "STRATA-TFSTATE-001")
def test_versioning_enabled(plan) -> None:
    versioning = plan["aws_s3_bucket_versioning.state"]
    assert versioning["versioning_configuration"][0]["status"] == "Enabled"


@pytest.mark.control("STRATA-S3-005")
def test_acls_disabled(plan) -> None:
    assert plan["aws_s3_bucket_ownership_controls.state"]["rule"][0]["object_ownership"] == "BucketOwnerEnforced"


@pytest.mark.control("STRATA-S3-006")
def test_noncurrent_versions_expire(plan) -> None:
    rules = plan["aws_s3_bucket_lifecycle_configuration.state"]["rule"]
    enabled = [r for r in rules if r["status"] == "Enabled"]
    days = [e["noncurrent_days"] for r in enabled for e in r["noncurrent_version_expiration"]]
    assert days == [VARIABLES.get("noncurrent_version_expiration_days", 90)]


@pytest.mark.control("STRATA-KMS-001")
def test_kms_key_rotates(plan) -> None:
    key = plan["aws_kms_key.state"]
    assert key["enable_key_rotation"] is True
    assert 90 <= key["rotation_period_in_days"] <= 365
    assert plan["aws_kms_alias.state"]["name"].startswith("alias/")


@pytest.mark.control("STRATA-DDB-001", "STRATA-TFSTATE-001")
def test_lock_table_on_demand_with_pitr(plan) -> None:
    table = plan["aws_dynamodb_table.lock[0]"]
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["hash_key"] == "LockID"
    assert table["attribute"] == [{"name": "LockID", "type": "S"}]
    assert table["point_in_time_recovery"][0]["enabled"] is True


@pytest.mark.control("STRATA-DDB-002")
def test_lock_table_encrypted_with_the_module_key(plan) -> None:
    table = plan["aws_dynamodb_table.lock[0]"]
    assert table["server_side_encryption"][0]["enabled"] is True
    assert "aws_kms_key.state" in plan.references(table.address, "server_side_encryption.kms_key_arn")


def test_every_resource_tagged(plan) -> None:
    taggable = [r for r in plan.managed if "tags" in r.values]
    assert taggable
    for resource in taggable:
        assert resource["tags"].items() >= VARIABLES["tags"].items(), resource.address


@pytest.mark.control("STRATA-TFSTATE-001")
def test_lockfile_locking_needs_no_table(plan_of) -> None:
    """S3-native locking (Terraform >= 1.10): no table, and consumers are told to use the lock file."""
    lockfile = plan_of(MODULE, **VARIABLES, locking="lockfile")
    assert lockfile.of_type("aws_dynamodb_table") == []
    config = lockfile.output("backend_config")
    assert config["use_lockfile"] is True
    assert "dynamodb_table" not in config
    assert lockfile.output("lock_table_name") is None
