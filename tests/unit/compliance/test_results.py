"""The results record: control roll-up rules (tests, findings, waivers), the summary block, JSON round-trip and
the git commit probe."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from stratatest.compliance.catalogue import Catalogue, Control, Mapping
from stratatest.compliance.results import (
    MESSAGE_LIMIT,
    SCHEMA_VERSION,
    ControlStatus,
    Evidence,
    Finding,
    LeftBehind,
    RunRecord,
    TestResult,
    WaiverStatus,
    git_commit,
    rollup,
    truncate,
)
from stratatest.errors import ConfigError

CATALOGUE = Catalogue(
    [
        Control(
            "C-1",
            "first",
            "high",
            "why it matters",
            "how to fix it",
            (Mapping("NIST SP 800-53", "Rev. 5", ("SC-28",)), Mapping("Checkov", "3.3", ("CKV_AWS_19",))),
        ),
        Control("C-2", "second", "low", "r", "m", notes="n"),
        Control("C-3", "third", "critical", "r", "m", notes="n", not_assessable="needs a Kubernetes cluster"),
    ]
)


def result(nodeid: str, outcome: str, *controls: str, layer: str | None = "plan", **kw: object) -> TestResult:
    return TestResult(nodeid, nodeid.rsplit("::", 1)[-1], layer, outcome, list(controls), **kw)  # type: ignore[arg-type]


def finding(
    result: str, *controls: str, layer: str = "static", resource: str = "aws_s3_bucket.logs", **kw: object
) -> Finding:
    return Finding(
        "checkov",
        "terraform_plan" if layer == "plan" else "terraform",
        "CKV_AWS_19",
        "Ensure the S3 bucket has server-side-encryption enabled",
        result,
        resource,
        "terraform/modules/logs/main.tf",
        [3, 9],
        layer,
        list(controls),
        **kw,  # type: ignore[arg-type]
    )


def statuses(*results: TestResult, findings: tuple[Finding, ...] = ()) -> dict[str, ControlStatus]:
    return {s.id: s for s in rollup(results, CATALOGUE, findings)}


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


def test_a_status_carries_what_the_control_meant() -> None:
    got = statuses()
    assert (got["C-1"].rationale, got["C-1"].remediation) == ("why it matters", "how to fix it")
    assert got["C-1"].mappings == [
        {"framework": "NIST SP 800-53", "version": "Rev. 5", "ids": ["SC-28"]},
        {"framework": "Checkov", "version": "3.3", "ids": ["CKV_AWS_19"]},
    ]
    assert got["C-3"].not_assessable == "needs a Kubernetes cluster"
    assert got["C-1"].not_assessable is None


# -- waivers ----------------------------------------------------------------------------------------------


def test_a_waived_failure_makes_the_control_waived_never_passed() -> None:
    got = statuses(
        result("t::a", "passed", "C-1"),
        result("t::b", "waived", "C-1", waiver="W-001"),
        result("t::c", "waived", "C-1", waiver="W-001"),
    )
    assert got["C-1"].status == "waived"
    assert (got["C-1"].passed, got["C-1"].failed, got["C-1"].waived) == (1, 0, 2)
    assert got["C-1"].waivers == ["W-001"]
    assert got["C-1"].reasons == [], "a waiver is not a skip reason"


def test_an_unwaived_failure_beside_a_waived_one_still_fails_the_control() -> None:
    got = statuses(result("t::a", "waived", "C-1", waiver="W-001"), result("t::b", "failed", "C-1"))
    assert got["C-1"].status == "failed"
    assert got["C-1"].waivers == ["W-001"]


# -- findings ---------------------------------------------------------------------------------------------


def test_a_failed_finding_fails_the_control_even_when_its_tests_pass() -> None:
    got = statuses(result("t::a", "passed", "C-1", layer="emulator"), findings=(finding("failed", "C-1"),))
    assert got["C-1"].status == "failed"
    assert got["C-1"].findings == {"failed": 1}
    assert got["C-1"].layers == ["static", "emulator"], "layers in cost order, whatever order they came in"


def test_a_passed_finding_alone_passes_the_control() -> None:
    got = statuses(findings=(finding("passed", "C-1"), finding("passed", "C-1", resource="aws_s3_bucket.data")))
    assert got["C-1"].status == "passed"
    assert got["C-1"].findings == {"passed": 2}
    assert (got["C-1"].tests, got["C-1"].layers) == ([], ["static"])


def test_a_waived_finding_makes_the_control_waived_and_names_the_waiver() -> None:
    got = statuses(
        result("t::a", "passed", "C-1"),
        findings=(finding("passed", "C-1"), finding("waived", "C-1", layer="plan", waiver="W-002")),
    )
    assert got["C-1"].status == "waived"
    assert got["C-1"].waivers == ["W-002"]
    assert got["C-1"].findings == {"passed": 1, "waived": 1}


def test_an_inline_skipped_finding_assesses_nothing() -> None:
    got = statuses(findings=(finding("skipped", "C-2", reason="the log bucket cannot log to itself"),))
    assert got["C-2"].status == "not_assessed"
    assert (got["C-2"].findings, got["C-2"].layers) == ({"skipped": 1}, [])


def test_a_finding_mapped_to_no_control_changes_no_status() -> None:
    assert {s.status for s in statuses(findings=(finding("failed"),)).values()} == {"not_assessed"}


def test_a_skipped_test_does_not_count_its_layer_as_assessed() -> None:
    got = statuses(result("t::a", "skipped", "C-2", layer="cluster"), result("t::b", "failed", "C-2", layer="plan"))
    assert got["C-2"].layers == ["plan"]


# -- record, summary, JSON --------------------------------------------------------------------------------


def make_record(*results: TestResult, findings: tuple[Finding, ...] = (), **kw: object) -> RunRecord:
    return RunRecord(
        run_id="st1234",
        started="2025-01-01T00:00:00.000+00:00",
        finished="2025-01-01T00:01:00.000+00:00",
        results=list(results),
        controls=rollup(results, CATALOGUE, findings),
        findings=list(findings),
        commit="a" * 40,
        dirty=True,
        target={"name": "moto", "region": "us-east-1"},
        tool_versions={"terraform": "1.9.8", "pytest": "9.0"},
        command_line="pytest -n 2",
        **kw,  # type: ignore[arg-type]
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
        "waived": 0,
    }
    assert list(summary["layers"]) == ["static", "plan", "none"]
    assert summary["layers"]["plan"]["failed"] == 1 and summary["layers"]["plan"]["skipped"] == 1
    assert summary["controls"] == {"failed": 1, "waived": 0, "not_assessed": 1, "passed": 1}
    assert summary["verdict"] == "failed"
    assert summary["findings"] == {"passed": 0, "failed": 0, "skipped": 0, "waived": 0}
    assert summary["waivers"] == {"active": 0, "expired": 0, "invalid": 0}


def test_summary_counts_controls_assessed_per_layer_findings_and_waivers() -> None:
    record = make_record(
        result("t::a", "passed", "C-1", layer="emulator"),
        result("t::b", "waived", "C-2", layer="plan", waiver="W-001"),
        result("t::c", "skipped", "C-3", layer="cluster"),
        findings=(finding("passed", "C-1"), finding("failed", "C-2", layer="plan"), finding("skipped")),
        waivers=[WaiverStatus("W-001", "active"), WaiverStatus("W-002", "expired"), WaiverStatus("#3", "invalid")],
    )
    summary = record.summary()
    # C-1 by static and emulator, C-2 by plan (twice, counted once); the skipped cluster test assessed nothing.
    assert summary["assessed_by_layer"] == {"static": 1, "plan": 1, "emulator": 1}
    assert list(summary["assessed_by_layer"]) == ["static", "plan", "emulator"]
    assert summary["findings"] == {"passed": 1, "failed": 1, "skipped": 1, "waived": 0}
    assert summary["waivers"] == {"active": 1, "expired": 1, "invalid": 1}
    assert summary["controls"] == {"failed": 1, "waived": 0, "not_assessed": 1, "passed": 1}
    assert summary["outcomes"]["waived"] == 1 and summary["layers"]["plan"]["waived"] == 1


@pytest.mark.parametrize(
    ("results", "verdict"),
    [
        ([], "empty"),
        ([result("t::a", "passed", "C-1")], "passed"),
        ([result("t::a", "skipped", "C-1")], "passed"),
        ([result("t::a", "error")], "failed"),
        ([result("t::a", "xfailed", "C-1")], "failed"),  # a known failure of a control is still a failure
        ([result("t::a", "waived", "C-1", waiver="W-001")], "passed"),  # an accepted deviation: the run passes
    ],
)
def test_verdict(results: list[TestResult], verdict: str) -> None:
    assert make_record(*results).verdict == verdict


def test_a_failed_finding_fails_the_verdict_when_every_test_passed() -> None:
    record = make_record(result("t::a", "passed", "C-2"), findings=(finding("failed", "C-1"),))
    assert record.verdict == "failed"


def test_json_round_trip(tmp_path: Path) -> None:
    record = make_record(
        result("t::a", "passed", "C-1", duration=0.25, started="2025-01-01T00:00:01.000+00:00"),
        result("t::b", "failed", "C-2", message="assert 1 == 2"),
        result("t::c", "skipped", "C-3", skip_reason="why"),
        result("t::d", "waived", "C-2", message="assert 3 == 4", waiver="W-001", skip_reason="waived by W-001"),
        findings=(
            finding("passed", "C-1", layer="plan"),
            finding("waived", "C-1", waiver="W-002", reason="accepted", resource="aws_s3_bucket.b[0]"),
        ),
        evidence=[
            Evidence("plan", "terraform/envs/dev", "a" * 64, {"variables_sha256": "b" * 64}),
            Evidence("checkov-scan", "terraform", "c" * 64, {"frameworks": ["terraform"], "resources": {"x": 3}}),
        ],
        waivers=[
            WaiverStatus(
                "W-001",
                "active",
                control="C-2",
                resource="t::*",
                created="2024-12-01",
                expires="2025-02-01",
                age_days=31,
                applied_to=["t::d"],
            ),
            WaiverStatus("W-003", "invalid", problem="missing field 'approver'"),
        ],
        catalogue={"path": "controls/catalogue.yaml", "sha256": "d" * 64},
    )
    path = record.write(tmp_path / "out" / "results.json")
    back = RunRecord.read(path)
    assert back == record
    assert back.findings[1].lines == [3, 9] and back.controls[0].mappings[0]["ids"] == ["SC-28"]
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION == 3
    assert list(data)[:3] == ["schema_version", "run_id", "commit"]
    assert data["summary"]["controls"] == {"failed": 1, "waived": 1, "not_assessed": 1, "passed": 0}
    assert data["results"][1]["message"] == "assert 1 == 2"
    assert data["results"][3]["waiver"] == "W-001"
    assert data["waivers"][0]["applied_to"] == ["t::d"]
    assert data["evidence"][1]["detail"]["resources"] == {"x": 3}
    assert not list(path.parent.glob(".*.tmp")), "atomic write leaves no temp file"


def test_a_schema_1_record_is_refused_with_what_to_do(tmp_path: Path) -> None:
    """A record from before waivers and findings: reading it as this schema would report controls wrongly."""
    path = tmp_path / "old.json"
    old = {"schema_version": 1, "run_id": "st1", "started": "s", "finished": "f", "results": [], "controls": []}
    path.write_text(json.dumps(old), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        RunRecord.read(path)
    message = str(info.value)
    assert message.startswith(f"{path}: schema_version 1 is not supported (this version reads 2, 3)")
    assert "run the suite again" in message


def test_read_rejects_other_schema_versions_and_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"schema_version": 99}), encoding="utf-8")
    with pytest.raises(ConfigError, match="schema_version 99 is not supported"):
        RunRecord.read(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid JSON at line 1"):
        RunRecord.read(path)
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a stratatest results record"):
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


# -- a results file is checked field by field before anything reads (and signs) it ---------------------------

STARTED = "2025-01-01T00:00:00.000+00:00"


def valid_record() -> dict[str, Any]:
    """A record as `stratatest run` writes it, with one of everything, as JSON data."""
    record = make_record(
        result("t::a", "passed", "C-1"),
        result("t::b", "waived", "C-2", waiver="W-001"),
        findings=(finding("failed", "C-1"),),
        evidence=[Evidence("plan", "terraform/envs/dev", "a" * 64)],
        waivers=[WaiverStatus("W-001", "active", control="C-2", resource="t::*", age_days=3)],
        left_behind=[LeftBehind("stack", "network", "/tmp/runs/st1234/stacks/network", "stratatest cleanup st1234")],
        interrupted="Ctrl-C",
    )
    return json.loads(record.to_json())


def test_a_valid_record_reads_back_whole() -> None:
    data = valid_record()
    back = RunRecord.from_dict(data, "r.json")
    assert json.loads(back.to_json()) == data
    assert back.left_behind[0].finish == "stratatest cleanup st1234" and back.interrupted == "Ctrl-C"


def changed(path: str, value: object) -> dict[str, Any]:
    """The valid record with the value at `path` (dots and [i]) replaced; `DROP` removes it."""
    data = valid_record()
    *parents, last = re.findall(r"[^.\[\]]+", path)
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is DROP:
        del node[key]
    else:
        node[key] = value
    return data


DROP = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("results[1].outcome", "pased", "results[1].outcome 'pased' is not one of passed, failed, error, skipped, "),
        ("controls[0].status", "ok", "controls[0].status 'ok' is not one of failed, waived, not_assessed, passed"),
        ("findings[0].result", "FAILED", "findings[0].result 'FAILED' is not one of passed, failed, skipped, waived"),
        ("waivers[0].state", "approved", "waivers[0].state 'approved' is not one of active, expired, invalid"),
        ("results", "t::a", "results must be a list, not text 't::a'"),
        ("results[0].controls", "C-1", "results[0].controls must be a list, not text 'C-1'"),
        ("results[0].controls[0]", 7, "results[0].controls[0] must be text, not the number 7"),
        ("results[0]", ["t::a"], "results[0] must be an object, not a list"),
        ("results[0].duration", "fast", "results[0].duration must be a number, not text 'fast'"),
        ("results[0].duration", True, "results[0].duration must be a number, not true"),
        ("findings[0].lines[1]", 9.5, "findings[0].lines[1] must be a whole number, not the number 9.5"),
        ("waivers[0].age_days", "3", "waivers[0].age_days must be a whole number, not text '3'"),
        ("run_id", 1234, "run_id must be text, not the number 1234"),
        ("run_id", "../x", "run_id '../x' is not a run id (1 to 31 letters, digits, '-' and '_', starting with"),
        ("run_id", "a/b", "run_id 'a/b' is not a run id"),
        ("run_id", "st1\n", "run_id 'st1\\n' is not a run id"),
        ("run_id", "", "run_id '' is not a run id"),
        ("finished", "../../x", "finished '../../x' is not an ISO 8601 time"),
        ("dirty", "no", "dirty must be true or false, not text 'no'"),
        ("target", [], "target must be an object, not a list"),
        ("tool_versions.terraform", 1.9, "tool_versions.terraform must be text, not the number 1.9"),
        ("interrupted", 1, "interrupted must be text, not the number 1"),
        ("left_behind", {}, "left_behind must be a list, not an object"),
        ("left_behind[0].finish", DROP, "left_behind[0].finish is missing"),
        ("results[0].nodeid", DROP, "results[0].nodeid is missing"),
        ("results[0].colour", "red", "results[0].colour is not a field of a results record"),
        ("started", DROP, "started is missing"),
    ],
)
def test_a_value_no_run_writes_is_refused_naming_its_field(path: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        RunRecord.from_dict(changed(path, value), "reports/results.json")
    text = str(info.value)
    assert text.startswith(f"reports/results.json: {message}"), text
    assert "\n" not in text


def test_the_summary_is_derived_never_read_back() -> None:
    data = valid_record()
    data["summary"] = {"verdict": "passed"}
    back = RunRecord.from_dict(data)
    assert back.summary() == RunRecord.from_dict(valid_record()).summary()
    assert back.summary()["verdict"] != "passed"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe{}", "not a results record: byte 0xff at offset 0 is not UTF-8"),
        (b'{"a": NaN}', "invalid JSON: NaN is not a JSON number"),
        (b"[" * 100_000, "not a results record: JSON nested too deeply"),
    ],
)
def test_a_file_that_is_not_json_text_is_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "results.json"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        RunRecord.read(path)
    assert str(info.value) == f"{path}: {message}"


def test_a_schema_2_record_from_before_the_gate_still_reads(tmp_path: Path) -> None:
    """Kept runs in reports/history were written before `selection` and `reused_from`: the report still reads them."""
    path = tmp_path / "v2.json"
    result = {"nodeid": "t.py::a", "name": "a", "layer": "plan", "outcome": "passed"}
    when = "2026-12-01T00:00:00.000+00:00"
    old = {"schema_version": 2, "run_id": "st1", "started": when, "finished": when, "results": [result]}
    path.write_text(json.dumps(old), encoding="utf-8")
    record = RunRecord.read(path)
    assert record.selection is None and record.results[0].reused_from is None
    assert record.summary()["reused"] == 0
