"""The console summary: aligned tables per layer and per control, waivers, and a verdict that never hides gaps."""

from __future__ import annotations

from stratatest.compliance.catalogue import Catalogue, Control
from stratatest.compliance.results import Finding, RunRecord, TestResult, WaiverStatus, rollup
from stratatest.report.summary import REASON_WIDTH, format_summary

CATALOGUE = Catalogue(
    [
        Control("STRATA-S3-001", "enc", "high", "r", "m", notes="n"),
        Control("STRATA-S3-003", "tls", "high", "r", "m", notes="n"),
        Control("STRATA-TFSTATE-001", "state", "critical", "r", "m", notes="n"),
        Control("STRATA-KMS-001", "rotation", "medium", "r", "m", notes="n"),
    ]
)


def record(
    *results: TestResult,
    commit: str | None = "0123456789abcdef0123",
    dirty: bool = False,
    findings: tuple[Finding, ...] = (),
    waivers: tuple[WaiverStatus, ...] = (),
    catalogue: Catalogue = CATALOGUE,
) -> RunRecord:
    return RunRecord(
        run_id="st42",
        started="2025-01-01T00:00:00.000+00:00",
        finished="2025-01-01T00:00:09.000+00:00",
        results=list(results),
        controls=rollup(results, catalogue, findings),
        findings=list(findings),
        waivers=list(waivers),
        commit=commit,
        dirty=dirty,
        target={"name": "moto"},
    )


def t(
    name: str, outcome: str, layer: str | None, *controls: str, reason: str | None = None, waiver: str | None = None
) -> TestResult:
    return TestResult(
        f"tests/test_x.py::{name}", name, layer, outcome, list(controls), skip_reason=reason, waiver=waiver
    )


def checkov(result: str, control: str, resource: str = "aws_s3_bucket.logs") -> Finding:
    return Finding(
        "checkov", "terraform", "CKV_AWS_19", "sse", result, resource, "terraform/main.tf", [1, 5], "static", [control]
    )


MIXED = record(
    t("test_enc", "passed", "plan", "STRATA-S3-001"),
    t("test_enc_emulated", "passed", "emulator", "STRATA-S3-001"),
    t(
        "test_tls",
        "skipped",
        "emulator",
        "STRATA-S3-003",
        reason="emulator cannot evaluate SecureTransport",
    ),
    t("test_backend", "failed", "plan", "STRATA-TFSTATE-001"),
    t("test_helper", "error", None),
)


def section(text: str, first_header: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first_header))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def test_layer_table_counts_and_alignment() -> None:
    rows = section(format_summary(MIXED), "layer")
    assert rows[0].split() == ["layer", "passed", "failed", "error", "skipped", "xfail", "xpass", "waived", "total"]
    assert rows[2].split() == ["plan", "1", "1", "0", "0", "0", "0", "0", "2"]
    assert rows[3].split() == ["emulator", "1", "0", "0", "1", "0", "0", "0", "2"]
    assert rows[4].split()[:2] == ["(no", "layer)"]
    assert rows[-1].split() == ["total", "2", "1", "1", "1", "0", "0", "0", "5"]
    # right-aligned numbers: every row ends its "total" column at the same place
    assert len({len(row) for row in rows}) == 1


def test_control_table_statuses_and_not_assessed_reason() -> None:
    rows = section(format_summary(MIXED), "control")
    by_id = {row.split()[0]: row for row in rows[2:]}
    assert by_id["STRATA-S3-001"].split()[1:4] == ["high", "PASSED", "2"]
    assert "FAILED" in by_id["STRATA-TFSTATE-001"] and "1 of 1 tests failed" in by_id["STRATA-TFSTATE-001"]
    assert "NOT ASSESSED" in by_id["STRATA-S3-003"]
    assert by_id["STRATA-S3-003"].endswith("emulator cannot evaluate SecureTransport")
    assert by_id["STRATA-KMS-001"].endswith("no test ran for this control")
    # the status column starts at the same offset on every row
    assert len({row.index(row.split()[2]) for row in rows[2:]}) == 1


def test_passed_control_names_the_tests_it_did_not_assess() -> None:
    text = format_summary(
        record(
            t("test_app", "passed", "static", "STRATA-S3-001"),
            t("test_agent", "skipped", "static", "STRATA-S3-001", reason="exception on the workload: root"),
        )
    )
    row = next(line for line in text.splitlines() if line.startswith("STRATA-S3-001"))
    assert "PASSED" in row and row.endswith("1 of 2 not assessed: exception on the workload: root")


def test_long_reason_is_cut_to_one_line() -> None:
    reason = "x" * 200 + "\nsecond line"
    text = format_summary(record(t("test_tls", "skipped", "plan", "STRATA-S3-003", reason=reason)))
    row = next(line for line in text.splitlines() if line.startswith("STRATA-S3-003"))
    assert row.endswith("x" * (REASON_WIDTH - 3) + "...")
    assert "second line" not in text


def test_verdict_failed_counts_failures_and_controls() -> None:
    verdict = format_summary(MIXED).splitlines()[-1]
    assert verdict == (
        "Verdict: FAILED (2 tests failed or errored; controls: 1 failed, 0 waived, 1 passed, 2 not assessed of 4)"
    )


def test_verdict_passed_still_states_what_was_not_assessed() -> None:
    text = format_summary(record(t("test_enc", "passed", "static", "STRATA-S3-001")))
    assert text.splitlines()[-1] == (
        "Verdict: PASSED (1 tests, none failed; controls: 0 failed, 0 waived, 1 passed, 3 not assessed of 4)"
    )


def test_verdict_when_nothing_ran() -> None:
    text = format_summary(record())
    assert "Layers: no test ran" in text
    assert text.splitlines()[-1].startswith("Verdict: NO TESTS RAN")


def test_header_shows_run_commit_and_target() -> None:
    assert format_summary(record(dirty=True)).splitlines()[0] == (
        "stratatest run st42  commit 0123456789ab (uncommitted changes)  target moto"
    )
    assert "no git commit" in format_summary(record(commit=None)).splitlines()[0]


def test_plain_ascii_without_colour_codes() -> None:
    text = format_summary(MIXED)
    assert "\x1b[" not in text
    assert text.isascii()


# -- waivers, findings, layers ----------------------------------------------------------------------------


def control_row(text: str, control_id: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(control_id))


WAIVED = record(
    t("test_enc", "passed", "plan", "STRATA-S3-001"),
    t("test_tls", "waived", "plan", "STRATA-S3-003", reason="waived by W-001 (...)", waiver="W-001"),
    waivers=(
        WaiverStatus("W-001", "active", expires="2027-01-31", age_days=56, applied_to=["tests/test_x.py::test_tls"]),
        WaiverStatus("W-002", "active", expires="2027-03-01", age_days=3),
        WaiverStatus("W-003", "expired", problem="expired on 2026-06-30"),
        WaiverStatus("#4", "invalid", problem="missing field 'approver'"),
    ),
)


def test_a_waived_control_names_its_waivers_and_the_run_passes() -> None:
    text = format_summary(WAIVED)
    row = control_row(text, "STRATA-S3-003")
    assert row.split()[1:4] == ["high", "WAIVED", "1"]
    assert row.endswith("accepted deviation: W-001")
    assert section(text, "layer")[2].split() == ["plan", "1", "0", "0", "0", "0", "0", "1", "2"]
    assert text.splitlines()[-1] == (
        "Verdict: PASSED (2 tests, none failed; controls: 0 failed, 1 waived, 1 passed, 2 not assessed of 4)"
    )


def test_every_waiver_is_listed_expired_and_invalid_ones_loudly() -> None:
    lines = [line for line in format_summary(WAIVED).splitlines() if line.startswith("waiver ")]
    assert lines == [
        "waiver W-001: active, 56 days old, expires 2027-01-31, covered 1",
        "waiver W-002: active, 3 days old, expires 2027-03-01, covered nothing this run",
        "waiver W-003: EXPIRED, not applied: expired on 2026-06-30",
        "waiver #4: INVALID, not applied: missing field 'approver'",
    ]


def test_no_waiver_lines_without_waivers() -> None:
    assert "waiver" not in format_summary(MIXED)


def test_failed_findings_are_named_in_the_control_note() -> None:
    text = format_summary(
        record(
            t("test_enc", "failed", "plan", "STRATA-S3-001"),
            t("test_enc_2", "passed", "plan", "STRATA-S3-001"),
            findings=(checkov("failed", "STRATA-S3-001"), checkov("failed", "STRATA-S3-003")),
        )
    )
    both = control_row(text, "STRATA-S3-001")
    assert both.split()[2:4] == ["FAILED", "2"]
    assert both.endswith("  1 of 2 tests failed; 1 Checkov finding(s) failed")
    only_findings = control_row(text, "STRATA-S3-003")
    assert only_findings.split()[2:4] == ["FAILED", "0"]
    assert only_findings.endswith("  1 Checkov finding(s) failed")


def test_a_control_passed_by_findings_alone() -> None:
    text = format_summary(record(findings=(checkov("passed", "STRATA-S3-001"),)))
    assert control_row(text, "STRATA-S3-001").split()[1:] == ["high", "PASSED", "0"]


def test_controls_assessed_per_layer_line() -> None:
    text = format_summary(
        record(
            t("test_enc", "passed", "emulator", "STRATA-S3-001"),
            t("test_tls", "skipped", "cluster", "STRATA-S3-003", reason="no cluster"),
            findings=(checkov("passed", "STRATA-S3-001"), checkov("failed", "STRATA-KMS-001")),
        )
    )
    assert text.splitlines()[-2] == "Controls assessed per layer: static 2, emulator 1"
    assert format_summary(record()).splitlines()[-2] == "Controls assessed per layer: none"


def test_a_not_assessable_control_says_why_instead_of_no_test_ran() -> None:
    catalogue = Catalogue(
        [
            Control("STRATA-K8S-001", "psa", "high", "r", "m", notes="n", not_assessable="needs a cluster\nand more"),
            Control("STRATA-K8S-002", "netpol", "high", "r", "m", notes="n"),
        ]
    )
    text = format_summary(
        record(t("test_psa", "skipped", "cluster", "STRATA-K8S-001", reason="no cluster here"), catalogue=catalogue)
    )
    row = control_row(text, "STRATA-K8S-001")
    assert "NOT ASSESSED" in row and row.endswith("  needs a cluster"), "the catalogue's reason, first line"
    assert control_row(text, "STRATA-K8S-002").endswith("no test ran for this control")


def test_an_interrupted_run_says_so_and_lists_what_is_left() -> None:
    """Whatever passed before the interrupt, the run is not a pass; what is left comes with its command."""
    from dataclasses import replace

    from stratatest.compliance.results import LeftBehind
    from stratatest.report.attest import statement

    left = LeftBehind("stack", "terraform/modules/rds", "/cache/runs/st42/stacks/rds-x", "stratatest cleanup st42")
    rec = replace(record(t("test_enc", "passed", "static", "STRATA-S3-001")), interrupted="SIGTERM", left_behind=[left])
    assert rec.verdict == "interrupted"
    text = format_summary(rec)
    assert text.splitlines()[-1].startswith("Verdict: INTERRUPTED by SIGTERM (1 tests, 0 failed or errored; 1 left")
    assert "  stack terraform/modules/rds (/cache/runs/st42/stacks/rds-x): stratatest cleanup st42" in text
    assert statement(rec, {})["predicate"]["result"] == "FAILED"
    again = RunRecord.from_dict(rec.to_dict())
    assert (again.interrupted, again.left_behind) == ("SIGTERM", [left])


def test_something_left_behind_fails_a_run_that_otherwise_passed() -> None:
    from dataclasses import replace

    from stratatest.compliance.results import LeftBehind

    arn = "arn:aws:s3:::leak"
    left = LeftBehind("resource", arn, "moto us-west-2", "stratatest sweep --target moto --region us-west-2 --yes")
    rec = replace(record(t("test_enc", "passed", "static", "STRATA-S3-001")), left_behind=[left])
    assert rec.verdict == "failed"
    assert "1 left behind" in format_summary(rec).splitlines()[-1]
