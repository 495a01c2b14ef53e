"""The state-backend with S3-native locking (`use_lockfile`, Terraform >= 1.10): no lock table at all.

This is how a target without DynamoDB (LocalStack here: its DynamoDB needs Java 21) still proves remote state
and locking end to end; on moto it runs beside the lock-table variant in test_backend_consumer.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from stratatest.errors import TerraformFailed

pytestmark = pytest.mark.apply

TERRAFORM = Path(__file__).resolve().parents[3] / "terraform"
STATE_KEY = "examples/backend-consumer/lockfile.tfstate"


@pytest.fixture(scope="module")
def store(stacks, unique_name):
    stack = stacks(
        TERRAFORM / "modules" / "state-backend",
        bucket_name=unique_name("lockfile-state"),
        locking="lockfile",
        force_destroy=True,
        kms_deletion_window_in_days=7,
    )
    return stack.outputs()


@pytest.fixture(scope="module")
def consumer(stacks, store, unique_name):
    config = {**store["backend_config"], "key": STATE_KEY}
    return stacks(
        TERRAFORM / "examples" / "backend-consumer",
        backend=config,
        parameter_name=f"/stratatest/{unique_name('lockfile')}/canary",
    )


@pytest.mark.control("STRATA-TFSTATE-001")
def test_no_lock_table_and_consumers_use_the_lock_file(store) -> None:
    assert store.get("lock_table_name") is None  # a null output: terraform leaves it out
    assert store["backend_config"]["use_lockfile"] is True
    assert "dynamodb_table" not in store["backend_config"]


@pytest.mark.control("STRATA-TFSTATE-001")
def test_state_object_is_in_the_bucket_and_kms_encrypted(consumer, store, target) -> None:
    s3 = target.client("s3")
    head = s3.head_object(Bucket=store["bucket_name"], Key=STATE_KEY)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == store["kms_key_arn"]
    state = json.loads(s3.get_object(Bucket=store["bucket_name"], Key=STATE_KEY)["Body"].read())
    assert any(r["type"] == "aws_ssm_parameter" for r in state["resources"])


@pytest.mark.control("STRATA-TFSTATE-001")
def test_a_held_lock_file_blocks_other_writers(consumer, store, target) -> None:
    """A `.tflock` object written as another terraform would write it makes plan refuse to run, then frees it."""
    s3 = target.client("s3")
    lock_key = f"{STATE_KEY}.tflock"
    info = {
        "ID": "0f0f0f0f-stratatest",
        "Operation": "OperationTypeApply",
        "Who": "someone@elsewhere",
        "Version": "1.11.4",
        "Created": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Path": f"{store['bucket_name']}/{STATE_KEY}",
        "Info": "",
    }
    s3.put_object(Bucket=store["bucket_name"], Key=lock_key, Body=json.dumps(info).encode())
    try:
        with pytest.raises(TerraformFailed, match="state lock"):
            consumer.workspace.tf.execute_command("plan", "-input=false", "-no-color", "-lock-timeout=1s")
    finally:
        s3.delete_object(Bucket=store["bucket_name"], Key=lock_key)
    consumer.workspace.tf.execute_command("plan", "-input=false", "-no-color", "-lock-timeout=5s")


def test_consumer_destroys_cleanly(consumer, store, target) -> None:
    consumer.destroy()
    state = json.loads(target.client("s3").get_object(Bucket=store["bucket_name"], Key=STATE_KEY)["Body"].read())
    assert state["resources"] == []
