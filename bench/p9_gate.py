"""P9: the pull-request gate. The static + plan layers run three times in a scratch clone of this repository,
each run a plain `stratatest run --layer static --layer plan` with one results cache of their own:

1. a first run, nothing cached: the baseline;
2. the same again, nothing changed: every test is reused (target <= 0.1 of the first run);
3. after a change to one leaf module (terraform/modules/network, which the platform module and every
   environment call): only what reaches it runs again (target <= 0.3).

Run 3 is measured twice: with the cache (what a developer's second push costs) and as the pull-request gate on a
fresh cache (`--changed-since HEAD~1`: what CI pays on a pull request that changes that module). The clone holds
this checkout as it is and runs its stratatest (PYTHONPATH), so the measurement does not move while this tree is
edited.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import REPO, Comparison, Timing, say, timed

from stratatest.toolchain import Toolchain

LAYERS = ("--layer", "static", "--layer", "plan")
NOT_COPIED = (".git", ".venv", "reports", ".gitlab-ci-local", "__pycache__", ".terraform", ".ruff_cache")
LEAF = Path("terraform") / "modules" / "network" / "main.tf"
#: A change to the module's code (a new local value): every test whose inputs include the module runs again.
CHANGE = '\nlocals {\n  bench_marker = "p9"\n}\n'


def _clone(into: Path) -> Path:
    clone = into / "repo"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    # This checkout as it is, uncommitted edits included: the suite and its tests measured are the ones here.
    shutil.copytree(REPO, clone, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*NOT_COPIED))
    subprocess.run(["git", "-C", str(clone), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(clone), "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm",
         "bench: this checkout", "--allow-empty"],
        check=True,
    )  # fmt: skip
    return clone


def _run(clone: Path, cache: Path, *extra: str) -> Timing:
    env = {**os.environ, "PYTHONPATH": str(clone / "src"), "STRATATEST_RESULTS_CACHE": str(cache)}
    # As on a developer's machine or a CI runner: Python keeps bytecode, and pytest its rewritten test modules,
    # in __pycache__. This sandbox's shell sets PYTHONDONTWRITEBYTECODE=1, which would make every run compile the
    # suite and rewrite every test module again (≈ 8 s of each run); the first run pays that either way.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    reports = str(cache.parent / "reports")
    command = [sys.executable, "-m", "stratatest.cli", "run", *LAYERS, "--reports", reports, *extra]

    def work() -> None:
        done = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr}")
        reused = [line for line in done.stdout.splitlines() if "reused" in line or "changed since" in line]
        say(f"  {' '.join(extra) or 'run'}: {'; '.join(reused) or 'nothing reused'}")

    return timed(work)


def run(chain: Toolchain, repeat: int) -> list[Comparison]:
    with tempfile.TemporaryDirectory(prefix="stratatest-bench-p9-") as tmp:
        clone = _clone(Path(tmp))
        cache, fresh = Path(tmp) / "cache", Path(tmp) / "fresh-cache"
        say("P9 first run (nothing cached)")
        first = _run(clone, cache)
        say("P9 second run (nothing changed)")
        second = _run(clone, cache)
        with (clone / LEAF).open("a", encoding="utf-8") as out:
            out.write(CHANGE)
        subprocess.run(
            ["git", "-C", str(clone), "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qam",
             "bench: change a leaf module"],
            check=True,
        )  # fmt: skip
        say("P9 after changing terraform/modules/network (same cache)")
        changed = _run(clone, cache)
        say("P9 the pull-request gate on that change (--changed-since HEAD~1, empty cache)")
        gate = _run(clone, fresh, "--changed-since", "HEAD~1")
    sides = ("this run", "first run")
    return [
        Comparison("P9a", "static+plan again, nothing changed", [second], [first], 0.1, sides),
        Comparison("P9b", "static+plan after a leaf module changed", [changed], [first], 0.3, sides),
        Comparison("P9c", "pull-request gate --changed-since on that change", [gate], [first], 0.3, sides),
    ]
