"""Which planned changes are losses of stateful resources, on plan JSON shaped as `terraform show -json` writes it.

The same classification runs on real plans against the emulator in tests/integration/upgrade/; these cover the
shapes a scratch module cannot cheaply produce (create-before-destroy, nested paths, for_each keys, moves).
"""

from __future__ import annotations

from typing import Any

from stratatest.terraform.plan import Plan
from stratatest.terraform.upgrade import STATEFUL_TYPES, losses, rollback_losses


def _change(address: str, actions: list[str], **extra: Any) -> dict[str, Any]:
    resource = address.rsplit(".", 2)[-2:]
    change = {"actions": actions, "before": {}, "after": {}, "after_unknown": {}}
    if "replace_paths" in extra:
        change["replace_paths"] = extra.pop("replace_paths")
    return {
        "address": address,
        "mode": extra.pop("mode", "managed"),
        "type": resource[0],
        "name": resource[1].split("[")[0],
        "change": change,
        **extra,
    }


def _plan(*changes: dict[str, Any]) -> Plan:
    return Plan({"format_version": "1.2", "resource_changes": list(changes)})


def test_replacements_in_either_order_and_deletions_are_losses() -> None:
    plan = _plan(
        _change("module.rds.aws_db_instance.this", ["delete", "create"], replace_paths=[["identifier"]]),
        _change("aws_kms_key.k", ["create", "delete"], replace_paths=[["customer_master_key_spec"]]),
        _change('aws_cloudwatch_log_group.g["app"]', ["delete"], action_reason="delete_because_each_key"),
        _change("aws_s3_bucket.kept", ["update"]),
        _change("aws_dynamodb_table.new", ["create"]),
        _change("aws_s3_bucket.same", ["no-op"]),
    )
    found = losses(plan)
    assert [loss.address for loss in found] == [
        'aws_cloudwatch_log_group.g["app"]',
        "aws_kms_key.k",
        "module.rds.aws_db_instance.this",
    ]
    log_group, key, database = found
    assert key.replaced and key.replace_paths == ("customer_master_key_spec",)
    assert database.replaced and database.actions == ("delete", "create")
    assert not log_group.replaced
    assert str(log_group) == (
        'aws_cloudwatch_log_group.g["app"] (aws_cloudwatch_log_group) would be destroyed: its key is gone from '
        "for_each; lost: its log history"
    )
    assert str(key) == (
        "aws_kms_key.k (aws_kms_key) would be replaced: customer_master_key_spec cannot change in place; "
        "lost: everything encrypted under it, unreadable once it is deleted"
    )


def test_nested_replace_paths_read_as_attribute_paths() -> None:
    plan = _plan(
        _change(
            "aws_s3_bucket.b",
            ["delete", "create"],
            replace_paths=[["bucket"], ["tags", "Name"], ["rule", 0, "apply_server_side_encryption_by_default"]],
        )
    )
    (loss,) = losses(plan)
    assert loss.replace_paths == ("bucket", "tags.Name", "rule[0].apply_server_side_encryption_by_default")
    assert "bucket, tags.Name, rule[0].apply_server_side_encryption_by_default cannot change in place" in str(loss)


def test_a_replacement_without_paths_says_why_terraform_gave() -> None:
    (loss,) = losses(_plan(_change("aws_eks_cluster.c", ["delete", "create"], action_reason="replace_by_request")))
    assert str(loss).startswith("aws_eks_cluster.c (aws_eks_cluster) would be replaced: -replace asked for it;")


def test_stateless_types_and_data_sources_are_not_losses() -> None:
    plan = _plan(
        _change("aws_kms_alias.a", ["delete", "create"], replace_paths=[["name"]]),
        _change("aws_eks_node_group.general", ["delete", "create"], replace_paths=[["instance_types"]]),
        _change("data.aws_s3_bucket.b", ["read"], mode="data"),
    )
    assert losses(plan) == []


def test_the_stateful_types_can_be_extended() -> None:
    plan = _plan(_change("aws_eks_node_group.general", ["delete", "create"], replace_paths=[["instance_types"]]))
    (loss,) = losses(plan, STATEFUL_TYPES | {"aws_eks_node_group"})
    assert str(loss).endswith("lost: its state")


def test_a_rollback_may_remove_what_the_upgrade_added_but_not_what_it_moved() -> None:
    """HEAD added a log group and renamed a bucket's block with a `moved` block the release does not have: rolling
    back deletes the added group (by design) and destroys the moved bucket (a loss: it was the release's)."""
    upgrade = _plan(
        _change("aws_cloudwatch_log_group.added", ["create"]),
        _change("aws_s3_bucket.renamed", ["no-op"], previous_address="aws_s3_bucket.state"),
    )
    rollback = _plan(
        _change("aws_cloudwatch_log_group.added", ["delete"], action_reason="delete_because_no_resource_config"),
        _change("aws_s3_bucket.renamed", ["delete"], action_reason="delete_because_no_resource_config"),
        _change("aws_s3_bucket.state", ["create"]),
    )
    assert [loss.address for loss in rollback_losses(upgrade, rollback)] == ["aws_s3_bucket.renamed"]
    assert [loss.address for loss in rollback_losses(None, rollback)] == [
        "aws_cloudwatch_log_group.added",
        "aws_s3_bucket.renamed",
    ]
    assert rollback_losses(upgrade, None) == []
