"""Every report format, written from the one canonical record, then signed.

The formats never read the test session, only the RunRecord: a report can be rebuilt later from results.json
alone (`stratatest report`), and two formats cannot disagree about a control.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stratatest.compliance.results import RunRecord
from stratatest.report import controls_csv, html, junit, ocsf, oscal, sarif
from stratatest.report.attest import sign_reports
from stratatest.report.history import earlier_runs, keep_run

RESULTS_FILE = "results.json"
HISTORY_DIR = "history"
OSCAL_PLAN_FILE = "oscal-assessment-plan.json"


def _formats(history: list[RunRecord]) -> dict[str, Callable[[RunRecord], str]]:
    return {
        "junit.xml": junit.render_junit,
        "results.sarif": sarif.render_sarif,
        "controls.csv": controls_csv.render_controls_csv,
        OSCAL_PLAN_FILE: oscal.assessment_plan,
        "oscal-assessment-results.json": lambda r: oscal.assessment_results(r, plan_href=OSCAL_PLAN_FILE),
        "ocsf-findings.jsonl": ocsf.findings_jsonl,
        "report.html": lambda r: html.render_html(r, history),
    }


def write_reports(results_path: Path, out_dir: Path, key_path: Path | None = None) -> tuple[list[Path], list[str]]:
    """Read the record at `results_path`, write every format into `out_dir`, keep the run, sign.

    Returns the paths written and notes on kept runs the trend had to leave out. The record itself is copied
    into `out_dir` when it lives elsewhere, so the signed set is complete.
    """
    record = RunRecord.read(results_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    history_dir = out_dir / HISTORY_DIR
    history, notes = earlier_runs(history_dir, record.run_id)
    written = []
    canonical = out_dir / RESULTS_FILE
    if results_path.resolve() != canonical.resolve():
        record.write(canonical)
    written.append(canonical)
    for name, render in _formats(history).items():
        path = out_dir / name
        path.write_text(render(record), encoding=controls_csv.ENCODING if name.endswith(".csv") else "utf-8")
        written.append(path)
    keep_run(record, canonical, history_dir)
    written.append(sign_reports(record, out_dir, written, key_path))
    return written, notes
