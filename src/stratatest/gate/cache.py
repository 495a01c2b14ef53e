"""Results keyed by content: a test that passed on exactly these inputs is reused, and says from which run.

The key of a test is its node id, the content of every input file (`inputs`), and the run's context: stratatest's
version and source, Python, the tools (terraform, the provider, helm, Checkov, ...), the target's facts and region.
Anything else that changes gives another key, so an entry can only be reused, never be wrong for a later input.
Only passes are kept; a failure, a skip or an error always runs again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stratatest.paths import write_atomic

#: Entries not reused for this long are removed when the cache is next written to.
KEEP_DAYS = 30


class Digests:
    """sha256 of each file, read once per run."""

    def __init__(self) -> None:
        self._seen: dict[Path, str] = {}

    def of(self, path: Path) -> str:
        if path not in self._seen:
            try:
                self._seen[path] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                self._seen[path] = "missing"
        return self._seen[path]


def context_key(stratatest_files: list[Path], digests: Digests, facts: dict[str, Any]) -> str:
    """One digest of everything besides a test's own inputs that its result depends on."""
    from importlib.metadata import version

    source = hashlib.sha256()
    for path in sorted(stratatest_files):
        source.update(path.name.encode() + digests.of(path).encode())
    parts = {
        "stratatest": version("stratatest"),
        "stratatest source": source.hexdigest(),
        "python": sys.version.split()[0],
        **facts,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def item_key(nodeid: str, inputs: dict[Path, str], root: Path, digests: Digests, context: str) -> str:
    key = hashlib.sha256(f"{context}\n{nodeid}\n".encode())
    for path in sorted(inputs):
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        key.update(f"{shown}\0{digests.of(path)}\n".encode())
    return key.hexdigest()


@dataclass(frozen=True)
class Entry:
    """A pass: the run that ran it, and when and how long."""

    run_id: str
    nodeid: str
    started: str | None
    duration: float
    files: dict[str, str] = field(default_factory=dict)  # run-shared files it used (a Checkov scan) -> sha256


class ResultsCache:
    """One JSON file per key under `folder` (default: the cache dir's results/, or $STRATATEST_RESULTS_CACHE)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str, nodeid: str) -> Entry | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            entry = Entry(**data)
        except (OSError, ValueError, TypeError):  # absent, or damaged: run the test
            return None
        return entry if entry.nodeid == nodeid else None

    def put(self, key: str, entry: Entry) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(asdict(entry)))

    def keep_files(self, shared: Path, relatives: set[str]) -> dict[str, str]:
        """Copy run-shared files a passing test used into the cache, by content; their digests by path."""
        kept = {}
        for relative in sorted(relatives):
            try:
                data = (shared / relative).read_bytes()
            except OSError:
                continue
            digest = hashlib.sha256(data).hexdigest()
            blob = self.folder / "files" / digest
            if not blob.exists():
                blob.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(blob, data.decode("utf-8"))
            kept[relative] = digest
        return kept

    def restore_files(self, shared: Path, files: dict[str, str]) -> bool:
        """Put a reused test's run-shared files into this run's folder (unless this run has them already);
        False when one is gone from the cache, and the test must run."""
        for relative, digest in files.items():
            dest = shared / relative
            if dest.exists():
                continue
            try:
                text = (self.folder / "files" / digest).read_text(encoding="utf-8")
            except OSError:
                return False
            dest.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(dest, text)
        return True

    def prune(self, now: float | None = None) -> int:
        """Remove entries older than KEEP_DAYS; returns how many."""
        cutoff = (now or time.time()) - KEEP_DAYS * 86400
        removed = 0
        for path in [*self.folder.glob("*/*.json"), *self.folder.glob("files/*")]:
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        return removed


def default_folder() -> Path:
    from stratatest.toolchain import cache_dir

    explicit = os.environ.get("STRATATEST_RESULTS_CACHE")
    return Path(explicit) if explicit else cache_dir() / "results"
