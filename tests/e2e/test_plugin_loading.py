"""The plugin however a user loads it, and in a repository with no stratatest settings at all.

Installed, it loads through its pytest11 entry point; `-p stratatest.plugin` and `pytest_plugins` name the same
plugin and must not register it twice. With no settings, no option and no catalogue it stays inert until a test
asks for one of its fixtures; then that test works, from whatever folder pytest is run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

PLAIN = "def test_one():\n    assert 1 + 1 == 2\n"
MODULE = """\
variable "name" {
  type = string
}

resource "aws_ssm_parameter" "this" {
  name  = var.name
  type  = "String"
  value = "x"
}
"""
USES_PLAN = """\
def test_plans_the_parameter(plan_of, run_id):
    plan = plan_of("stacks/param", name="/adopter/param")
    assert plan["aws_ssm_parameter.this"]["tags_all"] == {"stratatest:run-id": run_id}
"""


def _pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRATATEST_", "PYTEST_"))}
    env["STRATATEST_RESULTS_CACHE"] = tempfile.mkdtemp(prefix="results-cache-")  # no pass reused from another run
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("how", ["-p", "pytest_plugins"])
def test_naming_the_plugin_again_loads_it_once(tmp_path: Path, how: str) -> None:
    (tmp_path / "test_plain.py").write_text(PLAIN)
    if how == "pytest_plugins":
        (tmp_path / "conftest.py").write_text('pytest_plugins = ["stratatest.plugin"]\n')
    run = _pytest(tmp_path, *(["-p", "stratatest.plugin"] if how == "-p" else []))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_fixture_starts_it_in_a_repository_without_settings_run_from_its_tests_folder(
    tmp_path: Path, workers: str
) -> None:
    (tmp_path / "stacks" / "param").mkdir(parents=True)
    (tmp_path / "stacks" / "param" / "main.tf").write_text(MODULE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_param.py").write_text(USES_PLAN)
    (tmp_path / "tests" / "test_plain.py").write_text(PLAIN)
    run = _pytest(tmp_path / "tests", "-n", workers)  # no ini file: pytest's rootdir is tests/
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout, run.stdout
