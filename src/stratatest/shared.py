"""Work done once per run and shared by every pytest-xdist worker through a file in the run's shared folder.

The first worker to ask computes under a file lock and writes the text; the others wait on the lock and read
it. Plans and Checkov scans both go through here, so fifty assertions on one result cost one computation.
"""

from __future__ import annotations

import os
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


#: Which test used which run-shared file (a Checkov scan), one `nodeid<TAB>path relative to the run folder` a line:
#: a test the results cache reuses brings the files it used into the run that reuses it.
USES_FILE = "used-by-tests"


def note_use(shared_dir: Path, path: Path) -> None:
    """Note that the running test (pytest's PYTEST_CURRENT_TEST) used `path`, a file under `shared_dir`."""
    current = os.environ.get("PYTEST_CURRENT_TEST")
    if not current:
        return
    nodeid = current.rsplit(" (", 1)[0]
    with (shared_dir / USES_FILE).open("a", encoding="utf-8") as out:  # one short append: lines do not mix
        out.write(f"{nodeid}\t{path.relative_to(shared_dir).as_posix()}\n")


def uses(shared_dir: Path) -> dict[str, set[str]]:
    """Each test's run-shared files, as `note_use` noted them."""
    found: dict[str, set[str]] = {}
    try:
        lines = (shared_dir / USES_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return found
    for line in lines:
        nodeid, _, relative = line.partition("\t")
        if relative:
            found.setdefault(nodeid, set()).add(relative)
    return found
