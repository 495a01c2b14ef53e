"""The harness checks what it is given before terraform runs: the module exists, every variable is declared, and
the values of secret variables are registered for masking.

The harness here is bound to a target that is never started: everything tested happens before terraform or the
target is reached, which the empty scratch folder proves.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stratatest import runs
from stratatest import secrets as secrets_module
from stratatest.errors import ConfigError
from stratatest.targets.aws import AwsTarget
from stratatest.targets.base import Target
from stratatest.targets.moto import MotoTarget
from stratatest.terraform.harness import Harness
from stratatest.terraform.variables import declarations
from stratatest.toolchain import toolchain

ROOT = Path(__file__).resolve().parents[3]
STATE_BACKEND = ROOT / "terraform" / "modules" / "state-backend"
ROOT_MODULE = ROOT / "tests" / "integration" / "harness" / "root_module"
STATE_BACKEND_VARIABLES = (
    "bucket_name, deletion_protection_enabled, force_destroy, kms_deletion_window_in_days, "
    "kms_rotation_period_in_days, lock_table_name, locking, name, noncurrent_version_expiration_days, tags"
)

SECRETS_MODULE = """
variable "db_password" { type = string }
variable "label" {
  type      = string
  sensitive = true
}
variable "region_name" { type = string }
"""

TAGGED_ROOT_MODULE = """
variable "run_id" {
  type    = string
  default = null
}
variable "run_tags" {
  type    = map(string)
  default = {}
}
variable "parameter_name" { type = string }
provider "aws" {
  default_tags {
    tags = merge(var.run_tags, var.run_id == null ? {} : { "stratatest:run-id" = var.run_id })
  }
}
"""


def _harness(tmp_path: Path, target: Target) -> Harness:
    shared = tmp_path / "shared"
    shared.mkdir(exist_ok=True)
    return Harness(toolchain(), target, "unit", shared)


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    """Bound to a moto target that is never started; run folders go to a private cache; messages read from ROOT."""
    monkeypatch.setenv("STRATATEST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(ROOT)
    return _harness(tmp_path, MotoTarget(workdir=tmp_path / "moto"))


@pytest.fixture
def known_secrets(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    fresh: set[str] = set()
    monkeypatch.setattr(secrets_module, "_KNOWN_SECRETS", fresh)
    return fresh


def _module(path: Path, text: str, name: str = "main.tf") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / name).write_text(text)
    return path


CALLERS: dict[str, Callable[[Harness, Path, dict[str, Any]], object]] = {
    "plan": lambda h, m, v: h.plan(m, v),
    "workspace": lambda h, m, v: h.workspace(m, v),
    "kept workspace": lambda h, m, v: h.workspace(m, v, keep=True),
    "rejected_variables": lambda h, m, v: h.rejected_variables(m, v),
}


@pytest.mark.parametrize("caller", CALLERS.values(), ids=CALLERS.keys())
def test_a_misspelt_variable_is_refused_with_the_closest_name(harness: Harness, caller: Callable) -> None:
    with pytest.raises(ConfigError) as refused:
        caller(harness, STATE_BACKEND, {"bucket_name": "state-x", "force_destory": True})
    assert str(refused.value) == (
        'terraform/modules/state-backend has no variable "force_destory" (did you mean "force_destroy"?); '
        f"it declares: {STATE_BACKEND_VARIABLES}"
    )
    assert list(harness.scratch.iterdir()) == []  # nothing copied, no terraform run
    assert runs.kept_stacks("unit") == []


def test_every_unknown_name_is_in_the_one_line(harness: Harness) -> None:
    with pytest.raises(ConfigError) as refused:
        harness.plan(STATE_BACKEND, {"bucket_name": "state-x", "lockng": "dynamodb", "colour": "blue"})
    message = str(refused.value)
    assert message.startswith(
        'terraform/modules/state-backend has no variables "lockng" (did you mean "locking"?), "colour"; '
    )
    assert "\n" not in message


def test_declared_variables_pass_and_a_root_module_gets_the_run_id(harness: Harness) -> None:
    assert harness.tfvars(STATE_BACKEND, {"bucket_name": "state-x", "locking": "lockfile"}) == {
        "bucket_name": "state-x",
        "locking": "lockfile",
    }
    assert harness.tfvars(ROOT_MODULE, {"parameter_name": "/x"}) == {"run_id": "unit", "parameter_name": "/x"}


def test_run_tags_are_accepted_where_the_target_adds_them(tmp_path: Path) -> None:
    module = _module(tmp_path / "tagged", TAGGED_ROOT_MODULE)
    harness = _harness(tmp_path, AwsTarget(account="111122223333", owner="ci", run_id="unit"))
    values = harness.tfvars(module, {"parameter_name": "/x"})
    assert values["run_id"] == "unit"
    assert values["run_tags"]["stratatest:owner"] == "ci"


def test_secret_values_are_registered_before_terraform_runs(harness: Harness, known_secrets: set[str]) -> None:
    """By name (db_password) or by the module's `sensitive = true` (label); any other value is left alone."""
    module = _module(harness.shared_dir / "secrets", SECRETS_MODULE)
    values = {"db_password": "hunter2-given", "label": "label-marked-sensitive", "region_name": "eu-west-1"}
    harness.tfvars(module, values)
    assert known_secrets == {"hunter2-given", "label-marked-sensitive"}


def test_variables_declared_in_json_syntax_count(tmp_path: Path) -> None:
    module = _module(tmp_path / "json", '{"variable": {"token": {"sensitive": true}, "size": {}}}', "main.tf.json")
    declared = declarations(module)
    assert declared.names == {"token", "size"} and declared.sensitive == {"token"}


def test_a_file_that_cannot_be_parsed_is_left_to_terraform(tmp_path: Path) -> None:
    """terraform init reports a syntax error with its own file, line and reason: no name is refused on a partial
    list of declarations."""
    module = _module(tmp_path / "broken", 'variable "a" {}\nresource "x" "y" {\n  bucket = \n}\n')
    declared = declarations(module)
    assert not declared.complete
    declared.refuse_undeclared({"anything": 1})


def _missing(tmp: Path) -> Path:
    (tmp / "modules" / "state-backend").mkdir(parents=True)
    return tmp / "modules" / "stat-backend"


def _a_file(tmp: Path) -> Path:
    return _module(tmp / "modules" / "x", "") / "main.tf"


def _no_tf(tmp: Path) -> Path:
    return _module(tmp / "modules" / "docs", "# notes\n", "README.md")


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (_missing, "no such folder (did you mean modules/state-backend?)"),
        (_a_file, "it is a file; give the folder that holds its *.tf files"),
        (_no_tf, "the folder has no *.tf file"),
    ],
    ids=["missing", "file", "no-tf"],
)
@pytest.mark.parametrize("caller", CALLERS.values(), ids=CALLERS.keys())
def test_a_path_that_is_no_module_is_one_line(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Callable, problem: str, caller: Callable
) -> None:
    monkeypatch.chdir(tmp_path)
    module = make(tmp_path)
    with pytest.raises(ConfigError) as refused:
        caller(harness, module, {})
    assert str(refused.value) == f"no Terraform module at {module.relative_to(tmp_path)}: {problem}"
    assert list(harness.scratch.iterdir()) == []
