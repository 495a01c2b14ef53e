"""The state-backend works as a backend: a root module keeps its state there, encrypted, with locking.

One test body for both ways of locking: a DynamoDB lock table, and S3-native locking (`use_lockfile`,
Terraform >= 1.10, no table at all). The second is how a target without DynamoDB (LocalStack here: its
DynamoDB needs Java 21) still proves remote state and locking end to end.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from stratatest.errors import TerraformFailed

pytestmark = pytest.mark.apply

TERRAFORM = Path(__file__).resolve().parents[3] / "terraform"
STATE_KEY = "examples/backend-consumer/terraform.tfstate"


@pytest.fixture(scope="module", params=["dynamodb", "lockfile"])
def store(request, stacks, unique_name):
    locking = request.param
    stack = stacks(
        TERRAFORM / "modules" / "state-backend",
        bucket_name=unique_name(f"{locking[:4]}-state"),
        locking=locking,
        force_destroy=True,
        deletion_protection_enabled=False,
        kms_deletion_window_in_days=7,
    )
    return {**stack.outputs(), "locking": locking}


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
def test_locking_is_configured_as_asked(consumer, store, target) -> None:
    """With a table, it holds the state's digest; with S3-native locking there is no table and consumers are told
    to use the lock file."""
    if store["locking"] == "lockfile":
        assert store.get("lock_table_name") is None  # a null output: terraform leaves it out
        assert store["backend_config"]["use_lockfile"] is True
        assert "dynamodb_table" not in store["backend_config"]
        return
    item = target.client("dynamodb").get_item(
        TableName=store["lock_table_name"], Key={"LockID": {"S": f"{store['bucket_name']}/{STATE_KEY}-md5"}}
    )
    assert "Item" in item and item["Item"]["Digest"]["S"]


def _hold_lock(store, target, info: dict[str, str]) -> tuple:
    """Write the lock as another terraform would (a table row, or a `.tflock` object); return how to free it."""
    if store["locking"] == "lockfile":
        s3, key = target.client("s3"), f"{STATE_KEY}.tflock"
        s3.put_object(Bucket=store["bucket_name"], Key=key, Body=json.dumps(info).encode())
        return s3.delete_object, {"Bucket": store["bucket_name"], "Key": key}
    ddb, lock_id = target.client("dynamodb"), info["Path"]
    ddb.put_item(TableName=store["lock_table_name"], Item={"LockID": {"S": lock_id}, "Info": {"S": json.dumps(info)}})
    return ddb.delete_item, {"TableName": store["lock_table_name"], "Key": {"LockID": {"S": lock_id}}}


@pytest.mark.control("STRATA-TFSTATE-001")
def test_a_held_lock_blocks_other_writers(consumer, store, target) -> None:
    """A lock held as another terraform would hold it makes plan refuse to run; freed, plan runs again."""
    info = {
        "ID": "0f0f0f0f-stratatest",
        "Operation": "OperationTypeApply",
        "Who": "someone@elsewhere",
        "Version": "1.11.4",
        "Created": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Path": f"{store['bucket_name']}/{STATE_KEY}",
        "Info": "",
    }
    free, where = _hold_lock(store, target, info)
    try:
        with pytest.raises(TerraformFailed, match="state lock"):
            consumer.workspace.tf.execute_command("plan", "-input=false", "-no-color", "-lock-timeout=1s")
    finally:
        free(**where)
    consumer.workspace.tf.execute_command("plan", "-input=false", "-no-color", "-lock-timeout=5s")


def test_consumer_destroys_cleanly(consumer, store, target) -> None:
    consumer.destroy()
    state = json.loads(target.client("s3").get_object(Bucket=store["bucket_name"], Key=STATE_KEY)["Body"].read())
    assert state["resources"] == []
