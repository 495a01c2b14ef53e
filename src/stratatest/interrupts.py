"""Interrupts (Ctrl-C, SIGTERM, a run's time cap): the first stops the run; nothing after it stops the clean-up.

The first signal is the user's request to stop: the running test is interrupted (terraform is stopped
gracefully and what it created is destroyed) and no further test starts. Every later signal is acknowledged
and otherwise ignored, because aborting a destroy half-way is what leaves resources behind in an account. A
user who must stop at once has `kill -9`: the state of every stack stays in the run's kept folder, and
`stratatest cleanup RUN_ID` finishes the job.

Under pytest-xdist the controller does not stop itself on the first signal: it passes it on to every worker
and goes on collecting their reports (each worker destroys what it applied), so the record it writes says
which tests ran, that the run was interrupted, and what was left. The reason is written to the run's shared
folder, so the controller can record a stop that began in a worker (its time cap).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

REASON_FILE = "interrupted"
WORKERS_DIR = "workers"
_NAMES = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


class _State:
    reason: str | None = None
    shared: Path | None = None
    forward: Callable[[], list[int]] | None = None
    say: Callable[[str], None] | None = None
    cleanup_hint: str = ""
    requested: str | None = None  # the reason `stop()` gives its own signal
    deferring = 0  # depth of `deferred()` blocks in progress
    pending = False  # the first interrupt arrived inside one: raise it when the outermost ends


def install(
    *,
    shared: Path | None,
    say: Callable[[str], None] | None,
    forward: Callable[[], list[int]] | None = None,
    cleanup_hint: str = "",
) -> None:
    """Handle SIGINT and SIGTERM in this process (main thread only; elsewhere signals cannot be handled).

    `shared`: the run's shared folder, where the first reason is written. `say`: how to tell the user (None in
    an xdist worker, whose output nobody sees). `forward`: the pids to pass the interrupt on to (the workers).
    """
    _State.reason, _State.shared, _State.say, _State.forward = None, shared, say, forward
    _State.cleanup_hint, _State.requested, _State.pending = cleanup_hint, None, False
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _handle)
        signal.signal(signal.SIGTERM, _handle)


def stop(reason: str) -> None:
    """Stop this run as a signal would, with `reason` recorded (the time cap uses it)."""
    _State.requested = reason
    os.kill(os.getpid(), signal.SIGTERM)


def reason() -> str | None:
    """Why the run was interrupted: this process's first signal, or one a worker recorded; None if it was not."""
    if _State.reason is not None:
        return _State.reason
    if _State.shared is not None:
        try:
            return (_State.shared / REASON_FILE).read_text(encoding="utf-8").strip() or None
        except OSError:
            return None
    return None


@contextmanager
def deferred() -> Iterator[None]:
    """Hold a first interrupt until the block ends: a destroy in progress finishes, then the run stops."""
    _State.deferring += 1
    try:
        yield
    finally:
        _State.deferring -= 1
    if _State.deferring == 0 and _State.pending:
        _State.pending = False
        raise KeyboardInterrupt(_State.reason)


def register_worker(shared: Path) -> None:
    """An xdist worker leaves its pid where the controller finds it when it must pass an interrupt on."""
    folder = shared / WORKERS_DIR
    folder.mkdir(exist_ok=True)
    (folder / str(os.getpid())).touch()


def worker_pids(shared: Path) -> list[int]:
    folder = shared / WORKERS_DIR
    return [int(p.name) for p in folder.iterdir() if p.name.isdigit()] if folder.is_dir() else []


def _handle(signum: int, frame: FrameType | None) -> None:
    if _State.reason is None:
        _remember(_State.requested or _NAMES.get(signum, f"signal {signum}"))
        pids = _State.forward() if _State.forward else []
        if pids:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
            _tell(f"interrupted ({_State.reason}): each worker stops its test and destroys what it created")
            return
        if _State.deferring:
            _State.pending = True
            _tell(f"interrupted ({_State.reason}): the destroy in progress finishes first, then the run stops")
            return
        raise KeyboardInterrupt(_State.reason)
    _tell(
        f"already stopping ({_State.reason}): the clean-up goes on so that nothing is left behind. "
        f"Only `kill -9 {os.getpid()}` abandons it{_State.cleanup_hint}"
    )


def _remember(text: str) -> None:
    _State.reason = text
    if _State.shared is not None:
        try:
            fd = os.open(_State.shared / REASON_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError:  # another process recorded its reason first, or the folder is gone
            return
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)


def _tell(text: str) -> None:
    if _State.say is not None:
        _State.say(text)
