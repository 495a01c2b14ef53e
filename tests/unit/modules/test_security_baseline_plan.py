"""Plan layer for terraform/modules/security-baseline: GuardDuty, CloudTrail and its bucket, EBS, passwords.

The inventory and the bad inputs (weaker password policies among them) are cases in the stratatest.yaml beside
the module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stratatest.inspect import policy as pol
from stratatest.terraform import inventory

pytestmark = pytest.mark.plan

MODULE = Path(__file__).resolve().parents[3] / "terraform" / "modules" / "security-baseline"
INVENTORY = MODULE / "inventory" / "default.yaml"
VARIABLES = inventory.load(INVENTORY)["variables"]
NAME = VARIABLES["name"]
TRAIL_KEY = "module.trail_key.aws_kms_key.this"
EBS_KEY = "module.ebs_key.aws_kms_key.this"


@pytest.fixture(scope="module")
def plan(plan_of):
    return plan_of(MODULE, **VARIABLES)


@pytest.fixture(scope="module")
def bucket_policy(plan) -> list[dict]:
    """The trail bucket's policy statements, as the policy document data source plans them."""
    return plan["data.aws_iam_policy_document.bucket"]["statement"]


def _sid(statements: list[dict], sid: str) -> dict:
    (found,) = [s for s in statements if s["sid"] == sid]
    return found


def _conditions(statement: dict) -> dict[tuple[str, str], list[str]]:
    return {(c["test"], c["variable"]): c["values"] for c in statement.get("condition", [])}


def test_creates_only_and_nothing_else(plan) -> None:
    assert all(r.actions == ("create",) for r in plan.managed), plan.diff_text()


@pytest.mark.control("STRATA-GD-001")
def test_guardduty_enabled_with_eks_protection(plan) -> None:
    detector = plan.one("aws_guardduty_detector")
    assert detector["enable"] is True
    features = {f["name"]: f for f in plan.of_type("aws_guardduty_detector_feature")}
    assert set(features) == {"EKS_AUDIT_LOGS", "RUNTIME_MONITORING"}
    assert {f["status"] for f in features.values()} == {"ENABLED"}
    assert features["RUNTIME_MONITORING"]["additional_configuration"] == [
        {"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}
    ]
    for feature in features.values():
        assert "aws_guardduty_detector.this" in plan.references(feature.address, "detector_id")


@pytest.mark.control("STRATA-CT-001")
def test_trail_is_multi_region_validated_and_encrypted_with_the_trail_key(plan) -> None:
    trail = plan.one("aws_cloudtrail")
    assert trail["name"] == f"{NAME}-trail"
    assert trail["is_multi_region_trail"] is True
    assert trail["include_global_service_events"] is True
    assert trail["enable_log_file_validation"] is True
    assert trail["enable_logging"] is True
    assert "module.trail_key.arn" in plan.references(trail.address, "kms_key_id")
    assert "aws_s3_bucket.trail" in plan.references(trail.address, "s3_bucket_name")


@pytest.mark.control("STRATA-CT-001")
def test_cloudtrail_may_use_the_key_for_this_trail_only(plan) -> None:
    statements = [s for s in pol.statements(plan[TRAIL_KEY]["policy"]) if "Service" in s.get("Principal", {})]
    assert {p for s in statements for p in s["Principal"]["Service"]} == {"cloudtrail.amazonaws.com"}
    trail_arn = f":trail/{NAME}-trail"
    for statement in statements:
        (source,) = pol.condition_values(statement, "StringEquals", "aws:SourceArn") or []
        assert source.startswith("arn:aws:cloudtrail:us-east-1:") and source.endswith(trail_arn)
        assert not [a for a in statement["Action"] if a in ("*", "kms:*")]
    (encrypt,) = [s for s in statements if "kms:GenerateDataKey*" in s["Action"]]
    (context,) = pol.condition_values(encrypt, "StringLike", "kms:EncryptionContext:aws:cloudtrail:arn") or []
    assert context.startswith("arn:aws:cloudtrail:*:") and context.endswith(":trail/*")


@pytest.mark.control("STRATA-KMS-001")
def test_both_keys_rotate(plan) -> None:
    for address in (TRAIL_KEY, EBS_KEY):
        key = plan[address]
        assert key["enable_key_rotation"] is True, address
        assert 90 <= key["rotation_period_in_days"] <= 365, address


@pytest.mark.control("STRATA-S3-001")
def test_trail_bucket_encrypted_with_the_trail_key(plan) -> None:
    sse = plan.one("aws_s3_bucket_server_side_encryption_configuration")
    (rule,) = sse["rule"]
    assert rule["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    assert rule["bucket_key_enabled"] is True
    refs = plan.references(sse.address, "rule.apply_server_side_encryption_by_default.kms_master_key_id")
    assert "module.trail_key.arn" in refs


@pytest.mark.control("STRATA-S3-002")
def test_trail_bucket_blocks_public_access(plan) -> None:
    block = plan.one("aws_s3_bucket_public_access_block")
    for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert block[flag] is True, flag
    assert "aws_s3_bucket.trail" in plan.references(block.address, "bucket")


@pytest.mark.control("STRATA-S3-003")
def test_trail_bucket_denies_insecure_transport(plan, bucket_policy) -> None:
    deny = _sid(bucket_policy, "DenyInsecureTransport")
    assert deny["effect"] == "Deny"
    assert deny["actions"] == ["s3:*"]
    assert deny["principals"] == [{"type": "*", "identifiers": ["*"]}]
    assert _conditions(deny) == {("Bool", "aws:SecureTransport"): ["false"]}
    assert "aws_s3_bucket.trail" in plan.references("data.aws_iam_policy_document.bucket", "statement.resources")
    assert "data.aws_iam_policy_document.bucket" in plan.references("aws_s3_bucket_policy.trail", "policy")


@pytest.mark.control("STRATA-CT-001")
def test_only_this_trail_may_write_to_the_bucket(bucket_policy) -> None:
    allows = [s for s in bucket_policy if s["effect"] == "Allow"]
    assert sorted(a for s in allows for a in s["actions"]) == ["s3:GetBucketAcl", "s3:PutObject"]
    for statement in allows:
        assert statement["principals"] == [{"type": "Service", "identifiers": ["cloudtrail.amazonaws.com"]}]
        (source,) = _conditions(statement)[("StringEquals", "aws:SourceArn")]
        assert source.endswith(f":trail/{NAME}-trail")
    write = _sid(bucket_policy, "AllowCloudTrailWriteForThisTrail")
    assert _conditions(write)[("StringEquals", "s3:x-amz-acl")] == ["bucket-owner-full-control"]


@pytest.mark.control("STRATA-CT-001")
def test_trail_bucket_is_versioned_owner_enforced_and_expires_old_logs(plan) -> None:
    assert plan.one("aws_s3_bucket_versioning")["versioning_configuration"][0]["status"] == "Enabled"
    assert plan.one("aws_s3_bucket_ownership_controls")["rule"] == [{"object_ownership": "BucketOwnerEnforced"}]
    (rule,) = plan.one("aws_s3_bucket_lifecycle_configuration")["rule"]
    assert rule["status"] == "Enabled"
    assert rule["expiration"][0]["days"] == 365
    assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] >= 1
    assert plan.one("aws_s3_bucket")["force_destroy"] is False


@pytest.mark.control("STRATA-EBS-001")
def test_ebs_encrypted_by_default_with_the_ebs_key(plan) -> None:
    assert plan.one("aws_ebs_encryption_by_default")["enabled"] is True
    assert "module.ebs_key.arn" in plan.references("aws_ebs_default_kms_key.this", "key_arn")


@pytest.mark.control("STRATA-IAM-003")
def test_password_policy_meets_the_baseline(plan) -> None:
    policy = plan.one("aws_iam_account_password_policy")
    assert policy["minimum_password_length"] >= 14
    assert policy["password_reuse_prevention"] == 24
    assert 1 <= policy["max_password_age"] <= 90
    for required in ("lowercase_characters", "uppercase_characters", "numbers", "symbols"):
        assert policy[f"require_{required}"] is True, required


def test_every_resource_tagged(plan) -> None:
    taggable = [r for r in plan.managed if "tags" in r.values]
    assert {r.type for r in taggable} >= {"aws_guardduty_detector", "aws_cloudtrail", "aws_s3_bucket", "aws_kms_key"}
    for resource in taggable:
        assert resource["tags"].items() >= VARIABLES["tags"].items(), resource.address
