"""A secret planted in a Terraform variable and output never reaches a report or the console.

A scratch project plans a module whose sensitive variable flows into a sensitive output, plus a variable with a
secret-like name that Terraform does not know is secret. Its tests fail in the worst way for a leak: assertion
diffs that print both values, and the values printed to stdout. The run goes through pytest-xdist (reports
cross a process boundary) and then `stratatest report` writes every format. Neither value may appear in the
console output or in any file written, while the masked failure is still there as evidence.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Planted-Pa55word-7f3c91"
TOKEN = "planted-api-token-5d2e8a0b"

MODULE = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "api_token" {
  type = string
}

output "connection_string" {
  value     = "postgresql://app:${var.db_password}@db.internal:5432/app"
  sensitive = true
}

output "token_echo" {
  value = "Bearer ${var.api_token}"
}
"""

TESTS = f"""
import pytest

pytestmark = pytest.mark.plan


@pytest.fixture(scope="module")
def planned(plan_of):
    return plan_of("planted-secret", db_password={PASSWORD!r}, api_token={TOKEN!r})


@pytest.mark.control("STRATA-RDS-001")
def test_connection_string(planned):
    value = planned.output("connection_string")
    print("connecting with", value)
    assert value == "postgresql://app:something-else@db.internal:5432/app"


@pytest.mark.control("STRATA-RDS-001")
def test_token(planned):
    value = planned.output("token_echo")
    print("token is", value)
    assert value.endswith("nope")
"""


def _scratch(repo: Path) -> None:
    shutil.copytree(ROOT / "controls", repo / "controls")
    for name in ("pyproject.toml", "conftest.py"):
        shutil.copy2(ROOT / name, repo / name)
    module = repo / "terraform" / "modules" / "planted-secret"
    module.mkdir(parents=True)
    (module / "main.tf").write_text(MODULE)
    (repo / "tests").mkdir()
    (repo / "tests" / "test_planted.py").write_text(TESTS)


def _run(repo: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv], cwd=repo, env=os.environ.copy(), capture_output=True, text=True, timeout=600
    )


def test_planted_secret_appears_in_no_report_and_no_log(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _scratch(repo)
    reports = repo / "reports"
    run = _run(repo, "-m", "pytest", "tests", "-n", "2", "-rA", f"--results={reports / 'results.json'}")
    report = _run(
        repo,
        "-m",
        "stratatest.cli",
        "report",
        f"--results={reports / 'results.json'}",
        f"--key={tmp_path / 'signing.pem'}",
    )
    console = run.stdout + run.stderr + report.stdout + report.stderr
    assert run.returncode == 1, console[-4000:]  # both tests failed, as planted
    assert report.returncode == 0, console[-4000:]
    assert "2 failed" in run.stdout, console[-4000:]

    written = [p for p in reports.rglob("*") if p.is_file()]
    assert {"results.json", "report.html", "junit.xml", "ocsf-findings.jsonl"} <= {p.name for p in written}
    for secret in (PASSWORD, TOKEN):
        assert secret not in console, f"{secret!r} leaked to the console"
        leaked = [p.name for p in written if secret in p.read_text(errors="replace")]
        assert not leaked, f"{secret!r} leaked into {leaked}"
    # The failures are still evidence: masked, not dropped.
    results = (reports / "results.json").read_text()
    assert results.count("[REDACTED]") >= 2
    assert "test_connection_string" in results and "test_token" in results
