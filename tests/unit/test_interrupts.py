"""The first interrupt stops the run, one inside a destroy waits for it, and none after the first stops anything.

Each case runs in a child interpreter that installs the handlers and signals itself for real.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CHILD = """
import os, signal, sys, time
from pathlib import Path
from stratatest import interrupts

shared = Path(sys.argv[1])
said = []
interrupts.install(shared=shared, say=said.append)
{body}
"""


def run(body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    code = CHILD.format(body=textwrap.indent(textwrap.dedent(body), ""))
    return subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60, check=False
    )


def test_first_signal_stops_and_is_recorded(tmp_path: Path) -> None:
    proc = run(
        """
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
            print("not stopped")
        except KeyboardInterrupt as err:
            print("stopped:", err, "| recorded:", interrupts.reason())
        """,
        tmp_path,
    )
    assert proc.stdout.strip() == "stopped: SIGTERM | recorded: SIGTERM", proc.stderr
    assert (tmp_path / "interrupted").read_text() == "SIGTERM"


def test_an_interrupt_inside_a_destroy_waits_for_it_and_later_ones_stop_nothing(tmp_path: Path) -> None:
    proc = run(
        """
        try:
            with interrupts.deferred():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.2)
                print("destroy finished")
        except KeyboardInterrupt:
            print("then stopped")
        os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C during the rest of the clean-up
        time.sleep(0.2)
        print("clean-up finished")
        print(said)
        """,
        tmp_path,
    )
    lines = proc.stdout.splitlines()
    assert lines[:3] == ["destroy finished", "then stopped", "clean-up finished"], proc.stdout + proc.stderr
    assert "the destroy in progress finishes first" in lines[3]
    assert "already stopping (Ctrl-C (SIGINT)): the clean-up goes on" in lines[3]


@pytest.mark.parametrize("workers", [0, 2])
def test_the_controller_passes_the_first_interrupt_on_to_its_workers(tmp_path: Path, workers: int) -> None:
    """With workers it does not stop itself (they destroy, it records); without, it stops like anyone else."""
    sleepers = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) for _ in range(workers)]
    try:
        for sleeper in sleepers:
            (tmp_path / "workers").mkdir(exist_ok=True)
            (tmp_path / "workers" / str(sleeper.pid)).touch()
        proc = run(
            """
            interrupts.install(shared=shared, say=said.append, forward=lambda: interrupts.worker_pids(shared))
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.2)
                print("controller goes on")
            except KeyboardInterrupt:
                print("controller stopped")
            """,
            tmp_path,
        )
        expected = "controller goes on" if workers else "controller stopped"
        assert proc.stdout.strip() == expected, proc.stderr
        assert [s.wait(timeout=10) for s in sleepers] == [-15] * workers  # each worker got the SIGTERM
    finally:
        for sleeper in sleepers:
            sleeper.kill()
