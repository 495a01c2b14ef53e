"""`stratatest run` replaces the reports only with the record of a run that ran; concurrent runs lose nothing.

A scratch repository with one quick test is run for real through the CLI (pytest in a child process, the
plugin, every report format, the signature). Then runs that never get to a test (a mistyped flag, a selection
with no test, a reports folder that cannot be written) must leave the signed reports exactly as they were.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRATATEST = [sys.executable, "-m", "stratatest.cli"]

TEST = """
import pytest


@pytest.mark.static
@pytest.mark.control("STRATA-S3-001")
def test_quick():
    pass
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "terraform").mkdir()
    (root / "tests").mkdir()
    (root / "tests" / "test_quick.py").write_text(textwrap.dedent(TEST))
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    first = run(root, "run", "--workers", "1")
    assert first.returncode == 0, first.stdout + first.stderr
    return root


def run(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"STRATATEST_CATALOGUE": str(ROOT / "controls" / "catalogue.yaml")}
    return subprocess.run([*STRATATEST, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def snapshot(reports: Path) -> dict[str, str]:
    return {
        str(p.relative_to(reports)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(reports.rglob("*"))
        if p.is_file()
    }


def assert_untouched(project: Path, before: dict[str, str], proc: subprocess.CompletedProcess[str]) -> None:
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output and "INTERNALERROR" not in output, output
    assert snapshot(project / "reports") == before, output
    verify = run(project, "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.parametrize(
    ("argv", "code", "line"),
    [
        (["run", "--frob"], 4, "unrecognized arguments: --frob"),
        (["run", "--layer", "cluster"], 5, "no test ran; the reports in"),
        (["run", "-k", "nothing_matches"], 5, "no test ran; the reports in"),
        (["run", "--reports", "tests/test_quick.py/out"], 3, "stratatest: "),
        (["run", "--key", "missing.pem"], 3, "missing.pem"),
    ],
    ids=["mistyped-flag", "no-test-in-layer", "nothing-selected", "reports-under-a-file", "missing-key"],
)
def test_a_run_that_did_not_run_leaves_the_reports(project: Path, argv: list[str], code: int, line: str) -> None:
    before = snapshot(project / "reports")
    proc = run(project, *argv)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert line in proc.stdout + proc.stderr
    assert_untouched(project, before, proc)


def test_two_runs_at_once_keep_both_records(project: Path) -> None:
    """Both runs finish into one reports folder: the signed set is one run's, consistent, and history has both."""
    env = os.environ | {"STRATATEST_CATALOGUE": str(ROOT / "controls" / "catalogue.yaml")}
    procs = [
        subprocess.Popen(
            [*STRATATEST, "run", "--workers", "1"], cwd=project, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    run_ids = {line.split()[2] for out in outputs for line in out.splitlines() if line.startswith("stratatest run ")}
    assert len(run_ids) == 2, outputs
    history = {json.loads(p.read_text())["run_id"] for p in (project / "reports" / "history").glob("*.json")}
    assert run_ids <= history
    verify = run(project, "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
