"""`stratatest report` and `stratatest verify` as a user meets them: files written and signed, tampering caught,
and bad input answered in one line with exit code 3 (usage), never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from stratatest.compliance.catalogue import load_catalogue
from stratatest.compliance.results import RunRecord, TestResult, now_iso, rollup

ROOT = Path(__file__).resolve().parents[2]
FORMATS = {
    "results.json",
    "junit.xml",
    "results.sarif",
    "controls.csv",
    "oscal-assessment-plan.json",
    "oscal-assessment-results.json",
    "ocsf-findings.jsonl",
    "report.html",
    "attestation.intoto.json",
    "signing-key.pub.pem",
}


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STRATATEST_CACHE_DIR": str(tmp_path / "cache")}  # the signing key lives here
    argv = [sys.executable, "-m", "stratatest.cli", *args]
    return subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def _record(path: Path) -> None:
    catalogue = load_catalogue(ROOT / "controls" / "catalogue.yaml")
    first = catalogue.ids[0]
    results = [TestResult("tests/test_a.py::test_a", "test_a", "static", "passed", [first], 0.1, started=now_iso())]
    RunRecord("st0e2e01", now_iso(), now_iso(), results, rollup(results, catalogue)).write(path)


def test_report_writes_every_format_signed_and_verify_catches_a_change(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    _record(reports / "results.json")
    written = _cli(tmp_path, "report")
    assert written.returncode == 0, written.stdout + written.stderr
    assert {p.name for p in reports.iterdir()} >= FORMATS
    assert (reports / "history").is_dir() and len(list((reports / "history").glob("*.json"))) == 1

    ok = _cli(tmp_path, "verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "verified: 8 report files" in ok.stdout

    html = reports / "report.html"
    html.write_text(html.read_text().replace("PASSED", "FAILED", 1))
    tampered = _cli(tmp_path, "verify")
    assert tampered.returncode == 1
    assert "report.html: changed since it was signed" in tampered.stdout


def test_report_without_a_record_is_one_line(tmp_path: Path) -> None:
    proc = _cli(tmp_path, "report", "--results", "nowhere/results.json")
    assert proc.returncode == 3
    assert proc.stderr.startswith("stratatest: nowhere/results.json: cannot read results record"), proc.stderr
    assert "Traceback" not in proc.stderr


def test_verify_without_an_attestation_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    proc = _cli(tmp_path, "verify", "--key", str(tmp_path / "missing.pem"))
    assert proc.returncode == 3
    assert "missing.pem" in proc.stderr and "Traceback" not in proc.stderr
    signed_elsewhere = _cli(tmp_path, "verify")  # no local key has signed anything yet
    assert signed_elsewhere.returncode == 3
    assert "attestation" in signed_elsewhere.stderr or "signing key" in signed_elsewhere.stderr
