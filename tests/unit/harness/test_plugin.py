"""The pytest plugin in a pytester subprocess: layer selection, unique names, and one plan per run under xdist."""

from __future__ import annotations

import json
import shutil

import pytest

from stratatest import runs

TIMEOUT = 300

TINY = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.100" }
  }
}

variable "label" {
  type = string
}

resource "terraform_data" "seed" {
  input = "tiny-${var.label}"
}
"""

# Each copy records which xdist worker planned it, so the test can prove two processes were involved.
PLANNING_TEST = """\
import json
import os
from pathlib import Path

MODULE = Path(__file__).parent / "tiny"


def test_plan(plan_of):
    plan = plan_of(MODULE, label={label!r})
    assert plan["terraform_data.seed"]["input"] == "tiny-{label}"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (Path(__file__).parent / f"worker-{{worker}}-{name}").write_text(worker)
"""


def test_layer_selects_marked_tests_only(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_layers="""
        import pytest

        @pytest.mark.static
        def test_static(): pass

        @pytest.mark.plan
        def test_plan(): pass

        def test_unmarked(): pass
        """
    )
    result = project.runpytest_subprocess("--layer", "static", "-v", timeout=TIMEOUT)
    result.assert_outcomes(passed=1, deselected=2)
    result.stdout.fnmatch_lines(["*test_static PASSED*"])
    project.runpytest_subprocess("--layer", "static,plan", timeout=TIMEOUT).assert_outcomes(passed=2, deselected=1)
    project.runpytest_subprocess(timeout=TIMEOUT).assert_outcomes(passed=3)


def test_apply_layers_run_first(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_order="""
        import pytest

        def test_unmarked(): pass

        @pytest.mark.static
        def test_static(): pass

        @pytest.mark.emulator
        def test_apply(): pass

        @pytest.mark.plan
        def test_plan(): pass

        @pytest.mark.emulator
        def test_apply_again(): pass
        """
    )
    result = project.runpytest_subprocess("--collect-only", "-q", timeout=TIMEOUT)
    names = [line.split("::")[-1] for line in result.stdout.lines if "::" in line]
    assert names == ["test_apply", "test_apply_again", "test_unmarked", "test_static", "test_plan"]


def test_unknown_layer_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makepyfile(test_x="def test_x(): pass\n")
    result = project.runpytest_subprocess("--layer", "static,bogus", timeout=TIMEOUT)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    expected = "ERROR: unknown layer(s) ['bogus']; layers are static, plan, emulator, cluster, sandbox"
    assert expected in result.stderr.lines


def test_control_selects_the_tests_that_assess_it(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_controls="""
        import pytest

        @pytest.mark.control("STRATA-S3-001")
        def test_encrypted(): pass

        @pytest.mark.control("STRATA-S3-002", "STRATA-S3-001")
        def test_both(): pass

        @pytest.mark.control("STRATA-S3-002")
        def test_public_access(): pass

        def test_unmarked(): pass
        """
    )
    result = project.runpytest_subprocess("--control", "STRATA-S3-001", "-v", timeout=TIMEOUT)
    result.assert_outcomes(passed=2, deselected=2)
    result.stdout.fnmatch_lines(["*test_encrypted PASSED*", "*test_both PASSED*"])
    both = project.runpytest_subprocess("--control", "STRATA-S3-001,STRATA-S3-002", timeout=TIMEOUT)
    both.assert_outcomes(passed=3, deselected=1)


def test_unknown_control_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makepyfile(test_x="def test_x(): pass\n")
    result = project.runpytest_subprocess("--control", "STRATA-S3-01", timeout=TIMEOUT)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "did you mean STRATA-S3-001" in result.stderr.str()
    assert "Traceback" not in result.stderr.str()


NAMES_TEST = """\
import json
import os
from pathlib import Path


def test_names(unique_name):
    names = [unique_name("State") for _ in range(30)] + [unique_name("state") for _ in range(30)]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (Path(__file__).parent / f"names-{{worker}}-{name}.json").write_text(json.dumps(names))
"""


def _names(project: pytest.Pytester) -> list[str]:
    return [n for f in sorted(project.path.glob("names-*.json")) for n in json.loads(f.read_text())]


def test_unique_names_across_workers(project: pytest.Pytester) -> None:
    """Names become bucket names: lowercase, tagged with the run id, never repeated by another worker."""
    project.makepyfile(test_a=NAMES_TEST.format(name="a"), test_b=NAMES_TEST.format(name="b"))
    project.runpytest_subprocess("-n", "2", "--run-id", "RunX1", timeout=TIMEOUT).assert_outcomes(passed=2)
    names = _names(project)
    assert len(names) == 120 and len(set(names)) == 120
    assert all(n == n.lower() and n.startswith("state-runx1-") for n in names)


def test_unique_names_with_many_workers(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """From `-n 12` on, worker gw1 and gw11 share a run: their names must still differ."""
    project.makepyfile(test_a=NAMES_TEST.format(name="a"))
    for worker in ("gw1", "gw11"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        project.runpytest_subprocess("--run-id", "r1", timeout=TIMEOUT).assert_outcomes(passed=1)
    names = _names(project)
    assert len(names) == 120
    assert len(set(names)) == 120


def test_runs_without_xdist(project: pytest.Pytester) -> None:
    """`-p no:xdist` is the usual way to debug a test serially; the plugin must not depend on xdist's hooks."""
    project.makepyfile(test_x="def test_x(): pass\n")
    project.runpytest_subprocess("-p", "no:xdist", timeout=TIMEOUT).assert_outcomes(passed=1)


def _count_plans(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, labels: tuple[str, str]) -> int:
    """Run two test files (one per worker) planning the tiny module; return how many `terraform plan` ran."""
    real = shutil.which("terraform")
    assert real, "terraform must be on PATH"
    log = project.path / "terraform-calls.log"
    wrapper = project.path / "terraform-wrapper"
    wrapper.write_text(f'#!/usr/bin/env bash\necho "$1" >> {log}\nexec {real} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("STRATATEST_TERRAFORM", str(wrapper))
    (project.path / "tiny").mkdir()
    (project.path / "tiny" / "main.tf").write_text(TINY)
    project.makepyfile(
        test_a=PLANNING_TEST.format(label=labels[0], name="a"),
        test_b=PLANNING_TEST.format(label=labels[1], name="b"),
    )
    result = project.runpytest_subprocess("-n", "2", "--dist", "loadfile", timeout=TIMEOUT)
    result.assert_outcomes(passed=2)
    workers = {p.read_text() for p in project.path.glob("worker-*")}
    assert len(workers) == 2, f"both files ran in one worker ({workers}): the test proves nothing"
    return log.read_text().splitlines().count("plan")


def test_same_plan_is_computed_once_per_run(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fifty assertions in ten files must cost one plan, whichever worker asks first."""
    assert _count_plans(project, monkeypatch, ("same", "same")) == 1


def test_different_variables_are_planned_separately(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _count_plans(project, monkeypatch, ("one", "two")) == 2


def test_inert_in_a_project_that_is_not_stratatests(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed but unused: an unrelated test suite runs as before; no record, no cache, no tool probing."""
    cache = pytester.path / "cache"
    monkeypatch.setenv("STRATATEST_CACHE_DIR", str(cache))
    monkeypatch.delenv("STRATATEST_CATALOGUE", raising=False)
    pytester.makepyfile(test_plain="def test_ok():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "0")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    assert not cache.exists()
    assert "stratatest:" not in result.stdout.str() + result.stderr.str()  # no notice, no error


def test_a_stack_the_run_could_not_destroy_is_in_the_record(project: pytest.Pytester) -> None:
    """A destroy that failed keeps the stack's state in the run's folder: the record lists it with the command
    that finishes the job, and a run that otherwise passed fails."""
    project.makepyfile(
        test_left="""
        from pathlib import Path

        import pytest

        from stratatest import runs


        @pytest.mark.static
        def test_keeps_a_stack(run_id):
            runs.write_manifest(run_id, {"target": "moto", "region": "us-east-1"})
            folder = runs.stack_folder(run_id, Path("terraform/modules/rds"))
            runs.mark_stack(folder, {"module": "terraform/modules/rds", "relative_path": "."})
        """
    )
    results = project.path / "results.json"
    result = project.runpytest_subprocess("--run-id", "leftrec", f"--results={results}", timeout=TIMEOUT)
    result.assert_outcomes(passed=1)
    record = json.loads(results.read_text())
    try:
        [left] = record["left_behind"]
        assert (left["kind"], left["what"], left["finish"]) == (
            "stack",
            "terraform/modules/rds",
            "stratatest cleanup leftrec",
        )
        assert record["summary"]["verdict"] == "failed"
    finally:
        shutil.rmtree(runs.run_dir("leftrec"), ignore_errors=True)
