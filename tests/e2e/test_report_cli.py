"""`stratatest report` and `stratatest verify` as a user meets them: files written and signed, tampering caught,
and bad input answered in one line with exit code 3 (usage), never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

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


# -- what `report` refuses: one line, exit 3, nothing written, the old reports still verifying ------------------


def _signed_reports(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A reports folder written and signed with the local key, and its files' bytes (history/ included)."""
    reports = tmp_path / "reports"
    _record(reports / "results.json")
    assert _cli(tmp_path, "report").returncode == 0
    return reports, _snapshot(reports)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_line(proc: subprocess.CompletedProcess[str], start: str) -> None:
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"stratatest: {start}"), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    ("key", "start"),
    [
        ("missing.pem", "missing.pem: no such signing key — give an existing PEM private key"),
        ("folder.pem", "folder.pem: is a folder, not a PEM private key"),
        ("garbage.pem", "garbage.pem: not an unencrypted PEM private key"),
    ],
)
def test_report_with_a_key_that_cannot_sign_writes_nothing(tmp_path: Path, key: str, start: str) -> None:
    """No key is created for a --key that names none, and the reports already there stay signed as they were."""
    reports, before = _signed_reports(tmp_path)
    (tmp_path / "folder.pem").mkdir()
    (tmp_path / "garbage.pem").write_text("not a key", encoding="utf-8")
    proc = _cli(tmp_path, "report", "--key", key)
    _one_line(proc, start)
    assert not (tmp_path / "missing.pem").exists(), "a --key that names no file is never created"
    assert _snapshot(reports) == before
    ok = _cli(tmp_path, "verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr


@pytest.mark.parametrize(
    ("out", "start"),
    [
        ("a-file", "a-file: not a folder: give a folder for the reports"),
        ("a-file/reports", "a-file/reports: cannot create the reports folder: Not a directory"),
        ("no/such/reports", "no/such/reports: cannot create the reports folder: no/such does not exist"),
        ("/sys", "/sys: cannot write reports there: Permission denied"),
    ],
)
def test_report_into_a_folder_that_cannot_take_it_writes_nothing(tmp_path: Path, out: str, start: str) -> None:
    if out == "/sys" and os.access("/sys", os.W_OK) and os.geteuid() != 0:
        pytest.skip("/sys is writable here")
    _record(tmp_path / "reports" / "results.json")
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    before = _snapshot(tmp_path)
    proc = _cli(tmp_path, "report", "--out", out)
    _one_line(proc, start)
    assert {k: v for k, v in _snapshot(tmp_path).items() if not k.startswith("cache/")} == before


@pytest.mark.parametrize(
    ("edit", "start"),
    [
        (lambda text: b"\xff\xfe" + text.encode(), "reports/results.json: not a results record: byte 0xff at offset 0"),
        (
            lambda text: text.replace('"outcome": "passed"', '"outcome": "pased"').encode(),
            "reports/results.json: results[0].outcome 'pased' is not one of passed, failed, error,",
        ),
        (
            lambda text: text.replace('"run_id": "st0e2e01"', '"run_id": "../x"').encode(),
            "reports/results.json: run_id '../x' is not a run id",
        ),
        (
            lambda text: json.dumps(
                {**json.loads(text), "results": [{**json.loads(text)["results"][0], "controls": "C"}]}
            ).encode(),
            "reports/results.json: results[0].controls must be a list, not text 'C'",
        ),
    ],
    ids=["not-utf8", "bogus-outcome", "dotdot-run-id", "string-for-list"],
)
def test_report_of_a_record_no_run_wrote_is_one_line_and_signs_nothing(
    tmp_path: Path, edit: Callable[[str], bytes], start: str
) -> None:
    record = tmp_path / "reports" / "results.json"
    _record(record)
    record.write_bytes(edit(record.read_text(encoding="utf-8")))
    proc = _cli(tmp_path, "report")
    _one_line(proc, start)
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["results.json"], "nothing written, nothing signed"
    assert not (tmp_path / "x.json").exists() and not (tmp_path / "reports" / "history").exists()


def test_verify_catches_an_edited_removed_or_planted_kept_run(tmp_path: Path) -> None:
    reports, _ = _signed_reports(tmp_path)
    ok = _cli(tmp_path, "verify")
    assert "ok       history/ (1 kept run)" in ok.stdout
    assert "verified: 8 report files and 1 kept run, signature by the local signing key" in ok.stdout
    (kept,) = (reports / "history").iterdir()
    original = kept.read_bytes()
    kept.write_bytes(original.replace(b'"passed"', b'"failed"'))
    proc = _cli(tmp_path, "verify")
    assert proc.returncode == 1
    assert f"PROBLEM  history/{kept.name}: changed since it was signed (sha256 differs)" in proc.stdout
    kept.write_bytes(original)
    (reports / "history" / "2020-01-01T000000-st0forged.json").write_bytes(original)
    proc = _cli(tmp_path, "verify")
    assert proc.returncode == 1
    assert "PROBLEM  history/2020-01-01T000000-st0forged.json: not covered by the signature" in proc.stdout


@pytest.mark.parametrize(("name", "what"), [("absent", "no such folder"), ("a-file", "not a folder")])
def test_verify_of_what_is_not_a_reports_folder_is_one_line(tmp_path: Path, name: str, what: str) -> None:
    _signed_reports(tmp_path)  # so the local key exists
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    _one_line(_cli(tmp_path, "verify", name), f"{name}: {what}: give a reports folder")


def test_verify_with_a_key_that_is_not_a_public_key_is_one_line(tmp_path: Path) -> None:
    _signed_reports(tmp_path)
    (tmp_path / "folder.pem").mkdir()
    (tmp_path / "bad.pem").write_text("nope", encoding="utf-8")
    _one_line(_cli(tmp_path, "verify", "--key", "folder.pem"), "--key folder.pem: Is a directory")
    _one_line(_cli(tmp_path, "verify", "--key", "bad.pem"), "bad.pem: not a PEM public key")


def test_an_os_error_escaping_a_command_is_one_line(tmp_path: Path) -> None:
    """The cache folder (where the local key lives) under a file: the system's words and the path, exit 3."""
    _record(tmp_path / "reports" / "results.json")
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    env = {**os.environ, "STRATATEST_CACHE_DIR": str(tmp_path / "a-file" / "cache")}
    argv = [sys.executable, "-m", "stratatest.cli", "report"]
    proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    _one_line(proc, f"{tmp_path}/a-file/cache: Not a directory")
