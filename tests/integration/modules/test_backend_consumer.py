"""The state-backend works as a backend: a root module keeps its state there, encrypted, with locking."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from stratatest.errors import TerraformFailed

pytestmark = pytest.mark.apply

TERRAFORM = Path(__file__).resolve().parents[3] / "terraform"
STATE_KEY = "examples/backend-consumer/terraform.tfstate"


@pytest.fixture(scope="module")
def store(stacks, unique_name):
    stack = stacks(
        TERRAFORM / "modules" / "state-backend",
        bucket_name=unique_name("consumer-state"),
        force_destroy=True,
        deletion_protection_enabled=False,
        kms_deletion_window_in_days=7,
    )
    return stack.outputs()


@pytest.fixture(scope="module")
def consumer(stacks, store, unique_name):
    config = {**store["backend_config"], "key": STATE_KEY}
    return stacks(
        TERRAFORM / "examples" / "backend-consumer",
        backend=config,
        parameter_name=f"/stratatest/{unique_name('consumer')}/canary",
    )


@pytest.mark.control("STRATA-TFSTATE-001")
def test_state_object_is_in_the_bucket_and_kms_encrypted(consumer, store, target) -> None:
    s3 = target.client("s3")
    head = s3.head_object(Bucket=store["bucket_name"], Key=STATE_KEY)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == store["kms_key_arn"]
    state = json.loads(s3.get_object(Bucket=store["bucket_name"], Key=STATE_KEY)["Body"].read())
    assert any(r["type"] == "aws_ssm_parameter" for r in state["resources"])


@pytest.mark.control("STRATA-TFSTATE-001")
def test_state_is_versioned(consumer, store, target) -> None:
    consumer.workspace.tf.execute_command(
        "apply", "-input=false", "-no-color", "-auto-approve", "-var=parameter_value=second"
    )
    versions = target.client("s3").list_object_versions(Bucket=store["bucket_name"], Prefix=STATE_KEY)
    assert len(versions.get("Versions", [])) >= 2


@pytest.mark.control("STRATA-TFSTATE-001")
def test_lock_table_holds_the_state_digest(consumer, store, target) -> None:
    item = target.client("dynamodb").get_item(
        TableName=store["lock_table_name"], Key={"LockID": {"S": f"{store['bucket_name']}/{STATE_KEY}-md5"}}
    )
    assert "Item" in item and item["Item"]["Digest"]["S"]


@pytest.mark.control("STRATA-TFSTATE-001")
def test_a_held_lock_blocks_other_writers(consumer, store, target) -> None:
    """A lock row written as another terraform would write it makes plan refuse to run, then frees it."""
    ddb = target.client("dynamodb")
    lock_id = f"{store['bucket_name']}/{STATE_KEY}"
    info = {
        "ID": "0f0f0f0f-stratatest",
        "Operation": "OperationTypeApply",
        "Who": "someone@elsewhere",
        "Version": "1.11.4",
        "Created": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Path": lock_id,
        "Info": "",
    }
    ddb.put_item(TableName=store["lock_table_name"], Item={"LockID": {"S": lock_id}, "Info": {"S": json.dumps(info)}})
    try:
        with pytest.raises(TerraformFailed, match="state lock"):
            consumer.workspace.tf.execute_command("plan", "-input=false", "-no-color", "-lock-timeout=1s")
    finally:
        ddb.delete_item(TableName=store["lock_table_name"], Key={"LockID": {"S": lock_id}})
    consumer.workspace.tf.execute_command("plan", "-input=false", "-no-color", "-lock-timeout=5s")


def test_consumer_destroys_cleanly(consumer, store, target) -> None:
    consumer.destroy()
    state = json.loads(target.client("s3").get_object(Bucket=store["bucket_name"], Key=STATE_KEY)["Body"].read())
    assert state["resources"] == []
