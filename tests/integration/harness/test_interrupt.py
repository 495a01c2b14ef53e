"""Ctrl-C or SIGTERM in the middle of an apply destroys what was created, says so, and the record says so too.

The run under test is a real `pytest` (or `stratatest run`) process using the plugin's `stacks` fixture; it
applies into a moto server this test owns (attached with --target moto:endpoint=...), so what is left
afterwards can be checked here. The first signal stops the run; a second one must not stop the clean-up.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from stratatest.inspect import AWS, eventually
from stratatest.targets.moto import MotoTarget

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE.parents[2] / "controls" / "catalogue.yaml"
STRATATEST = Path(sys.executable).with_name("stratatest")

INNER_TEST = f"""
import pytest
from pathlib import Path


@pytest.mark.apply
def test_apply(stacks, run_id):
    stacks(Path({str(HERE / "interruptible")!r}), bucket_name=f"interrupt-{{run_id}}")
    (Path(__file__).parent / "applied").touch()  # the body is done: only the teardown's destroy is left


@pytest.mark.apply
def test_quick():
    pass
"""


@pytest.fixture(scope="module")
def moto(start_moto: Callable[..., MotoTarget]) -> MotoTarget:
    return start_moto()


def _run_id(prefix: str) -> str:
    """Unique per test run: what an earlier run on this machine kept under the same id (its state, a lock file the
    destroy test watches for) must not be taken for this run's."""
    return f"{prefix}{secrets.token_hex(2)}"


def _project(tmp_path: Path) -> Path:
    """A scratch repository: tests/ and terraform/ (what `stratatest run` looks for), one test that applies."""
    (tmp_path / "terraform").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_inner.py").write_text(textwrap.dedent(INNER_TEST))
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    return tmp_path


def _interrupt(
    argv: list[str], cwd: Path, bucket: str, aws: AWS, send: list[Callable[[subprocess.Popen[str]], None]]
) -> tuple[int, str]:
    """Start the run, wait until its apply has created the bucket, then deliver each signal 3 s apart."""
    inner = subprocess.Popen(
        argv,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "STRATATEST_CATALOGUE": str(CATALOGUE)},
        start_new_session=True,  # its own process group, as a job at a terminal: a "Ctrl-C" reaches all of it
        # As at a terminal: a run started from a non-interactive shell's background job inherits SIGINT
        # ignored, and Python then never turns Ctrl-C into KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        eventually(lambda: aws.s3_bucket(bucket).exists, timeout=120, interval=0.5)
        for deliver in send:
            deliver(inner)
            time.sleep(3)
        output, _ = inner.communicate(timeout=300)
    except (AssertionError, subprocess.TimeoutExpired) as err:  # show what the run under test was doing
        os.killpg(inner.pid, signal.SIGKILL)
        pytest.fail(f"{err}; the run under test printed:\n{inner.communicate()[0]}")
    finally:
        if inner.poll() is None:
            os.killpg(inner.pid, signal.SIGKILL)
    return inner.returncode, output


def _terminal_ctrl_c(inner: subprocess.Popen[str]) -> None:
    os.killpg(inner.pid, signal.SIGINT)


def _sigterm(inner: subprocess.Popen[str]) -> None:
    inner.send_signal(signal.SIGTERM)


def _assert_nothing_left(moto: MotoTarget, aws: AWS, bucket: str, output: str) -> None:
    assert "Traceback" not in output and "INTERNALERROR" not in output, output
    assert not aws.s3_bucket(bucket).exists, output
    keys = moto.client("kms").list_keys()["Keys"]
    live = [k["KeyId"] for k in keys if aws.kms_key(k["KeyId"]).state == "Enabled"]
    assert live == [], f"KMS keys still enabled after the interrupt: {live}\n{output}"


def _assert_recorded(results: Path, reason: str) -> dict:
    record = json.loads(results.read_text())
    assert record["interrupted"] == reason, record["interrupted"]
    assert record["summary"]["verdict"] == "interrupted", record["summary"]
    assert record["left_behind"] == []
    return record


@pytest.mark.parametrize(
    ("send", "reason"),
    [([_terminal_ctrl_c], "Ctrl-C (SIGINT)"), ([_sigterm, _sigterm], "SIGTERM")],
    ids=["ctrl-c", "sigterm-twice"],
)
def test_interrupt_mid_apply_leaves_nothing(send: list, reason: str, moto: MotoTarget, tmp_path: Path) -> None:
    run_id = _run_id(f"int{len(send)}{reason[0].lower()}")
    bucket = f"interrupt-{run_id}"
    results = tmp_path / "results.json"
    argv = [
        sys.executable, "-m", "pytest", "tests/test_inner.py", f"--run-id={run_id}", f"--results={results}",
        f"--target=moto:endpoint={moto.endpoint_url},ca_bundle={moto.ca_bundle}",
    ]  # fmt: skip
    aws = AWS(moto)
    code, output = _interrupt(argv, _project(tmp_path), bucket, aws, send)
    assert code == pytest.ExitCode.INTERRUPTED, output
    assert "interrupted during apply" in output, output
    assert "nothing is left" in output, output
    if len(send) > 1:
        assert "already stopping (SIGTERM): the clean-up goes on" in output, output
    _assert_nothing_left(moto, aws, bucket, output)
    _assert_recorded(results, reason)


def test_double_ctrl_c_with_workers(moto: MotoTarget, tmp_path: Path) -> None:
    """Ctrl-C twice at a terminal reaches the controller and both workers each time: the workers destroy, the
    second Ctrl-C is acknowledged and stops nothing, and the controller's record says what ran."""
    run_id = _run_id("intxdist")
    bucket = f"interrupt-{run_id}"
    results = tmp_path / "results.json"
    argv = [
        sys.executable, "-m", "pytest", "tests/test_inner.py", "-n", "2", f"--run-id={run_id}",
        f"--results={results}", f"--target=moto:endpoint={moto.endpoint_url},ca_bundle={moto.ca_bundle}",
    ]  # fmt: skip
    aws = AWS(moto)
    code, output = _interrupt(argv, _project(tmp_path), bucket, aws, [_terminal_ctrl_c, _terminal_ctrl_c])
    assert code == pytest.ExitCode.INTERRUPTED, output
    assert "already stopping (Ctrl-C (SIGINT))" in output, output
    _assert_nothing_left(moto, aws, bucket, output)
    _assert_recorded(results, "Ctrl-C (SIGINT)")


def test_sigterm_to_stratatest_run(moto: MotoTarget, tmp_path: Path) -> None:
    """A CI job cancelled: SIGTERM (twice) to `stratatest run` alone. The run is stopped and cleaned up, the
    command exits 143, and the signed reports say the run was interrupted."""
    run_id = _run_id("intcli")
    bucket = f"interrupt-{run_id}"
    project = _project(tmp_path)
    argv = [
        str(STRATATEST), "run", "--run-id", run_id, "--reports", "out",
        f"--target=moto:endpoint={moto.endpoint_url},ca_bundle={moto.ca_bundle}",
    ]  # fmt: skip
    aws = AWS(moto)
    code, output = _interrupt(argv, project, bucket, aws, [_sigterm, _sigterm])
    assert code == 128 + signal.SIGTERM, output
    _assert_nothing_left(moto, aws, bucket, output)
    _assert_recorded(project / "out" / "results.json", "SIGTERM")
    assert "Verdict: INTERRUPTED by SIGTERM" in output, output
    assert "INTERRUPTED" in (project / "out" / "report.html").read_text()
    verify = subprocess.run([str(STRATATEST), "verify", "out"], cwd=project, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_ctrl_c_during_the_end_of_run_destroy_lets_it_finish(moto: MotoTarget, tmp_path: Path) -> None:
    """The test is done and its stack is being destroyed when Ctrl-C comes: the destroy finishes, then the run
    stops as interrupted; no traceback, nothing left."""
    from stratatest import runs

    run_id = _run_id("intdestroy")
    bucket = f"interrupt-{run_id}"
    results = tmp_path / "results.json"
    argv = [
        sys.executable, "-m", "pytest", "tests/test_inner.py::test_apply", f"--run-id={run_id}",
        f"--results={results}", f"--target=moto:endpoint={moto.endpoint_url},ca_bundle={moto.ca_bundle}",
    ]  # fmt: skip
    aws = AWS(moto)
    project = _project(tmp_path)
    stacks = runs.runs_root() / run_id / "stacks"

    def locked() -> bool:  # terraform holds the local state lock while it applies or destroys
        return any(stacks.glob("*/**/.terraform.tfstate.lock.info"))

    def wait_for(condition: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout  # a tight poll: the destroy takes seconds, eventually() backs off
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.05)

    def during_destroy(inner: subprocess.Popen[str]) -> None:
        wait_for((project / "tests" / "applied").exists, timeout=300)  # apply and idempotency plan are done
        wait_for(locked, timeout=120)  # the teardown's destroy has begun
        os.killpg(inner.pid, signal.SIGINT)

    code, output = _interrupt(argv, project, bucket, aws, [during_destroy])
    assert code == pytest.ExitCode.INTERRUPTED, output
    assert "the destroy in progress finishes first, then the run stops" in output, output
    _assert_nothing_left(moto, aws, bucket, output)
    record = json.loads(results.read_text())
    assert record["interrupted"] == "Ctrl-C (SIGINT)" and record["left_behind"] == []
    assert [r["outcome"] for r in record["results"]] == ["passed"], record["results"]
