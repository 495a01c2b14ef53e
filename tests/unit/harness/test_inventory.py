"""Inventories compared against real plans of data/tiny: every difference reported, files that round-trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from stratatest.errors import ConfigError
from stratatest.terraform import inventory
from stratatest.terraform.plan import Plan

DATA = Path(__file__).parent / "data"
WORKER = "terraform_data.worker[0]"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return Plan.from_json((DATA / "plan_terraform_data.json").read_text())


def test_matching_subset_has_no_differences(plan: Plan) -> None:
    """Only what the inventory lists is checked: a partial nested map is enough."""
    inv = {
        "values": {WORKER: {"input": {"labels": {"team": "core"}, "ports": [80, 443]}}},
        "counts": {"terraform_data": 4, "aws_s3_bucket": 0},
        "outputs": {"prefix": "tiny-alpha"},
    }
    assert inventory.differences(plan, inv) == []


@pytest.mark.parametrize(
    ("expected", "difference"),
    [
        ({"labels": {"team": "edge"}}, f"{WORKER}.input.labels.team: expected 'edge', plan has 'core'"),
        ({"labels": {"owner": "x"}}, f"{WORKER}.input.labels.owner: missing from the plan (expected 'x')"),
        ({"name": {"first": "w"}}, f"{WORKER}.input.name: expected a map, plan has 'worker-0'"),
        ({"ports": [80]}, f"{WORKER}.input.ports: expected [80], plan has [80, 443]"),
        ({"ports": [80, 8443]}, f"{WORKER}.input.ports[1]: expected 8443, plan has 443"),
        ({"ports": "80"}, f"{WORKER}.input.ports: expected '80', plan has [80, 443]"),
    ],
    ids=["value", "missing-key", "not-a-map", "list-length", "list-item", "scalar-vs-list"],
)
def test_nested_value_differences(plan: Plan, expected: dict[str, Any], difference: str) -> None:
    assert inventory.differences(plan, {"values": {WORKER: {"input": expected}}}) == [difference]


def test_missing_address(plan: Plan) -> None:
    assert inventory.differences(plan, {"values": {"aws_s3_bucket.b": {"bucket": "b"}}}) == [
        "aws_s3_bucket.b: not in the plan"
    ]


def test_counts_are_exact(plan: Plan) -> None:
    """Counts catch the extra resource a subset of values never would."""
    assert inventory.differences(plan, {"counts": {"terraform_data": 3, "aws_s3_bucket": 1}}) == [
        "counts.terraform_data: expected 3, plan has 4",
        "counts.aws_s3_bucket: expected 1, plan has 0",
    ]


def test_outputs(plan: Plan) -> None:
    """Known outputs are compared; an output unknown until apply cannot be, and is not a difference."""
    inv = {"outputs": {"prefix": "tiny-beta", "nope": 1, "consumer_output": "anything"}}
    assert inventory.differences(plan, inv) == [
        "outputs.prefix: expected 'tiny-beta', plan has 'tiny-alpha'",
        "outputs.nope: not in the plan",
    ]


def test_assert_matches_lists_every_difference_and_the_regenerate_command(plan: Plan, tmp_path: Path) -> None:
    inv = {
        "values": {WORKER: {"input": {"name": "worker-9"}}, "aws_s3_bucket.b": {}},
        "counts": {"terraform_data": 5},
        "outputs": {"prefix": "x"},
    }
    path = tmp_path / "my inventory" / "default.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(inv))
    module = tmp_path / "modules" / "tiny"
    with pytest.raises(AssertionError) as excinfo:
        inventory.assert_matches(plan, path, module)
    # pytest rewrites asserts in plugin packages and re-indents message lines: compare stripped lines.
    lines = [line.strip() for line in str(excinfo.value).splitlines()]
    differences = inventory.differences(plan, inv)
    assert len(differences) == 4
    assert all(difference in lines for difference in differences)
    assert f"stratatest inventory {module} '{path}'" in lines


def test_assert_matches_passes_on_a_match(plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "default.yaml"
    path.write_text("counts: {terraform_data: 4}\n")
    inventory.assert_matches(plan, path, tmp_path)


@pytest.mark.parametrize("name", ["plan_terraform_data.json", "plan_terraform_data_update.json"])
def test_render_round_trips_through_load(name: str, tmp_path: Path) -> None:
    """A freshly generated inventory must match the plan it came from, or regenerating would not fix a failure."""
    plan = Plan.from_json((DATA / name).read_text())
    path = tmp_path / "inventory.yaml"
    path.write_text(inventory.render(plan, {"label": plan.variables["label"]}))
    loaded = inventory.load(path)
    assert inventory.differences(plan, loaded) == []
    assert loaded["variables"] == {"label": plan.variables["label"]}
    assert loaded["counts"] == {"terraform_data": 4}
    assert list(loaded["outputs"]) == ["prefix"]  # unknown and sensitive outputs stay out of the file
    assert "triggers_replace" not in loaded["values"]["terraform_data.seed"]  # null in the plan


def test_render_drops_volatile_and_null_attributes() -> None:
    """tags_all carries the run id, so it would make every inventory stale on the next run."""
    after = {"bucket": "b", "tags": {"team": "core"}, "tags_all": {"stratatest:run-id": "st1"}, "policy": None}
    plan = Plan(
        {
            "resource_changes": [
                {
                    "address": "aws_s3_bucket.b",
                    "type": "aws_s3_bucket",
                    "name": "b",
                    "change": {"actions": ["create"], "before": None, "after": after},
                }
            ]
        }
    )
    rendered = yaml.safe_load(inventory.render(plan, {}))
    assert rendered["values"] == {"aws_s3_bucket.b": {"bucket": "b", "tags": {"team": "core"}}}
    assert "stratatest:run-id" not in inventory.render(plan, {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("values: [unclosed\n", "not valid YAML"),
        ("variables: {}\nresources: {}\n", "an inventory has only variables, values, counts and outputs"),
        ("- values\n", "an inventory has only"),
    ],
    ids=["bad-yaml", "unknown-key", "not-a-map"],
)
def test_load_errors_are_config_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as excinfo:
        inventory.load(path)
    assert str(path) in str(excinfo.value)


def test_load_empty_file_is_an_empty_inventory(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert inventory.load(path) == {}
