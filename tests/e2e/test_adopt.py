"""A team adopts stratatest in its own repository, the README's way, without editing a module.

`adopter/` is such a repository (nested module calls, count and for_each, a root with its own provider block, a
sensitive output, a module needing hashicorp/random, which this machine does not have, and a chart). It is copied
to a scratch folder outside this project; then `stratatest init`, `pytest` and `stratatest run` run there as a
user would run them. A pytest run in an unrelated folder must not notice that stratatest is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stratatest import runs
from stratatest.errors import ConfigError

ADOPTER = Path(__file__).resolve().parent / "adopter"
STRATATEST = [sys.executable, "-m", "stratatest.cli"]


def _env(tmp: Path) -> dict[str, str]:
    """The user's environment: nothing of this project's (no catalogue, no target), a temp folder of its own, and
    a results cache of its own (an earlier test run's passes would otherwise be reused, and this one run nothing)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRATATEST_", "PYTEST_"))}
    return env | {"TMPDIR": str(tmp), "STRATATEST_RESULTS_CACHE": str(tmp / "results-cache")}


def _digests(root: Path) -> dict[str, str]:
    files = (p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _embedded_runs_kept() -> set[str]:
    """Runs with state kept for the embedded moto (the adopter's runs use the default cache, as this one does when
    STRATATEST_CACHE_DIR is unset): there should never be any, since that target ends with its run."""
    if os.environ.get("STRATATEST_CACHE_DIR"):
        pytest.skip("the adopter's runs keep state in the default cache, not in STRATATEST_CACHE_DIR")
    return {r for r in runs.kept_runs() if runs.kept_stacks(r) and _target_of(r) == "moto"}


def _target_of(run_id: str) -> str | None:
    try:
        return runs.read_manifest(run_id).get("target")
    except ConfigError:  # another test's run ended and went while it was listed
        return None


def _run(argv: list[str], cwd: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=_env(tmp), capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """The repository copied out, and `stratatest init` run in it; its files' digests before init."""
    repo = tmp_path_factory.mktemp("adopter") / "repo"
    shutil.copytree(ADOPTER, repo)
    before = _digests(repo)
    tmp = tmp_path_factory.mktemp("tmp")
    init = _run([*STRATATEST, "init", "--catalogue"], repo, tmp)
    assert init.returncode == 0, init.stdout + init.stderr
    assert init.stdout.splitlines() == [
        "wrote   pytest.ini",
        "wrote   controls/catalogue.yaml",
        "wrote   tests/test_stacks_network.py",
        "wrote   tests/test_stacks_random_id.py",
        "wrote   tests/test_stacks_storage.py",
        "wrote   tests/test_charts_web_chart.py",
        f"found 3 module(s) and 1 chart(s) under {repo}",
    ]
    return repo, tmp, before


def test_init_writes_settings_and_a_test_per_module_and_chart_and_keeps_what_exists(adopted) -> None:
    repo, tmp, _ = adopted
    assert "[stratatest]\nmodules = stacks\ncharts = charts\ntests = tests\n" in (repo / "pytest.ini").read_text()
    network = (repo / "tests" / "test_stacks_network.py").read_text()
    assert 'MODULE = "network"' in network and 'VARIABLES = {"name": "example"}' in network  # its required one
    again = _run([*STRATATEST, "init"], repo, tmp)
    assert again.returncode == 0 and "wrote" not in again.stdout, again.stdout  # nothing overwritten


def test_pytest_plans_applies_reads_back_checks_drift_and_destroys_with_nothing_left(adopted) -> None:
    """The generated tests, as they are: both AWS modules plan and apply into the embedded moto, are idempotent
    and destroyed; the one needing hashicorp/random fails with one line naming it; the chart lints and renders."""
    repo, tmp, before = adopted
    kept = _embedded_runs_kept()
    run = _run([sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider", "-rf"], repo, tmp)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "2 failed, 5 passed" in out, out
    failed = sorted(line for line in out.splitlines() if line.startswith("FAILED"))
    assert [line.split(" ")[1] for line in failed] == [
        "tests/test_stacks_random_id.py::test_apply_is_idempotent",
        "tests/test_stacks_random_id.py::test_plan",
    ], out
    reasons = [line for line in out.splitlines() if line.startswith("ToolMissing:")]  # each failure's whole story
    assert len(reasons) == 2 and all("could not get provider hashicorp/random" in r for r in reasons), out
    assert "Traceback" not in out and "ExceptionGroup" not in out, out
    assert "resource(s) in moto" not in out and "stratatest cleanup" not in out, out  # nothing leaked or kept
    assert _embedded_runs_kept() == kept  # not even the copy whose init failed
    after = _digests(repo)
    assert {k: v for k, v in after.items() if k in before} == before  # no module, chart or file of theirs edited


def test_stratatest_run_works_in_their_repository_and_signs_the_reports(adopted) -> None:
    repo, tmp, _ = adopted
    run = _run([*STRATATEST, "run", "--layer", "plan", "--layer", "static", "--workers", "1"], repo, tmp)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out  # random-id cannot be planned here
    record = json.loads((repo / "reports" / "results.json").read_text())
    outcomes = {r["nodeid"]: r["outcome"] for r in record["results"]}
    assert outcomes == {
        "tests/test_charts_web_chart.py::test_lints_and_renders": "passed",
        "tests/test_stacks_network.py::test_plan": "passed",
        "tests/test_stacks_random_id.py::test_plan": "failed",
        "tests/test_stacks_storage.py::test_plan": "passed",
    }, outcomes
    assert [c["id"] for c in record["controls"]] == ["EXAMPLE-001"]
    verify = _run([*STRATATEST, "verify", "reports"], repo, tmp)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_an_unrelated_pytest_run_is_left_alone(tmp_path: Path) -> None:
    """Same output as with the plugin blocked; nothing created in the temp folder, no stratatest process state."""
    project, tmp = tmp_path / "project", tmp_path / "tmp"
    project.mkdir()
    tmp.mkdir()
    (project / "test_plain.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    with_plugin = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, tmp)
    assert with_plugin.returncode == 0, with_plugin.stdout + with_plugin.stderr
    assert list(tmp.iterdir()) == [], "an unrelated run created files in the temp folder"
    without = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:stratatest.plugin"], project, tmp
    )
    strip = [line for line in with_plugin.stdout.splitlines() if " in " not in line]  # timings differ
    assert strip == [line for line in without.stdout.splitlines() if " in " not in line]
    assert with_plugin.stderr == without.stderr == ""
