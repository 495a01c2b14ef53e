"""P6: the emulator layer's wall time with `pytest -n 2` vs `-n 1` (one process per core vs one).

Each side is a whole pytest run of every emulator-marked test (its own moto server, its own run id), timed
from outside as a user sees it. A failed run is a failed benchmark: a timing of a broken run means nothing.
"""

from __future__ import annotations

import subprocess
import sys
import time

from common import REPO, BenchError, Comparison, Timing, interleave, say

from stratatest.toolchain import Toolchain


def _pytest(workers: str) -> Timing:
    command = [sys.executable, "-m", "pytest", "-q", "-m", "emulator", "-n", workers, "tests/integration"]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise BenchError(f"`{' '.join(command[2:])}` exited {proc.returncode}: {proc.stdout.strip()[-400:]}")
    say(f"    {proc.stdout.strip().splitlines()[-1]}")
    return Timing(seconds=seconds, commands={})


def run(chain: Toolchain, repeat: int) -> list[Comparison]:
    say("P6 emulator layer: pytest -n 2 vs -n 1")
    samples = interleave([("-n 2", lambda i: _pytest("2")), ("-n 1", lambda i: _pytest("1"))], repeat)
    return [Comparison("P6", "emulator layer wall time, -n 2 vs -n 1", samples["-n 2"], samples["-n 1"], None)]
