"""The Plan model over real `terraform show -json` output of data/tiny (built-in provider only, no cloud).

The fixtures are terraform's own output, not hand-written JSON, so the model is tested against the shape
terraform really produces. Regenerate them (from the repository root) after changing data/tiny:

    D=$PWD/tests/unit/harness/data
    export TF_CLI_CONFIG_FILE=$(.venv/bin/python -c \
        'from stratatest.toolchain import toolchain; print(toolchain().env()["TF_CLI_CONFIG_FILE"])')
    W=$(mktemp -d) && cp $D/tiny/main.tf $W/ && cd $W
    terraform init -input=false -no-color
    terraform plan -input=false -no-color -out=create.tfplan
    terraform show -json create.tfplan | python3 -m json.tool --indent 1 > $D/plan_terraform_data.json
    terraform apply -input=false -no-color -auto-approve create.tfplan
    terraform plan -input=false -no-color -var label=beta -out=update.tfplan
    terraform show -json update.tfplan | python3 -m json.tool --indent 1 > $D/plan_terraform_data_update.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stratatest.terraform.plan import UNKNOWN, Plan

DATA = Path(__file__).parent / "data"
SEED, CONSUMER = "terraform_data.seed", "terraform_data.consumer"
WORKERS = ["terraform_data.worker[0]", "terraform_data.worker[1]"]
ALL = sorted([CONSUMER, SEED, *WORKERS])


def _raw(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


@pytest.fixture(scope="module")
def create() -> Plan:
    """The first plan of data/tiny: four creates."""
    return Plan.from_json((DATA / "plan_terraform_data.json").read_text())


@pytest.fixture(scope="module")
def update() -> Plan:
    """The plan after apply with label=beta: one update, one replace, two no-ops."""
    return Plan.from_json((DATA / "plan_terraform_data_update.json").read_text())


def _only(name: str, *resource_names: str) -> Plan:
    """The real plan with only some of its resource changes: for of_type/one cardinality cases."""
    raw = _raw(name)
    raw["resource_changes"] = [rc for rc in raw["resource_changes"] if rc["name"] in resource_names]
    return Plan(raw)


def test_resources_by_address(create: Plan) -> None:
    seed = create[SEED]
    assert (seed.address, seed.type, seed.name, seed.mode, seed.module) == (
        SEED,
        "terraform_data",
        "seed",
        "managed",
        None,
    )
    assert seed["input"] == "tiny-alpha"
    assert create["terraform_data.worker[1]"]["input"]["name"] == "worker-1"
    assert sorted(create.resources) == ALL
    assert SEED in create and "terraform_data.nope" not in create


def test_unknown_values_are_absent_and_flagged(create: Plan) -> None:
    """Values known only after apply must not look like real (None) values in assertions."""
    consumer = create[CONSUMER]
    assert consumer.is_unknown("input") and consumer.is_unknown("id")
    assert not create[SEED].is_unknown("input")
    assert consumer.get("input", "absent") == "absent"
    assert "input" not in consumer.values


def test_fully_known_collections_are_not_unknown(create: Plan) -> None:
    """after_unknown mirrors the value's shape: a known list is `[false]`, a known object a map of falses."""
    consumer, worker = create[CONSUMER], create[WORKERS[0]]
    assert consumer.after_unknown["triggers_replace"] == [False]
    assert worker.after_unknown["input"] == {"labels": {}, "ports": [False, False]}
    assert not consumer.is_unknown("triggers_replace")
    assert not worker.is_unknown("input")


def test_missing_address_names_every_address(create: Plan) -> None:
    """A typo in an address must show what the plan does hold, not just the bad key."""
    with pytest.raises(KeyError) as excinfo:
        create["terraform_data.sed"]
    message = str(excinfo.value)
    assert "terraform_data.sed is not in the plan" in message
    assert all(address in message for address in ALL)


def test_of_type_and_counts(create: Plan) -> None:
    assert sorted(r.address for r in create.of_type("terraform_data")) == ALL
    assert create.of_type("aws_s3_bucket") == []
    assert create.counts() == {"terraform_data": 4}
    assert _only("plan_terraform_data.json", "worker").counts() == {"terraform_data": 2}


def test_one_returns_the_single_resource() -> None:
    assert _only("plan_terraform_data.json", "seed").one("terraform_data").address == SEED


@pytest.mark.parametrize(
    ("kept", "listed"),
    [((), "[]"), (("worker",), str(WORKERS))],
    ids=["none", "two"],
)
def test_one_fails_clearly_on_zero_or_several(kept: tuple[str, ...], listed: str) -> None:
    """The message must say how many there were and which, so the fix is obvious."""
    plan = _only("plan_terraform_data.json", *kept)
    with pytest.raises(AssertionError, match=r"^expected one terraform_data, plan has ") as excinfo:
        plan.one("terraform_data")
    assert str(excinfo.value).startswith(f"expected one terraform_data, plan has {listed}")


def test_outputs_known_and_unknown(create: Plan) -> None:
    prefix, consumer = create.outputs["prefix"], create.outputs["consumer_output"]
    assert (prefix.value, prefix.known, prefix.sensitive) == ("tiny-alpha", True, False)
    assert create.output("prefix") == "tiny-alpha"
    assert (consumer.value, consumer.known) == (UNKNOWN, False)
    assert create.variables == {"label": "alpha"}


def test_sensitive_output_is_flagged(create: Plan) -> None:
    secret = create.outputs["secret_prefix"]
    assert (secret.known, secret.sensitive) == (True, True)


def test_create_plan_changes_everything(create: Plan) -> None:
    assert sorted(r.address for r in create.changes) == ALL
    assert all(r.creates and not r.deletes and not r.replaces for r in create.changes)
    assert not create.is_empty
    assert repr(create) == "<plan 4 resources, 4 changes>"


def test_update_plan_actions(update: Plan) -> None:
    """After apply, only what the changed input reaches may change: workers are no-ops."""
    assert sorted(r.address for r in update.changes) == [CONSUMER, SEED]
    assert update[SEED].actions == ("update",) and not update[SEED].replaces
    assert update[CONSUMER].actions == ("delete", "create") and update[CONSUMER].replaces
    assert all(update[w].actions == ("no-op",) and not update[w].changes for w in WORKERS)
    assert not update.is_empty
    assert update.outputs["prefix"].value == "tiny-beta"


def test_no_op_only_plan_is_empty() -> None:
    """What assert_idempotent relies on: a plan of no-ops is empty and says so."""
    plan = _only("plan_terraform_data_update.json", "worker")
    assert plan.is_empty and plan.changes == []
    assert plan.diff_text() == "  (no changes)"


def test_diff_text_lists_changed_attributes_only(update: Plan) -> None:
    text = update.diff_text()
    assert f"  {CONSUMER}: delete + create" in text
    assert f"  {SEED}: update" in text
    assert '    input: "tiny-alpha" -> "tiny-beta"' in text
    assert '    output: "tiny-alpha" -> (known after apply)' in text
    assert '    triggers_replace: ["alpha"] -> ["beta"]' in text
    assert "worker" not in text
    assert "    id:" not in text.split(f"{SEED}: update")[1]  # unchanged id of an in-place update


def test_references_prove_wiring(create: Plan) -> None:
    assert create.references(CONSUMER, "input") == ["terraform_data.seed", "terraform_data.seed.output"]
    assert create.references(CONSUMER, "triggers_replace") == ["var.label"]
    assert create.references("terraform_data.worker[1]", "input") == ["count.index"]
    assert create.references(SEED, "no_such_attribute") == []


def test_references_unknown_address(create: Plan) -> None:
    with pytest.raises(KeyError, match=r"terraform_data\.nope is not in the configuration"):
        create.references("terraform_data.nope", "input")
