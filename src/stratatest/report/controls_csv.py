"""One CSV row per catalogue control, for auditors who work in a spreadsheet.

Derived from the results record alone. Every row repeats the run id, commit and finish time so rows pasted
together from several runs stay attributable. The text comes from test messages, skip reasons and waiver
reasons that anyone can write, so a cell a spreadsheet would run as a formula is defused (see `safe_cell`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from stratatest.compliance.results import ControlStatus, RunRecord

#: Write the text with this encoding: the byte-order mark is how Excel recognises UTF-8 (≥, …, names).
ENCODING = "utf-8-sig"
COLUMNS = (
    "control",
    "title",
    "severity",
    "status",
    "layers",
    "tests_total",
    "tests_passed",
    "tests_failed",
    "tests_skipped",
    "tests_waived",
    "findings_passed",
    "findings_failed",
    "findings_waived",
    "findings_skipped",
    "waivers",
    "frameworks",
    "not_assessed_reason",
    "run_id",
    "commit",
    "finished",
)
# A cell starting with one of these is evaluated by Excel, LibreOffice and Google Sheets (OWASP, CSV injection);
# tab and carriage return too, because some importers strip them and evaluate what follows.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def render_controls_csv(record: RunRecord) -> str:
    """The table as CSV text (RFC 4180: comma, double quotes, CRLF); write it with `ENCODING`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for control in record.controls:
        writer.writerow([safe_cell(v) for v in _row(control, record)])
    return out.getvalue()


def safe_cell(value: Any) -> Any:
    """A string a spreadsheet would evaluate gets a leading apostrophe, which shows it as text; numbers pass."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _row(control: ControlStatus, record: RunRecord) -> list[Any]:
    findings = control.findings
    return [
        control.id,
        control.title,
        control.severity,
        control.status.replace("_", " "),  # "not assessed", as the summary and the auditors say it
        "; ".join(control.layers),
        len(control.tests),
        control.passed,
        control.failed,
        control.skipped,
        control.waived,
        findings.get("passed", 0),
        findings.get("failed", 0),
        findings.get("waived", 0),
        findings.get("skipped", 0),
        "; ".join(control.waivers),
        frameworks(control.mappings),
        control.not_assessed_reason,
        record.run_id,
        record.commit or "",
        record.finished,
    ]


def frameworks(mappings: Iterable[dict[str, Any]]) -> str:
    """ "CIS AWS Foundations 5.0.0: 2.1.4; AWS FSBP 1.0.0: S3.8": the version beside each id, as frameworks
    renumber between versions."""
    return "; ".join(f"{m['framework']} {m['version']}: {', '.join(m['ids'])}" for m in mappings)
