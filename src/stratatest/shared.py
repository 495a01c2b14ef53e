"""Work done once per run and shared by every pytest-xdist worker through a file in the run's shared folder.

The first worker to ask computes under a file lock and writes the text; the others wait on the lock and read
it. Plans and Checkov scans both go through here, so fifty assertions on one result cost one computation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from filelock import FileLock


def once_per_run(path: Path, compute: Callable[[], str]) -> str:
    """The text at `path`, computed by the first caller of the run; a `compute` that raises writes nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{path}.lock"):
        if path.exists():
            return path.read_text()
        text = compute()
        path.write_text(text)
        return text
