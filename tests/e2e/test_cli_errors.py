"""Bad input gets one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRATATEST = [sys.executable, "-m", "stratatest.cli"]


def run(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env or os.environ.copy(), capture_output=True, text=True, timeout=300)


def assert_clean_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    output = proc.stdout + proc.stderr
    assert proc.returncode not in (0, 5), output
    assert "Traceback" not in output, output
    for needle in needles:
        assert needle in output, output


def test_missing_terraform_is_one_line(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "STRATATEST_TERRAFORM"}
    env["PATH"] = f"{bindir}:{Path(sys.executable).parent}"
    assert shutil.which("terraform", path=env["PATH"]) is None
    proc = run([*STRATATEST, "run"], env=env)
    assert_clean_error(proc, "stratatest: terraform not found", "STRATATEST_TERRAFORM")
    assert proc.returncode == 3
    assert len(proc.stderr.strip().splitlines()) == 1


def test_doctor_reports_missing_terraform(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "STRATATEST_TERRAFORM"}
    env["PATH"] = str(Path(sys.executable).parent)
    proc = run([*STRATATEST, "doctor"], env=env)
    assert proc.returncode == 3
    assert "terraform   MISSING" in proc.stdout


def test_missing_provider_is_one_line(tmp_path: Path) -> None:
    env = os.environ | {"STRATATEST_PROVIDER_MIRROR": str(tmp_path), "STRATATEST_CACHE_DIR": str(tmp_path / "c")}
    proc = run([*STRATATEST, "run"], env=env)
    assert_clean_error(proc, "hashicorp/aws provider is not in STRATATEST_PROVIDER_MIRROR")
    assert proc.returncode == 3


def test_moto_port_taken_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        argv = [
            "run",
            "--workers=1",
            f"--target=moto:port={port}",
            f"--reports={tmp_path}",
            "--layer=plan",
            "-k",
            "test_acls",
        ]
        proc = run([*STRATATEST, *argv])
    assert_clean_error(proc, f"127.0.0.1:{port} is already in use")
    assert proc.returncode == 3


def test_unknown_control_id(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_x="""
        import pytest

        @pytest.mark.control("STRATA-S3-01")
        def test_typo():
            pass
        """
    )
    result = project.runpytest_subprocess()
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert "STRATA-S3-01" in output and "STRATA-S3-001" in output  # names the typo and suggests the id
    assert "Traceback" not in output


def test_malformed_hcl(project: pytest.Pytester) -> None:
    module = project.mkdir("broken")
    (module / "main.tf").write_text('resource "aws_s3_bucket" "x" {\n  bucket = \n}\n')
    project.makepyfile(
        test_x=f"""
        import pytest
        from pathlib import Path

        pytestmark = pytest.mark.plan

        def test_plan(plan_of):
            plan_of(Path({str(module)!r}))
        """
    )
    result = project.runpytest_subprocess()
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    assert "TerraformFailed: terraform init failed" in output
    assert "main.tf" in output or "Invalid expression" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("target", "code", "needle"),
    [
        ("bogus", 4, "unknown target 'bogus' — choose one of: moto, localstack, aws"),
        ("moto:prot=1", 4, "target 'moto' has no option prot"),
        ("moto:port=http", 4, "port='http' is not a TCP port"),
        ("aws", 6, "sandbox guard refused (opt-in)"),
        ("aws:account=444455556666", 6, "sandbox guard refused (allowed): account 444455556666 (production-example)"),
        ("aws:account=999999999999", 6, "refused (allowed): account 999999999999 is not on the allow list"),
        ("localstack:endpoint=http://192.0.2.1:4566", 4, "give LocalStack on this machine"),
        ("moto --region=mars", 4, "--region 'mars' is not an AWS region name"),
    ],
)
def test_bad_targets_are_one_line_and_run_nothing(target: str, code: int, needle: str, tmp_path: Path) -> None:
    """A wrong target, or a real account the guard refuses, stops the run before any test or terraform call."""
    spec, *more = target.split()
    argv = ["run", "--workers=1", f"--target={spec}", *more, f"--reports={tmp_path}", "--layer=emulator"]
    proc = run([*STRATATEST, *argv])
    assert_clean_error(proc, needle)
    assert proc.returncode == code
    assert "passed" not in proc.stdout and "terraform" not in proc.stdout.lower()
    assert not (tmp_path / "results.json").exists()


def test_a_localstack_that_is_not_running_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        target = f"--target=localstack:endpoint=http://127.0.0.1:{port},wait=1"
        proc = run([*STRATATEST, "run", "--workers=2", target, f"--reports={tmp_path}", "--layer=emulator"])
    assert_clean_error(
        proc, f"no LocalStack answered at http://127.0.0.1:{port} within 1 s", "scripts/localstack start"
    )
    assert proc.returncode == 3
    assert "INTERNALERROR" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("argv", "needle"),
    [(["cleanup", "nope"], "no kept run 'nope'"), (["cleanup", "../x"], "run id '../x' is not usable")],
)
def test_cleanup_of_what_is_not_a_kept_run(argv: list[str], needle: str) -> None:
    proc = run([*STRATATEST, *argv])
    assert_clean_error(proc, needle)
    assert proc.returncode == 3


@pytest.mark.parametrize("workers", ["-1", "0", "two"])
def test_workers_must_be_a_positive_whole_number(workers: str, tmp_path: Path) -> None:
    """argparse's own usage error (exit 2), before any tool is looked for or any folder touched."""
    proc = run([*STRATATEST, "run", f"--workers={workers}", f"--reports={tmp_path / 'r'}"])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"argument --workers/-n: {workers!r} is not a whole number of at least 1" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("module", "inventory", "needle"),
    [
        ("terraform/modules/nope", "x.yaml", "no Terraform module at terraform/modules/nope: no such folder"),
        ("README.md", "x.yaml", "no Terraform module at README.md: it is a file"),
        ("terraform", "x.yaml", "no Terraform module at terraform: the folder has no *.tf file"),
        ("terraform/modules/ecr", "terraform/modules/ecr", "terraform/modules/ecr: is a folder — give the inventory"),
        ("terraform/modules/ecr", "README.md/x.yaml", "README.md/x.yaml: README.md is a file, not a folder"),
    ],
)
def test_inventory_of_what_is_not_a_module_or_an_inventory_is_one_line(
    module: str, inventory: str, needle: str
) -> None:
    proc = run([*STRATATEST, "inventory", module, inventory])
    assert_clean_error(proc, f"stratatest: {needle}")
    assert proc.returncode == 3
    assert len(proc.stderr.strip().splitlines()) == 1
