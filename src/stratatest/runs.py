"""Run ids and the per-run folder that outlives the process: what a run applied can always be found again.

Every stack a run applies lives in `<cache>/runs/<run id>/stacks/<name>/` (the working copy, its state and
its `stack.json`) from the moment apply starts until destroy succeeds, and `run.json` says which target the
run used. A run killed with SIGKILL therefore leaves a folder that `stratatest cleanup RUN_ID` can finish.
A run folder with no stack left is removed; old ones are pruned at the start of the next run.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stratatest.errors import ConfigError
from stratatest.localhost import pid_alive
from stratatest.paths import write_atomic
from stratatest.toolchain import cache_dir

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,30}$")
MANIFEST = "run.json"
STACK_MARKER = "stack.json"
#: Temp folders of runs that ended this long ago without cleaning up (killed) are pruned.
PRUNE_AFTER_S = 24 * 3600


CLAIM_PREFIX = "stratatest-claim-"
_claimed: dict[str, int] = {}  # run id -> the open file whose lock claims it, for this process's life


def unclaimed_run_id() -> str:
    """A fresh id for a run that may never use stratatest: nothing claimed or written (see `claim_run_id`)."""
    return f"st{secrets.token_hex(3)}"


def new_run_id() -> str:
    """Short, lowercase (it goes into resource names), and claimed: unique per run even when two start together."""
    while True:
        run_id = unclaimed_run_id()
        if _try_claim(run_id):
            return run_id


def claim_run_id(run_id: str) -> str:
    """Claim a run id the user chose; ConfigError when a live run on this machine holds it.

    Two runs with one id would tag each other's resources, clean up each other's stacks and write one record.
    The claim is an advisory lock on a file in the temp folder (not the cache: a pytest run that never uses
    stratatest must leave no trace), held while this process lives: a killed run releases it with its last breath.
    """
    if not _try_claim(check_run_id(run_id)):
        raise ConfigError(
            f"run id {run_id!r} is in use by another run on this machine",
            hint="wait for it to finish, or choose another --run-id",
        )
    return run_id


def release_run_id(run_id: str) -> None:
    """Give the id back: the file goes first (while still locked), so nobody can lock a file about to vanish."""
    fd = _claimed.pop(run_id, None)
    if fd is not None:
        _claim_path(run_id).unlink(missing_ok=True)
        os.close(fd)


def _claim_path(run_id: str) -> Path:
    return Path(tempfile.gettempdir()) / f"{CLAIM_PREFIX}{run_id}.lock"


def _try_claim(run_id: str) -> bool:
    if run_id in _claimed:
        return True
    path = _claim_path(run_id)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            _claimed[run_id] = fd
            return True
        os.close(fd)  # the holder released (and removed) it between our open and our lock: claim the new file


def check_run_id(run_id: str) -> str:
    if not RUN_ID.fullmatch(run_id):
        raise ConfigError(
            f"run id {run_id!r} is not usable in resource names and paths",
            hint="1 to 31 characters: letters, digits, '-' and '_', starting with a letter or digit",
        )
    return run_id


def runs_root() -> Path:
    return cache_dir() / "runs"


def run_dir(run_id: str) -> Path:
    return runs_root() / check_run_id(run_id)


def write_manifest(run_id: str, facts: dict[str, Any]) -> Path:
    """`run.json`: the target spec and region (no secrets), so cleanup can reach the same target again."""
    folder = run_dir(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST
    if not path.exists():
        payload = {"run_id": run_id, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **facts}
        write_atomic(path, json.dumps(payload, indent=2))
    return path


def read_manifest(run_id: str) -> dict[str, Any]:
    path = run_dir(run_id) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"no kept run {run_id!r} in {runs_root()}", hint="`stratatest cleanup --list` shows the runs kept"
        ) from None
    except (OSError, ValueError) as err:
        raise ConfigError(f"{path}: unreadable ({err})") from None


def stack_folder(run_id: str, module: Path) -> Path:
    """A new folder for one stack of the run: the module's name plus a counter, created exclusively."""
    parent = run_dir(run_id) / "stacks"
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{module.name}-", dir=parent))


def mark_stack(folder: Path, facts: dict[str, Any]) -> None:
    write_atomic(folder / STACK_MARKER, json.dumps(facts, indent=2))


@dataclass(frozen=True)
class KeptStack:
    folder: Path  # the copy's root (stack.json is here)
    facts: dict[str, Any]

    @property
    def workdir(self) -> Path:
        """The folder terraform runs in (the module inside the copy)."""
        return self.folder / self.facts.get("relative_path", ".")


def kept_stacks(run_id: str) -> list[KeptStack]:
    stacks = []
    for marker in sorted((run_dir(run_id) / "stacks").glob(f"*/{STACK_MARKER}")):
        try:
            stacks.append(KeptStack(marker.parent, json.loads(marker.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            stacks.append(KeptStack(marker.parent, {}))
    return stacks


def kept_runs() -> list[str]:
    root = runs_root()
    return sorted(p.name for p in root.iterdir() if (p / MANIFEST).exists()) if root.is_dir() else []


def forget_if_empty(run_id: str) -> bool:
    """Remove the run's folder when no stack is left in it; True when removed."""
    folder = run_dir(run_id)
    if kept_stacks(run_id):
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True


def prune(now: float | None = None) -> list[str]:
    """Remove what dead runs left that holds nothing: empty run folders and old `stratatest-*` temp folders.

    A run folder that still has a stack is never pruned (it may hold the only record of live resources).
    """
    now = time.time() if now is None else now
    removed = []
    for run_id in kept_runs():
        folder = run_dir(run_id)
        if now - folder.stat().st_mtime > PRUNE_AFTER_S and forget_if_empty(run_id):
            removed.append(str(folder))
    removed += _prune_claims(now)
    for folder in Path(tempfile.gettempdir()).glob("stratatest-st*-*"):
        try:
            old = now - folder.stat().st_mtime > PRUNE_AFTER_S
        except OSError:
            continue
        if old and folder.is_dir() and not _owned_by_live_process(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(str(folder))
    return removed


def _prune_claims(now: float) -> list[str]:
    """Claim files of killed runs (a run that ends removes its own) that no live run holds."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{CLAIM_PREFIX}*.lock"):
        try:
            if now - path.stat().st_mtime <= PRUNE_AFTER_S:
                continue
            fd = os.open(path, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            path.unlink()
            removed.append(str(path))
        except OSError:  # held by a live run (BlockingIOError), or gone already
            pass
        finally:
            os.close(fd)
    return removed


def _owned_by_live_process(folder: Path) -> bool:
    try:
        return pid_alive(int((folder / "pid").read_text()))
    except (OSError, ValueError):
        return False
