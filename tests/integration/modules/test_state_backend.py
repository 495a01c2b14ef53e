"""Emulator layer for terraform/modules/state-backend: apply, read every setting back, idempotency, destroy."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.apply

MODULE = Path(__file__).resolve().parents[3] / "terraform" / "modules" / "state-backend"


@pytest.fixture(scope="module")
def backend(stacks, unique_name):
    name = unique_name("tfstate")
    stack = stacks(
        MODULE,
        bucket_name=name,
        force_destroy=True,
        deletion_protection_enabled=False,
        kms_deletion_window_in_days=7,
        tags={"owner": "platform"},
    )
    return stack, stack.outputs()


@pytest.mark.control("STRATA-S3-001", "STRATA-TFSTATE-001")
def test_bucket_encrypted_with_the_module_key(backend, aws) -> None:
    _, out = backend
    bucket = aws.s3_bucket(out["bucket_name"])
    assert bucket.exists
    assert bucket.is_encrypted
    assert bucket.sse_algorithm == "aws:kms"
    assert bucket.kms_key_arn == out["kms_key_arn"]
    assert bucket.bucket_key_enabled


@pytest.mark.control("STRATA-S3-002", "STRATA-TFSTATE-001")
def test_bucket_blocks_public_access(backend, aws) -> None:
    assert aws.s3_bucket(backend[1]["bucket_name"]).blocks_public_access


@pytest.mark.control("STRATA-S3-003")
def test_bucket_denies_insecure_transport(backend, aws, target, without_gaps) -> None:
    without_gaps("policy_enforcement", "s3_secure_transport")  # an emulator that lets plain HTTP through anyway
    bucket_name = backend[1]["bucket_name"]
    assert aws.s3_bucket(bucket_name).denies_insecure_transport
    # The policy is enforced, not just present: over TLS a write works, over plain HTTP it is refused.
    s3 = target.client("s3")
    s3.put_object(Bucket=bucket_name, Key="probe/tls", Body=b"ok")
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match=r"AccessDenied|Forbidden|403"):
        target.http_client("s3").put_object(Bucket=bucket_name, Key="probe/plain", Body=b"no")
    s3.delete_object(Bucket=bucket_name, Key="probe/tls")


@pytest.mark.control("STRATA-S3-004", "STRATA-TFSTATE-001")
def test_bucket_versioning(backend, aws) -> None:
    assert aws.s3_bucket(backend[1]["bucket_name"]).versioning_enabled


@pytest.mark.control("STRATA-S3-005")
def test_bucket_acls_disabled(backend, aws) -> None:
    assert aws.s3_bucket(backend[1]["bucket_name"]).acls_disabled


@pytest.mark.control("STRATA-S3-006")
def test_bucket_expires_noncurrent_versions(backend, aws) -> None:
    assert aws.s3_bucket(backend[1]["bucket_name"]).expires_noncurrent_versions


@pytest.mark.control("STRATA-KMS-001")
def test_kms_key_rotation(backend, aws) -> None:
    out = backend[1]
    key = aws.kms_key(out["kms_alias_name"])
    assert key.exists and key.is_enabled
    assert key.arn == out["kms_key_arn"]
    assert key.rotation_enabled
    assert key.rotation_period_days == 365


@pytest.mark.control("STRATA-DDB-001", "STRATA-DDB-002", "STRATA-TFSTATE-001")
def test_lock_table(backend, aws) -> None:
    out = backend[1]
    table = aws.dynamodb_table(out["lock_table_name"])
    assert table.exists
    assert table.is_on_demand
    assert table.hash_key == "LockID"
    assert table.point_in_time_recovery
    assert table.is_encrypted
    assert table.kms_key_arn == out["kms_key_arn"]


def test_every_resource_carries_the_run_id(backend, aws, run_id) -> None:
    out = backend[1]
    assert aws.s3_bucket(out["bucket_name"]).tags.get("stratatest:run-id") == run_id
    assert aws.dynamodb_table(out["lock_table_name"]).tags.get("stratatest:run-id") == run_id
    assert aws.kms_key(out["kms_key_id"]).tags.get("stratatest:run-id") == run_id


def test_idempotent(backend) -> None:
    backend[0].assert_idempotent()


def test_destroy_leaves_nothing(backend, aws) -> None:
    """Runs last in this module: destroy now and check the emulator holds nothing of the stack."""
    stack, out = backend
    stack.destroy()
    assert not aws.s3_bucket(out["bucket_name"]).exists
    assert not aws.dynamodb_table(out["lock_table_name"]).exists
    key = aws.kms_key(out["kms_key_id"])
    assert key.pending_deletion, f"KMS key {out['kms_key_id']} is {key.state}, expected PendingDeletion"
