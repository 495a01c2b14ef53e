"""A destroy that fails says what it left, one line per error, and keeps state only where finishing can work.

The run under test is a real `pytest` on a scratch project: its test writes an object into the bucket it applied
(as a service would), so the module's destroy fails for real (S3 refuses to delete a bucket that holds objects),
and the end-of-run leak check then finds the bucket. pytest raises the two teardown errors as one exception group;
the report must show them as the two lines they are, not a traceback.

- On the embedded moto (the default target) the emulator ends with the run: nothing real is left, so the notice
  says what the state held and no kept folder (or `stratatest cleanup` advice) survives the run.
- On an attached moto, which outlives the run, the state is kept and `stratatest cleanup RUN_ID` finishes it.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from stratatest import runs
from stratatest.inspect import AWS
from stratatest.targets.moto import MotoTarget

CATALOGUE = Path(__file__).resolve().parents[3] / "controls" / "catalogue.yaml"
TIMEOUT = 600

MODULE = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.100" }
  }
}

variable "bucket_name" {
  type = string
}

resource "aws_s3_bucket" "data" {
  bucket = var.bucket_name # no force_destroy: a bucket that holds objects is not deleted
}
"""

INNER_TEST = """
import pytest


@pytest.mark.apply
def test_writes_into_its_bucket(stacks, target, run_id):
    stacks("data_bucket", bucket_name=f"data-{run_id}")
    target.client("s3").put_object(Bucket=f"data-{run_id}", Key="written-by-the-test", Body=b"kept")
"""


@pytest.fixture(scope="module")
def moto(start_moto: Callable[..., MotoTarget]) -> MotoTarget:
    return start_moto()


def _run(tmp_path: Path, *args: str) -> tuple[str, str, dict]:
    """Run the scratch project's test under a fresh run id; returns the run id, its output and its record."""
    module = tmp_path / "terraform" / "modules" / "data_bucket"
    module.mkdir(parents=True)
    (module / "main.tf").write_text(MODULE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_inner.py").write_text(INNER_TEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    run_id = f"fd{secrets.token_hex(3)}"
    results = tmp_path / "results.json"
    argv = [sys.executable, "-m", "pytest", "tests", f"--run-id={run_id}", f"--results={results}", *args]
    (tmp_path / "tmp").mkdir()  # a failed run keeps its temp folder (the emulator's logs): here, not in /tmp
    env = {**os.environ, "STRATATEST_CATALOGUE": str(CATALOGUE), "TMPDIR": str(tmp_path / "tmp")}
    run = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    output = run.stdout + run.stderr
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, output
    return run_id, output, json.loads(results.read_text())


def _assert_one_line_each(output: str, run_id: str, target: str) -> None:
    """The failed destroy and the leak check after it: each its own line, and no traceback."""
    assert "Traceback" not in output and "ExceptionGroup" not in output, output
    lines = output.splitlines()
    destroy = [line for line in lines if line.startswith("StratatestError: terraform destroy failed in ")]
    assert len(destroy) == 1 and "BucketNotEmpty" in destroy[0], output
    leak = f"StratatestError: run {run_id} left resources behind in {target}: arn:aws:s3:::data-{run_id}"
    assert leak in lines, output


def test_on_the_embedded_target_nothing_is_kept(tmp_path: Path) -> None:
    run_id, output, record = _run(tmp_path)
    _assert_one_line_each(output, run_id, "moto")
    assert (
        "failed (terraform destroy failed in " in output
        and "; left in its state: aws_s3_bucket.data. The moto target ends with this run and everything in it, "
        "so nothing real is left and its state is not kept"
        in output
    ), output
    assert "stratatest cleanup" not in output, output
    assert not (runs.runs_root() / run_id).exists()
    assert [item for item in record["left_behind"] if item["kind"] == "stack"] == []


def test_on_a_target_that_outlives_the_run_state_is_kept_for_cleanup(moto: MotoTarget, tmp_path: Path) -> None:
    run_id, output, record = _run(tmp_path, f"--target=moto:endpoint={moto.endpoint_url},ca_bundle={moto.ca_bundle}")
    _assert_one_line_each(output, run_id, "moto")
    assert f"Finish with: stratatest cleanup {run_id}" in output, output
    kept = runs.kept_stacks(run_id)
    assert len(kept) == 1, output
    stacks = [item for item in record["left_behind"] if item["kind"] == "stack"]
    assert [(s["where"], s["finish"]) for s in stacks] == [(str(kept[0].folder), f"stratatest cleanup {run_id}")]

    moto.client("s3").delete_object(Bucket=f"data-{run_id}", Key="written-by-the-test")  # what stopped the destroy
    cleanup = subprocess.run(
        [sys.executable, "-m", "stratatest.cli", "cleanup", run_id],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
    assert not AWS(moto).s3_bucket(f"data-{run_id}").exists
    assert not (runs.runs_root() / run_id).exists()
