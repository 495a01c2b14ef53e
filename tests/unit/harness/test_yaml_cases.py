"""A stratatest.yaml beside a module, in a pytester subprocess: collected as tests, planned and applied for real
against the embedded moto target, selected by layer and control, and recorded like any Python test."""

from __future__ import annotations

import json
import textwrap

import pytest

TIMEOUT = 300

MODULE = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.100" }
  }
}

variable "name" {
  type = string
  validation {
    condition     = startswith(var.name, "/")
    error_message = "An SSM parameter name here is a path: it starts with /."
  }
}

resource "aws_ssm_parameter" "this" {
  name  = var.name
  type  = "String"
  value = "on"
}

output "name" {
  value = aws_ssm_parameter.this.name
}
"""

CASES = """\
cases:
  matches:
    inventory: inventory/default.yaml
    controls: [STRATA-KMS-001]
  drifted:
    inventory: inventory/wrong.yaml
  rejects-a-relative-name:
    variables: {name: relative}
    rejects: [name]
  applied:
    variables_from: inventory/default.yaml
    layer: apply
"""


@pytest.fixture
def module(project: pytest.Pytester) -> pytest.Pytester:
    """A scratch project with one module (one SSM parameter), its inventories and its case file."""
    folder = project.path / "param"
    (folder / "inventory").mkdir(parents=True)
    (folder / "main.tf").write_text(MODULE)
    (folder / "inventory" / "default.yaml").write_text(
        "variables: {name: /stratatest/flag}\n"
        "values:\n  aws_ssm_parameter.this: {name: /stratatest/flag, type: String}\n"
        "counts: {aws_ssm_parameter: 1}\noutputs: {name: /stratatest/flag}\n"
    )
    (folder / "inventory" / "wrong.yaml").write_text(
        "variables: {name: /stratatest/flag}\n"
        "values:\n  aws_ssm_parameter.this: {type: SecureString}\ncounts: {aws_ssm_parameter: 2}\n"
    )
    (folder / "stratatest.yaml").write_text(CASES)
    (folder / "cases.yaml").write_text(CASES)  # another name: never collected
    return project


def test_collected_one_test_per_case_and_selected_like_python_tests(module: pytest.Pytester) -> None:
    module.makepyfile(test_other="def test_python(): pass\n")
    collected = module.runpytest_subprocess("--collect-only", "-q", timeout=TIMEOUT)
    ids = [line for line in collected.stdout.lines if "::" in line]
    assert ids == [
        "param/stratatest.yaml::applied",  # apply layers run first
        "param/stratatest.yaml::matches",
        "param/stratatest.yaml::drifted",
        "param/stratatest.yaml::rejects-a-relative-name",
        "test_other.py::test_python",
    ], collected.stdout.str()
    by_layer = module.runpytest_subprocess("--collect-only", "-q", "--layer", "emulator", timeout=TIMEOUT)
    assert [line for line in by_layer.stdout.lines if "::" in line] == ["param/stratatest.yaml::applied"]
    by_control = module.runpytest_subprocess("--collect-only", "-q", "--control", "STRATA-KMS-001", timeout=TIMEOUT)
    assert [line for line in by_control.stdout.lines if "::" in line] == ["param/stratatest.yaml::matches"]


def test_cases_plan_apply_and_fail_with_the_regenerate_command(module: pytest.Pytester) -> None:
    results = module.path / "results.json"
    run = module.runpytest_subprocess("param", f"--results={results}", timeout=TIMEOUT)
    console = run.stdout.str() + run.stderr.str()
    run.assert_outcomes(passed=3, failed=1)
    # The differences and the command that regenerates the inventory, with no traceback through the plugin.
    failure = console[console.index("param: drifted") :]
    expected = textwrap.dedent(
        """\
        plan of param does not match param/inventory/wrong.yaml:
          aws_ssm_parameter.this.type: expected 'SecureString', plan has 'String'
          counts.aws_ssm_parameter: expected 2, plan has 1
        If the change is intended, regenerate the inventory with:
          stratatest inventory param param/inventory/wrong.yaml
        """
    )
    assert expected in failure, console
    assert "yaml_cases.py" not in console, console
    record = {r["nodeid"]: r for r in json.loads(results.read_text())["results"]}
    summary = {nodeid: (r["layer"], r["outcome"], r["controls"]) for nodeid, r in record.items()}
    assert summary == {
        "param/stratatest.yaml::applied": ("emulator", "passed", []),
        "param/stratatest.yaml::matches": ("plan", "passed", ["STRATA-KMS-001"]),
        "param/stratatest.yaml::drifted": ("plan", "failed", []),
        "param/stratatest.yaml::rejects-a-relative-name": ("plan", "passed", []),
    }, console


def test_a_rejects_case_fails_when_the_module_accepts_the_input(module: pytest.Pytester) -> None:
    (module.path / "param" / "stratatest.yaml").write_text(
        "cases:\n  lenient:\n    variables: {name: /fine}\n    rejects: [name]\n"
    )
    run = module.runpytest_subprocess("param", timeout=TIMEOUT)
    run.assert_outcomes(failed=1)
    run.stdout.fnmatch_lines(["terraform's validation should reject exactly ['name']; not rejected: ['name']"])


def test_a_mistake_in_the_case_file_is_one_line_and_nothing_runs(module: pytest.Pytester) -> None:
    (module.path / "param" / "stratatest.yaml").write_text(
        "cases:\n  default:\n    inventroy: inventory/default.yaml\n"
    )
    run = module.runpytest_subprocess("param", timeout=TIMEOUT)
    assert run.ret == pytest.ExitCode.INTERRUPTED
    run.stdout.fnmatch_lines(
        [
            "param/stratatest.yaml: cases.default: unknown key 'inventroy'; "
            "allowed: inventory, variables_from, variables, rejects, layer, controls"
        ]
    )
    run.stdout.no_fnmatch_line("*Traceback*")


def test_an_unknown_control_is_a_usage_error(module: pytest.Pytester) -> None:
    (module.path / "param" / "stratatest.yaml").write_text("cases:\n  default:\n    controls: [STRATA-KMS-01]\n")
    run = module.runpytest_subprocess("param", timeout=TIMEOUT)
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    assert "param/stratatest.yaml::default: unknown control" in run.stderr.str() + run.stdout.str()
