"""The evidence log: digests of the artefacts a run judged (plans, chart renders), for the results record.

Plans and renders happen in pytest-xdist workers, while the record is written by the controller; each process
appends one JSON line per artefact to its own file in the run's shared folder, and the controller reads them all
at the end. Only digests and names are kept: the artefacts themselves may hold secrets.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from stratatest.compliance.results import Evidence

FOLDER = "evidence"
_LOGGED: set[tuple[str, str, str, str]] = set()  # what this process has logged already


def sha256_text(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def record_evidence(
    shared_dir: Path | None, kind: str, name: str, content: str | bytes, detail: dict[str, Any] | None = None
) -> str:
    """Log `content`'s digest under `kind`/`name`; returns the digest. No shared folder (library use): no log."""
    digest = sha256_text(content)
    key = (str(shared_dir), kind, name, digest)
    if shared_dir is not None and key not in _LOGGED:  # renders are asked for again by every test: log once
        _LOGGED.add(key)
        folder = Path(shared_dir) / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"kind": kind, "name": name, "sha256": digest, "detail": detail or {}}, sort_keys=True)
        with open(folder / f"{os.getpid()}.jsonl", "a", encoding="utf-8") as log:  # one writer per file
            log.write(line + "\n")
    return digest


def load_evidence(shared_dir: Path) -> list[Evidence]:
    """Every artefact logged in the run, once each, ordered by kind then name."""
    seen: dict[tuple[str, str, str], Evidence] = {}
    for path in sorted((Path(shared_dir) / FOLDER).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                key = (entry["kind"], entry["name"], entry["sha256"])
                seen.setdefault(key, Evidence(**entry))
    return sorted(seen.values(), key=lambda e: (e.kind, e.name, e.sha256))
