"""Every report format, written from the one canonical record, then signed.

The formats never read the test session, only the RunRecord: a report can be rebuilt later from results.json
alone (`stratatest report`), and two formats cannot disagree about a control.

A report set is only worth its signature, so nothing is written until everything that can fail without the disk
has succeeded: the record is read and checked, the signing key loaded, the folder found writable and every format
rendered in memory. Then each file is replaced atomically, the attestation last, under a lock on the folder so two
runs writing into one folder cannot interleave into a set whose signature matches neither.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from filelock import FileLock, Timeout

from stratatest.compliance.results import RunRecord
from stratatest.errors import ConfigError
from stratatest.paths import write_atomic
from stratatest.report import controls_csv, html, junit, ocsf, oscal, sarif
from stratatest.report.attest import LOCK_FILE, sign_reports, signing_key
from stratatest.report.history import HISTORY_DIR, earlier_runs, keep_run

RESULTS_FILE = "results.json"
OSCAL_PLAN_FILE = "oscal-assessment-plan.json"
#: How long a report waits for another process writing into the same folder.
LOCK_TIMEOUT_S = 300


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


def check_out_dir(path: Path) -> None:
    """The reports folder exists (created when only its last part is missing) and takes new files, history/
    included; ConfigError otherwise. Called before a run, so a wrong folder is one line up front, not a failure
    after the work."""
    if not path.is_dir():
        _create_folder(path)
    history = path / HISTORY_DIR
    if history.exists() and not history.is_dir():
        raise ConfigError(f"{history}: not a folder; the reports keep earlier runs there: move it away")
    for folder in (path, history) if history.is_dir() else (path,):
        try:
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".stratatest-probe-")
        except OSError as err:
            raise ConfigError(f"{folder}: cannot write reports there: {err.strerror or err}") from None
        os.close(fd)
        os.unlink(probe)


def _create_folder(path: Path) -> None:
    if path.exists():
        raise ConfigError(f"{path}: not a folder: give a folder for the reports")
    try:
        path.mkdir()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: cannot create the reports folder: {path.parent} does not exist", hint="create it first"
        ) from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot create the reports folder: {err.strerror or err}") from None


def write_reports(results_path: Path, out_dir: Path, key_path: Path | None = None) -> tuple[list[Path], list[str]]:
    """Read the record at `results_path`, write every format and the record into `out_dir`, keep the run, sign.

    Returns the paths written (the record, each format, the attestation) and notes on kept runs the trend had to
    leave out. Everything that can be refused is refused before the first file is replaced.
    """
    record = RunRecord.read(results_path)
    private_key = signing_key(key_path)
    check_out_dir(out_dir)
    try:
        with FileLock(out_dir / LOCK_FILE, timeout=LOCK_TIMEOUT_S):
            return _write_locked(record, out_dir, private_key)
    except Timeout:
        raise ConfigError(
            f"{out_dir}: another stratatest has been writing reports here for {LOCK_TIMEOUT_S} s",
            hint="wait for it, or give another folder",
        ) from None


def _write_locked(record: RunRecord, out_dir: Path, private_key: PrivateKeyTypes) -> tuple[list[Path], list[str]]:
    history_dir = out_dir / HISTORY_DIR
    history, notes = earlier_runs(history_dir, record.run_id)
    canonical = record.to_json()  # the summary is derived again, never copied from the file read
    rendered = {RESULTS_FILE: canonical, **{name: render(record) for name, render in _formats(history).items()}}
    written = []
    for name, text in rendered.items():
        path = out_dir / name
        write_atomic(path, text, controls_csv.ENCODING if name.endswith(".csv") else "utf-8")
        written.append(path)
    keep_run(record, canonical, history_dir)
    kept = sorted(history_dir.glob("*.json"))  # what the trends are drawn from: signed with the reports
    written.append(sign_reports(record, out_dir, written + kept, private_key))
    return written, notes
