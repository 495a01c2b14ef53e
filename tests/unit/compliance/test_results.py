"""The results record: control roll-up rules, the summary block, JSON round-trip and the git commit probe."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from stratatest.compliance.catalogue import Catalogue, Control
from stratatest.compliance.results import (
    MESSAGE_LIMIT,
    SCHEMA_VERSION,
    ControlStatus,
    RunRecord,
    TestResult,
    git_commit,
    rollup,
    truncate,
)
from stratatest.errors import ConfigError

CATALOGUE = Catalogue(
    [
        Control("C-1", "first", "high", "r", "m", notes="n"),
        Control("C-2", "second", "low", "r", "m", notes="n"),
        Control("C-3", "third", "critical", "r", "m", notes="n"),
    ]
)


def result(nodeid: str, outcome: str, *controls: str, layer: str | None = "plan", **kw: object) -> TestResult:
    return TestResult(nodeid, nodeid.rsplit("::", 1)[-1], layer, outcome, list(controls), **kw)  # type: ignore[arg-type]


def statuses(*results: TestResult) -> dict[str, ControlStatus]:
    return {s.id: s for s in rollup(results, CATALOGUE)}


# -- roll-up ----------------------------------------------------------------------------------------------


def test_every_catalogue_control_appears_in_catalogue_order_even_without_tests() -> None:
    rolled = rollup([], CATALOGUE)
    assert [s.id for s in rolled] == ["C-1", "C-2", "C-3"]
    assert all(s.status == "not_assessed" and s.tests == [] for s in rolled)
    assert (rolled[2].title, rolled[2].severity) == ("third", "critical")


def test_passed_needs_a_passing_test_and_no_failure() -> None:
    got = statuses(result("t::a", "passed", "C-1"), result("t::b", "skipped", "C-1", skip_reason="no moto"))
    assert got["C-1"].status == "passed"
    assert (got["C-1"].passed, got["C-1"].failed, got["C-1"].skipped) == (1, 0, 1)
    assert got["C-1"].tests == ["t::a", "t::b"]


@pytest.mark.parametrize("bad", ["failed", "error", "xfailed"])
def test_any_failure_fails_the_control_even_when_others_pass(bad: str) -> None:
    got = statuses(result("t::a", "passed", "C-1"), result("t::b", bad, "C-1"))
    assert got["C-1"].status == "failed"
    assert got["C-1"].failed == 1


def test_all_skipped_is_not_assessed_never_passed_and_keeps_reasons() -> None:
    got = statuses(
        result("t::a", "skipped", "C-2", skip_reason="emulator cannot evaluate TLS"),
        result("t::b", "skipped", "C-2", skip_reason="emulator cannot evaluate TLS"),
        result("t::c", "skipped", "C-2", skip_reason="no sandbox account"),
    )
    assert got["C-2"].status == "not_assessed"
    assert got["C-2"].skipped == 3
    assert got["C-2"].reasons == ["emulator cannot evaluate TLS", "no sandbox account"]


def test_xfail_reason_is_recorded_and_xpass_counts_as_passed() -> None:
    got = statuses(
        result("t::a", "xfailed", "C-1", skip_reason="moto bug 123"),
        result("t::b", "xpassed", "C-2"),
    )
    assert got["C-1"].reasons == ["xfail: moto bug 123"]
    assert got["C-2"].status == "passed"


def test_one_test_can_assess_several_controls() -> None:
    got = statuses(result("t::a", "passed", "C-1", "C-3"))
    assert got["C-1"].status == got["C-3"].status == "passed"
    assert got["C-2"].status == "not_assessed"


def test_unknown_control_is_kept_visible_not_dropped() -> None:
    got = statuses(result("t::a", "passed", "C-9"))
    assert got["C-9"].severity == "unknown"
    assert list(got)[-1] == "C-9"


# -- record, summary, JSON --------------------------------------------------------------------------------


def make_record(*results: TestResult) -> RunRecord:
    return RunRecord(
        run_id="st1234",
        started="2025-01-01T00:00:00.000+00:00",
        finished="2025-01-01T00:01:00.000+00:00",
        results=list(results),
        controls=rollup(results, CATALOGUE),
        commit="a" * 40,
        dirty=True,
        target={"name": "moto", "region": "us-east-1"},
        tool_versions={"terraform": "1.9.8", "pytest": "9.0"},
        command_line="pytest -n 2",
    )


def test_summary_counts_outcomes_layers_and_control_statuses() -> None:
    record = make_record(
        result("t::a", "passed", "C-1", layer="static"),
        result("t::b", "failed", "C-2", layer="plan"),
        result("t::c", "skipped", "C-3", layer="plan"),
        result("t::d", "error", layer=None),
    )
    summary = record.summary()
    assert summary["tests"] == 4
    assert summary["outcomes"] == {
        "passed": 1,
        "failed": 1,
        "error": 1,
        "skipped": 1,
        "xfailed": 0,
        "xpassed": 0,
    }
    assert list(summary["layers"]) == ["static", "plan", "none"]
    assert summary["layers"]["plan"]["failed"] == 1 and summary["layers"]["plan"]["skipped"] == 1
    assert summary["controls"] == {"passed": 1, "failed": 1, "not_assessed": 1}
    assert summary["verdict"] == "failed"


@pytest.mark.parametrize(
    ("results", "verdict"),
    [
        ([], "empty"),
        ([result("t::a", "passed", "C-1")], "passed"),
        ([result("t::a", "skipped", "C-1")], "passed"),
        ([result("t::a", "error")], "failed"),
        ([result("t::a", "xfailed", "C-1")], "failed"),  # a known failure of a control is still a failure
    ],
)
def test_verdict(results: list[TestResult], verdict: str) -> None:
    assert make_record(*results).verdict == verdict


def test_json_round_trip(tmp_path: Path) -> None:
    record = make_record(
        result("t::a", "passed", "C-1", duration=0.25, started="2025-01-01T00:00:01.000+00:00"),
        result("t::b", "failed", "C-2", message="assert 1 == 2"),
        result("t::c", "skipped", "C-3", skip_reason="why"),
    )
    path = record.write(tmp_path / "out" / "results.json")
    assert RunRecord.read(path) == record
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION
    assert list(data)[:3] == ["schema_version", "run_id", "commit"]
    assert data["summary"]["controls"] == {"passed": 1, "failed": 1, "not_assessed": 1}
    assert data["results"][1]["message"] == "assert 1 == 2"
    assert not list(path.parent.glob(".*.tmp")), "atomic write leaves no temp file"


def test_read_rejects_other_schema_versions_and_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"schema_version": 99}), encoding="utf-8")
    with pytest.raises(ConfigError, match="schema_version 99 is not supported"):
        RunRecord.read(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid JSON at line 1"):
        RunRecord.read(path)
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "run_id": "x"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="malformed results record"):
        RunRecord.read(path)
    with pytest.raises(ConfigError, match="cannot read"):
        RunRecord.read(tmp_path / "missing.json")


def test_truncate_keeps_short_text_and_marks_the_cut() -> None:
    assert truncate("short") == "short"
    cut = truncate("x" * (MESSAGE_LIMIT + 500))
    assert len(cut) == MESSAGE_LIMIT
    assert cut.endswith("[truncated 500 chars]")


# -- git --------------------------------------------------------------------------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@needs_git
def test_git_commit_reports_sha_and_dirty_flag(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "f.txt").write_text("1", encoding="utf-8")
    git("add", "f.txt")
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "init")
    sha, dirty = git_commit(tmp_path)
    assert sha is not None and len(sha) == 40 and dirty is False
    (tmp_path / "f.txt").write_text("2", encoding="utf-8")
    assert git_commit(tmp_path) == (sha, True)


@needs_git
def test_git_commit_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert git_commit(tmp_path) == (None, False)


def test_git_commit_without_git_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert git_commit(tmp_path) == (None, False)
