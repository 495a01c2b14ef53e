"""A misspelt module name or variable fails in one line naming it, from every way in: `plan_of` and `stacks` by
name or path, and `stratatest inventory`; terraform would only warn about the variable, and the test would pass
against the default.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

TIMEOUT = 300

TINY = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.100" }
  }
}

variable "versioned" {
  type    = bool
  default = false
}

resource "terraform_data" "probe" {
  input = var.versioned
}
"""

TESTS = """
from pathlib import Path

import pytest


@pytest.mark.plan
def test_module_name_typo(plan_of):
    plan_of("tyny")


@pytest.mark.plan
def test_module_path_typo(plan_of):
    plan_of("terraform/modules/tinyy")


@pytest.mark.plan
def test_module_path_is_a_file(plan_of):
    plan_of(Path("terraform/modules/tiny/main.tf"))


@pytest.mark.plan
def test_variable_typo_in_plan_of(plan_of):
    plan_of("tiny", versoned=True)


@pytest.mark.apply
def test_variable_typo_in_stacks(stacks):
    stacks("tiny", versoned=True)


@pytest.mark.plan
def test_declared_variable_plans(plan_of):
    assert plan_of("tiny", versioned=True)["terraform_data.probe"]["input"] is True
"""

TYPO = 'terraform/modules/tiny has no variable "versoned" (did you mean "versioned"?); it declares: versioned'


@pytest.fixture
def tiny(project: pytest.Pytester) -> pytest.Pytester:
    module = project.path / "terraform" / "modules" / "tiny"
    module.mkdir(parents=True)
    (module / "main.tf").write_text(TINY)
    return project


def test_plan_of_and_stacks_refuse_in_one_line(tiny: pytest.Pytester) -> None:
    tiny.makepyfile(test_bad=TESTS)
    result = tiny.runpytest_subprocess("-rA", timeout=TIMEOUT)
    output = result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=1, failed=5)
    lines = output.splitlines()
    for line in (
        "ConfigError: no Terraform module at terraform/modules/tyny: no such folder (did you mean "
        "terraform/modules/tiny?)",
        "ConfigError: no Terraform module at terraform/modules/tinyy: no such folder (did you mean "
        "terraform/modules/tiny?)",
        "ConfigError: no Terraform module at terraform/modules/tiny/main.tf: it is a file; give the folder that "
        "holds its *.tf files",
        f"ConfigError: {TYPO}",
    ):
        assert line in lines, output
    assert lines.count(f"ConfigError: {TYPO}") == 2, output  # plan_of and stacks
    assert "Traceback" not in output


def test_inventory_refuses_a_misspelt_variable(tiny: pytest.Pytester) -> None:
    inventory = tiny.path / "terraform" / "modules" / "tiny" / "inventory" / "default.yaml"
    inventory.parent.mkdir()
    inventory.write_text("variables:\n  versoned: true\n")
    run = subprocess.run(
        [sys.executable, "-m", "stratatest.cli", "inventory", "terraform/modules/tiny", str(inventory)],
        cwd=tiny.path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert (run.returncode, run.stderr.strip().splitlines()[-1]) == (3, f"stratatest: {TYPO}"), run.stderr
    assert inventory.read_text() == "variables:\n  versoned: true\n"  # left as it was
