"""Ctrl-C or SIGTERM in the middle of an apply destroys what was created, and says so.

The run under test is a real `pytest` process using the plugin's `stacks` fixture; it applies into a moto
server this test owns (attached with --target moto:endpoint=...), so what is left afterwards can be checked here.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from stratatest.inspect import AWS, eventually
from stratatest.targets.moto import MotoTarget

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE.parents[2] / "controls" / "catalogue.yaml"

INNER_TEST = f"""
import pytest
from pathlib import Path


def test_apply(stacks, run_id):
    stacks(Path({str(HERE / "interruptible")!r}), bucket_name=f"interrupt-{{run_id}}")
"""


@pytest.fixture(scope="module")
def moto(start_moto: Callable[..., MotoTarget]) -> MotoTarget:
    return start_moto()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_mid_apply_leaves_nothing(signum: int, moto: MotoTarget, tmp_path: Path) -> None:
    run_id = f"int{signum}"
    bucket = f"interrupt-{run_id}"
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TEST))
    argv = [
        sys.executable, "-m", "pytest", "test_inner.py", "-p", "no:cacheprovider", f"--run-id={run_id}",
        f"--catalogue={CATALOGUE}", f"--target=moto:endpoint={moto.endpoint_url},ca_bundle={moto.ca_bundle}",
    ]  # fmt: skip
    inner = subprocess.Popen(
        argv,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # As at a terminal: a run started from a non-interactive shell's background job inherits SIGINT
        # ignored, and Python then never turns Ctrl-C into KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    aws = AWS(moto)
    try:
        eventually(lambda: aws.s3_bucket(bucket).exists, timeout=120, interval=0.5)
        inner.send_signal(signum)
        output, _ = inner.communicate(timeout=240)
    finally:
        if inner.poll() is None:
            inner.kill()
    assert inner.returncode == pytest.ExitCode.INTERRUPTED, output
    assert "interrupted during apply" in output, output
    assert "nothing is left" in output, output
    assert "Traceback" not in output, output
    assert not aws.s3_bucket(bucket).exists
    keys = moto.client("kms").list_keys()["Keys"]
    live = [k["KeyId"] for k in keys if aws.kms_key(k["KeyId"]).state == "Enabled"]
    assert live == [], f"KMS keys still enabled after the interrupt: {live}"
