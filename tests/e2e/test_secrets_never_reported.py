"""Secrets planted every way a test meets them never reach a report or the console.

A scratch project plans a module whose sensitive variable flows into a sensitive output, plus a variable with a
secret-like name that Terraform does not know is secret; plans a module whose validation rejects a secret-named
variable (terraform's diagnostic prints the value); prints a connection URL with its password; uses secrets as
parametrized test ids (a secret-named argument, and an explicit id equal to a registered secret); and applies a
module with a sensitive output. Its tests fail in the worst way for a leak: assertion diffs that print the values,
and the values printed to stdout. The run goes through pytest-xdist (reports cross a process boundary) and then
`stratatest report` writes every format. No planted value may appear in the console output or in any file
written (history/ included), while the masked failures are still there as evidence.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from stratatest.report.attest import local_key

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Planted-Pa55word-7f3c91"
TOKEN = "planted-api-token-5d2e8a0b"
REJECTED = "Rejected-Pa55word-b81d"  # fails the module's validation: terraform prints it in its diagnostic
URL_PASSWORD = "Url-Pa55word-30ae"  # never registered: only its place in a URL says it is a password
ARG_SECRET = "Arg-Secret-Value-6e02"  # a parametrized value of an argument named db_password
MINTED = "minted-" + hashlib.sha1(b"stratatest-e2e").hexdigest()  # a sensitive output computed by terraform
PLANTED = (PASSWORD, TOKEN, REJECTED, URL_PASSWORD, ARG_SECRET, MINTED)

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

VALIDATED = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

variable "db_password" {
  type = string
  validation {
    condition     = startswith(var.db_password, "ok-")
    error_message = "db_password must start with ok-."
  }
}
"""

SENSITIVE_OUTPUT = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

output "minted_key" {
  value     = "minted-${sha1("stratatest-e2e")}"
  sensitive = true
}
"""

TESTS = f"""
import pytest

from stratatest.errors import TerraformFailed

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


@pytest.mark.control("STRATA-RDS-001")
def test_rejected_password(plan_of):
    password = {REJECTED!r}
    with pytest.raises(TerraformFailed) as rejected:
        plan_of("planted-validation", db_password=password)
    print("tried", password, "and terraform said:", rejected.value)
    assert "must start with ok-" not in str(rejected.value)


def test_url_password():
    url = "postgres://app:{URL_PASSWORD}@db.internal:5432/app"
    print("connecting to", url)
    assert url.endswith("/other"), f"wrong database in {{url}}"
"""

ID_TESTS = f"""
import pytest

from stratatest.errors import TerraformFailed

pytestmark = pytest.mark.plan


@pytest.fixture(scope="module")
def planned(plan_of):
    return plan_of("planted-secret", db_password={PASSWORD!r}, api_token={TOKEN!r})


@pytest.mark.parametrize("db_password", [{ARG_SECRET!r}])
def test_secret_named_argument(db_password):
    print("argument", db_password)
    assert db_password == "something else"


@pytest.mark.parametrize("label", ["x"], ids=[{TOKEN!r}])
def test_registered_secret_as_id(planned, label):
    assert planned.output("token_echo").endswith(label)
"""

OUTPUT_TESTS = """
import pytest


@pytest.mark.apply
def test_sensitive_output(stacks):
    minted = stacks("planted-output").outputs()["minted_key"]
    print("minted", minted)
    assert minted == "something else"
"""


def _scratch(repo: Path) -> None:
    shutil.copytree(ROOT / "controls", repo / "controls")
    for name in ("pyproject.toml", "conftest.py"):
        shutil.copy2(ROOT / name, repo / name)
    for name, text in (
        ("planted-secret", MODULE),
        ("planted-validation", VALIDATED),
        ("planted-output", SENSITIVE_OUTPUT),
    ):
        module = repo / "terraform" / "modules" / name
        module.mkdir(parents=True)
        (module / "main.tf").write_text(text)
    (repo / "tests").mkdir()
    for name, text in (("test_planted.py", TESTS), ("test_ids.py", ID_TESTS), ("test_output.py", OUTPUT_TESTS)):
        (repo / "tests" / name).write_text(text)


def _run(repo: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv], cwd=repo, env=os.environ.copy(), capture_output=True, text=True, timeout=600
    )


def test_planted_secret_appears_in_no_report_and_no_log(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _scratch(repo)
    reports = repo / "reports"
    run = _run(repo, "-m", "pytest", "tests", "-n", "2", "-rA", f"--results={reports / 'results.json'}")
    local_key(tmp_path / "signing.pem")  # a key of the test's own: the machine's local key is left alone
    report = _run(
        repo,
        "-m",
        "stratatest.cli",
        "report",
        f"--results={reports / 'results.json'}",
        f"--key={tmp_path / 'signing.pem'}",
    )
    console = run.stdout + run.stderr + report.stdout + report.stderr
    assert run.returncode == 1, console[-4000:]  # every test failed, as planted
    assert report.returncode == 0, console[-4000:]
    assert "7 failed" in run.stdout, console[-4000:]

    written = [p for p in reports.rglob("*") if p.is_file()]
    assert {"results.json", "report.html", "junit.xml", "ocsf-findings.jsonl"} <= {p.name for p in written}
    assert any(p.parent.name == "history" for p in written), written
    for secret in PLANTED:
        assert secret not in console, f"{secret!r} leaked to the console"
        leaked = [str(p.relative_to(reports)) for p in written if secret in p.read_text(errors="replace")]
        assert not leaked, f"{secret!r} leaked into {leaked}"
    # The failures are still evidence: masked, not dropped.
    results = (reports / "results.json").read_text()
    assert results.count("[REDACTED]") >= 7
    for name in ("test_connection_string", "test_token", "test_rejected_password", "test_url_password"):
        assert name in results
    assert 'var.db_password is "[REDACTED]"' in console  # terraform's message, masked
    assert "postgres://app:[REDACTED]@db.internal:5432/app" in console
    assert "test_secret_named_argument[db_password]" in results
    assert "test_registered_secret_as_id[[REDACTED]#0]" in results
    assert "test_sensitive_output" in results
