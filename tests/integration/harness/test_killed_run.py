"""A run killed outright (SIGKILL, pytest and terraform both) mid-apply leaves nothing behind for good.

The run applies into a "real account" (the aws target, guard and all) that is a moto server this test owns,
standing in. After the kill, what the run applied is found again from its kept folder (`stratatest cleanup`)
and by its run-id tag (`stratatest sweep`); afterwards nothing tagged with the run id is left.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from stratatest import runs
from stratatest.inspect import AWS, eventually
from stratatest.targets.leftovers import left_behind
from stratatest.targets.moto import MotoTarget

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE.parents[2] / "controls" / "catalogue.yaml"
STRATATEST = [sys.executable, "-m", "stratatest.cli"]
MOTO_ACCOUNT = "123456789012"

INNER_TEST = f"""
from pathlib import Path


def test_apply(stacks, run_id):
    stacks(Path({str(HERE / "interruptible")!r}), bucket_name=f"killed-{{run_id}}")
"""


@pytest.fixture(scope="module")
def moto(start_moto: Callable[..., MotoTarget]) -> MotoTarget:
    return start_moto()


@pytest.fixture
def stand_in(moto: MotoTarget, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """The aws target's spec with moto standing in for an allowlisted account, and a nightly job's environment
    (credentials in it; moto accepts any)."""
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(f'allow:\n  - account: "{MOTO_ACCOUNT}"\n    name: moto-stand-in\n    regions: [us-east-1]\n')
    spec = f"aws:account={MOTO_ACCOUNT},endpoint={moto.endpoint_url},ca_bundle={moto.ca_bundle},allowlist={accounts}"
    return spec, {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def _kill_processes_under(folder: Path) -> list[int]:
    """SIGKILL every process whose working directory is inside `folder` (terraform and its provider)."""
    killed = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = Path(os.readlink(proc / "cwd"))
        except OSError:
            continue
        if cwd == folder or folder in cwd.parents:
            try:
                os.kill(int(proc.name), signal.SIGKILL)
                killed.append(int(proc.name))
            except ProcessLookupError:
                continue
    return killed


@pytest.mark.parametrize(
    "terraform_too", [True, False], ids=["pytest-and-terraform-killed", "pytest-killed-terraform-finishes"]
)
def test_sigkill_mid_apply_then_cleanup_and_sweep_leave_nothing(
    terraform_too: bool, moto: MotoTarget, stand_in: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """Killed with terraform: the state knows nothing (a 0-byte file), the tags do: cleanup forgets, sweep deletes.
    Killed alone: terraform (its own process group, output to files, so no SIGPIPE) finishes the apply and writes
    state; cleanup waits for its lock and destroys from that state, leaving the sweep nothing."""
    run_id = f"kill{secrets.token_hex(2)}"
    spec, env = stand_in
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TEST))
    argv = [sys.executable, "-m", "pytest", "test_inner.py", "-p", "no:cacheprovider", f"--run-id={run_id}",
            f"--catalogue={CATALOGUE}", f"--target={spec}"]  # fmt: skip
    log = tmp_path / "inner.log"
    with log.open("wb") as out:
        inner = subprocess.Popen(argv, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, env=env)
    aws = AWS(moto)
    bucket = f"killed-{run_id}"

    def applying() -> bool:
        if inner.poll() is not None:
            pytest.fail(f"the run ended before it was killed: {log.read_text()[-2000:]}")
        return aws.s3_bucket(bucket).exists

    try:
        eventually(applying, timeout=120, interval=0.5)
    finally:
        inner.kill()  # SIGKILL: no finalizer, no atexit hook
        inner.wait(30)
    folder = runs.run_dir(run_id)
    if terraform_too:
        assert _kill_processes_under(folder), "terraform was no longer applying when the run was killed"
    assert len(runs.kept_stacks(run_id)) == 1, "the run's applied stack is not findable after a SIGKILL"
    assert left_behind(moto, run_id), "nothing tagged was created before the kill"

    cleanup = subprocess.run([*STRATATEST, "cleanup", run_id], capture_output=True, text=True, env=env)
    assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
    assert "destroyed" in cleanup.stdout and "forgotten" in cleanup.stdout, cleanup.stdout
    assert not folder.exists()

    sweep = [*STRATATEST, "sweep", f"--target={spec}", f"--run={run_id}"]
    dry = subprocess.run(sweep, capture_output=True, text=True, env=env)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    if not terraform_too:  # cleanup destroyed everything from the state the orphaned terraform wrote
        assert "nothing to sweep" in dry.stdout, dry.stdout
        assert left_behind(moto, run_id) == []
        return
    # Terraform was killed before it could record what it created: the state knew nothing, the tags do.
    assert "nothing deleted" in dry.stdout, dry.stdout
    leaked = left_behind(moto, run_id)
    assert leaked, "a dry run must delete nothing"
    assert all(arn in dry.stdout for arn in leaked), dry.stdout

    deleted = subprocess.run([*sweep, "--yes"], capture_output=True, text=True, env=env)
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert left_behind(moto, run_id) == []
    assert not aws.s3_bucket(bucket).exists


CAPPED_TEST = """
import time
from pathlib import Path


def test_outlives_the_cap(stacks, run_id):
    stacks(Path(__file__).parent / "bucket", name=f"capped-{run_id}")
    time.sleep(600)  # far past the cap: the run must be stopped, not wait for this
"""

BUCKET_MODULE = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.100" }
  }
}
variable "name" { type = string }
resource "aws_s3_bucket" "this" {
  bucket        = var.name
  force_destroy = true
}
"""


def test_a_run_past_its_wall_clock_cap_destroys_and_fails(
    moto: MotoTarget, stand_in: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """`max_minutes`: at the cap the run is stopped as SIGTERM would stop it; what it created is destroyed."""
    run_id = f"cap{secrets.token_hex(2)}"
    spec, env = f"{stand_in[0]},max_minutes=1", stand_in[1]
    (tmp_path / "bucket").mkdir()
    (tmp_path / "bucket" / "main.tf").write_text(BUCKET_MODULE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_inner.py").write_text(CAPPED_TEST)
    argv = [sys.executable, "-m", "pytest", "test_inner.py", "-p", "no:cacheprovider", f"--run-id={run_id}",
            f"--catalogue={CATALOGUE}", f"--target={spec}"]  # fmt: skip
    proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=400)
    output = proc.stdout + proc.stderr
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, output
    assert "the run reached its wall-clock cap on aws" in output, output
    assert "Traceback" not in output, output
    assert left_behind(moto, run_id) == [], output
    assert not AWS(moto).s3_bucket(f"capped-{run_id}").exists
    assert runs.kept_stacks(run_id) == []
