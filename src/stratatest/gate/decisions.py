"""What the gate decided for one run: written by the process that collected the tests (each pytest-xdist worker
writes the same), read by the controller for the record, the summary and the cache."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stratatest.paths import write_atomic

FILE = "gate.json"


@dataclass(frozen=True)
class Reused:
    """A test not run because it passed on the same inputs in run `run_id`."""

    nodeid: str
    name: str
    layer: str | None
    controls: list[str]
    run_id: str
    started: str | None
    duration: float


@dataclass
class Decisions:
    changed_since: str | None = None  # the ref as given
    base: str | None = None  # the merge base it resolved to
    changed: list[str] = field(default_factory=list)  # files the change touched
    selected: dict[str, str] = field(default_factory=dict)  # node id -> why it runs (with --changed-since)
    not_selected: int = 0
    reused: list[Reused] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # node id -> cache key, for the tests that may be cached
    cache: str = "off"  # "on", or "off: <why>"

    def write(self, shared: Path) -> None:
        write_atomic(shared / FILE, json.dumps(asdict(self)))

    @classmethod
    def read(cls, shared: Path | None) -> Decisions | None:
        if shared is None:
            return None
        try:
            data: dict[str, Any] = json.loads((shared / FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        data["reused"] = [Reused(**r) for r in data.get("reused", [])]
        return cls(**data)

    def for_record(self) -> dict[str, Any]:
        """What the results record keeps: the change, the counts and the cache's state (not the keys)."""
        return {
            "changed_since": self.changed_since,
            "base": self.base,
            "changed": list(self.changed),
            "selected": len(self.selected),
            "not_selected": self.not_selected,
            "reused": len(self.reused),
            "cache": self.cache,
        }
