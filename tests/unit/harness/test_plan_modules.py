"""The plan model on a real plan of nested_modules/: resources in module calls (count, for_each, a grandchild) by
their full addresses, a view per module call, references within and across modules, and values terraform knows
only after apply, which read as UNKNOWN rather than as None or a KeyError."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest

from stratatest.terraform import inventory
from stratatest.terraform.plan import UNKNOWN, Plan

pytestmark = pytest.mark.plan

MODULE = Path(__file__).parent / "nested_modules"
KEY = "module.key.aws_kms_key.this"
BUCKETS = [f"module.bucket[{i}].aws_s3_bucket.this" for i in (0, 1)]
ENCRYPTION = [
    f"module.bucket[{i}].module.encryption.aws_s3_bucket_server_side_encryption_configuration.this" for i in (0, 1)
]
PARAMETERS = [
    'module.parameters["app"].aws_ssm_parameter.this["host"]',
    'module.parameters["app"].aws_ssm_parameter.this["port"]',
    'module.parameters["db"].aws_ssm_parameter.this["url"]',
]
ROOT_PARAMETER = "aws_ssm_parameter.key_arn"
SSE_KEY = "rule.apply_server_side_encryption_by_default.kms_master_key_id"


@pytest.fixture(scope="module")
def plan(plan_of) -> Plan:
    return plan_of(MODULE)


def test_resources_in_module_calls_by_full_address(plan: Plan) -> None:
    assert sorted(plan.resources) == sorted([ROOT_PARAMETER, KEY, *BUCKETS, *ENCRYPTION, *PARAMETERS])
    assert plan[BUCKETS[1]]["bucket"] == "stratatest-nested-1"
    assert plan[BUCKETS[1]].module == "module.bucket[1]"
    assert plan[PARAMETERS[2]]["name"] == "/nested/db/url"
    assert plan[ENCRYPTION[0]].module == "module.bucket[0].module.encryption"
    assert ENCRYPTION[0] in plan and "module.bucket[2].aws_s3_bucket.this" not in plan


def test_lookups_over_the_whole_plan_include_every_module(plan: Plan) -> None:
    assert plan.counts() == {
        "aws_kms_key": 1,
        "aws_s3_bucket": 2,
        "aws_s3_bucket_server_side_encryption_configuration": 2,
        "aws_ssm_parameter": 4,
    }
    assert plan.one("aws_kms_key").address == KEY
    assert [r.address for r in plan.of_type("aws_s3_bucket")] == BUCKETS


def test_a_module_view_holds_the_call_and_its_nested_calls(plan: Plan) -> None:
    buckets = plan.module("bucket")
    assert sorted(buckets.resources) == sorted([*BUCKETS, *ENCRYPTION])
    assert buckets.counts() == {"aws_s3_bucket": 2, "aws_s3_bucket_server_side_encryption_configuration": 2}
    assert buckets[BUCKETS[0]]["bucket"] == "stratatest-nested-0"
    assert plan.module("key").one("aws_kms_key").address == KEY
    assert plan.module("module.key").one("aws_kms_key").address == KEY


def test_a_view_of_one_instance_or_of_a_nested_call(plan: Plan) -> None:
    assert sorted(plan.module("bucket[1]").resources) == [BUCKETS[1], ENCRYPTION[1]]
    assert [r.address for r in plan.module("bucket.encryption").managed] == ENCRYPTION
    assert [r.address for r in plan.module("bucket").module("encryption").managed] == ENCRYPTION
    assert (
        plan.module("bucket[0].encryption").one("aws_s3_bucket_server_side_encryption_configuration").address
        == (ENCRYPTION[0])
    )
    assert [r.address for r in plan.module('parameters["app"]').of_type("aws_ssm_parameter")] == PARAMETERS[:2]
    assert plan.module('module.parameters["db"]').one("aws_ssm_parameter").address == PARAMETERS[2]


def test_a_view_fails_clearly(plan: Plan) -> None:
    """A misspelt call must not give an empty view that every `all(...)` assertion passes on."""
    with pytest.raises(KeyError, match=r"nothing is planned under module\.buckt; plan has module calls \[") as error:
        plan.module("buckt")
    assert "module.bucket[1].module.encryption" in str(error.value) and 'module.parameters["db"]' in str(error.value)
    with pytest.raises(KeyError, match=r"aws_ssm_parameter\.key_arn is not in module\.key; it has \["):
        plan.module("key")[ROOT_PARAMETER]
    with pytest.raises(AssertionError, match=r"^expected one aws_s3_bucket, module\.bucket has \["):
        plan.module("bucket").one("aws_s3_bucket")
    with pytest.raises(ValueError, match="is not a module call name"):
        plan.module("bucket/encryption")


def test_references_inside_module_calls(plan: Plan) -> None:
    """Every instance shares its configuration: the keys in an address do not matter."""
    for address in ENCRYPTION:
        assert plan.references(address, SSE_KEY) == ["var.kms_key_arn"]
    assert plan.references(BUCKETS[1], "bucket") == ["var.name"]
    assert plan.references(PARAMETERS[0], "name") == ["each.key", "var.prefix"]


def test_references_across_modules(plan: Plan) -> None:
    """A root resource wired to a module's output, and the inputs a module call is given."""
    assert plan.references(ROOT_PARAMETER, "value") == ["module.key", "module.key.arn"]
    assert plan.references("module.bucket", "kms_key_arn") == ["module.key", "module.key.arn"]
    assert plan.references("module.bucket[0]", "name") == ["count.index"]
    assert plan.references('module.parameters["app"]', "prefix") == ["each.key"]
    assert plan.references("module.bucket[1].module.encryption", "bucket") == [
        "aws_s3_bucket.this",
        "aws_s3_bucket.this.id",
    ]


@pytest.mark.parametrize("address", ["module.nope", "module.bucket.aws_s3_bucket.nope", "module.bucket.module.nope"])
def test_references_of_what_is_not_configured(plan: Plan, address: str) -> None:
    with pytest.raises(KeyError, match=f"{address} is not in the configuration"):
        plan.references(address, "bucket")


def test_values_known_only_after_apply_are_unknown(plan: Plan) -> None:
    key = plan[KEY]
    assert key["arn"] is UNKNOWN and key.is_unknown("arn")
    assert key["enable_key_rotation"] is True
    assert plan[ROOT_PARAMETER]["value"] is UNKNOWN  # wired to another module's output
    assert key.get("arn", "absent") == "absent"  # `get` gives known values only
    assert "arn" not in key.values


def test_a_block_with_unknown_parts_keeps_its_known_parts(plan: Plan) -> None:
    sse = plan[ENCRYPTION[0]]
    assert sse.is_unknown("rule")
    assert sse["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"


def test_an_attribute_that_does_not_exist_is_a_key_error_listing_the_attributes(plan: Plan) -> None:
    with pytest.raises(KeyError, match=rf"{KEY} has no attribute 'enable_rotation'; it has \[.*'arn'.*\]"):
        plan[KEY]["enable_rotation"]


def test_outputs_unknown_known_and_sensitive(plan: Plan) -> None:
    assert plan.output("key_arn") is UNKNOWN and not plan.outputs["key_arn"].known
    assert plan.output("bucket_names") == ["stratatest-nested-0", "stratatest-nested-1"]
    token = plan.outputs["token"]
    assert (token.value, token.known, token.sensitive) == ("nested-token-value", True, True)
    with pytest.raises(KeyError, match=r"the plan has no output 'key'; it has \['bucket_names', 'key_arn', 'token'\]"):
        plan.output("key")


def test_an_inventory_expecting_an_unknown_value_says_it_is_unknown(plan: Plan) -> None:
    expected = {"values": {KEY: {"arn": "arn:aws:kms:us-east-1:123456789012:key/x", "enable_key_rotation": True}}}
    assert inventory.differences(plan, expected) == [
        f"{KEY}.arn: expected 'arn:aws:kms:us-east-1:123456789012:key/x', plan has (known after apply)"
    ]


def test_an_inventory_rendered_from_the_plan_matches_it(plan: Plan, tmp_path: Path) -> None:
    """Unknown values stay out of a generated inventory, so it matches the plan it came from."""
    path = tmp_path / "nested.yaml"
    path.write_text(inventory.render(plan, {}))
    assert inventory.differences(plan, inventory.load(path)) == []
    assert "arn" not in inventory.load(path)["values"][KEY]


def test_unknown_is_only_itself() -> None:
    assert repr(UNKNOWN) == "(known after apply)"
    assert UNKNOWN == UNKNOWN
    assert UNKNOWN != None  # noqa: E711 - the point: it is not None
    assert UNKNOWN not in ("(known after apply)", "", 0, False, [])
    assert copy.deepcopy(UNKNOWN) is UNKNOWN and pickle.loads(pickle.dumps(UNKNOWN)) is UNKNOWN


def test_unknown_is_neither_true_nor_false() -> None:
    """`assert r["encrypted"]` on an unknown must not pass, and `assert not r["public"]` neither."""
    with pytest.raises(TypeError, match="known only after apply"):
        bool(UNKNOWN)
