"""The console summary: aligned tables per layer and per control, and a verdict that never hides gaps."""

from __future__ import annotations

from stratatest.compliance.catalogue import Catalogue, Control
from stratatest.compliance.results import RunRecord, TestResult, rollup
from stratatest.report.summary import REASON_WIDTH, format_summary

CATALOGUE = Catalogue(
    [
        Control("STRATA-S3-001", "enc", "high", "r", "m", notes="n"),
        Control("STRATA-S3-003", "tls", "high", "r", "m", notes="n"),
        Control("STRATA-TFSTATE-001", "state", "critical", "r", "m", notes="n"),
        Control("STRATA-KMS-001", "rotation", "medium", "r", "m", notes="n"),
    ]
)


def record(*results: TestResult, commit: str | None = "0123456789abcdef0123", dirty: bool = False) -> RunRecord:
    return RunRecord(
        run_id="st42",
        started="2025-01-01T00:00:00.000+00:00",
        finished="2025-01-01T00:00:09.000+00:00",
        results=list(results),
        controls=rollup(results, CATALOGUE),
        commit=commit,
        dirty=dirty,
        target={"name": "moto"},
    )


def t(name: str, outcome: str, layer: str | None, *controls: str, reason: str | None = None) -> TestResult:
    return TestResult(f"tests/test_x.py::{name}", name, layer, outcome, list(controls), skip_reason=reason)


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
    assert rows[0].split() == ["layer", "passed", "failed", "error", "skipped", "xfail", "xpass", "total"]
    assert rows[2].split() == ["plan", "1", "1", "0", "0", "0", "0", "2"]
    assert rows[3].split() == ["emulator", "1", "0", "0", "1", "0", "0", "2"]
    assert rows[4].split()[:2] == ["(no", "layer)"]
    assert rows[-1].split() == ["total", "2", "1", "1", "1", "0", "0", "5"]
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
    assert verdict == ("Verdict: FAILED (2 tests failed or errored; controls: 1 failed, 1 passed, 2 not assessed of 4)")


def test_verdict_passed_still_states_what_was_not_assessed() -> None:
    text = format_summary(record(t("test_enc", "passed", "static", "STRATA-S3-001")))
    assert text.splitlines()[-1] == (
        "Verdict: PASSED (1 tests, none failed; controls: 0 failed, 1 passed, 3 not assessed of 4)"
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
