"""The canonical results record: one JSON file per run, from which every report is derived.

Keeping a single record (tests → controls → outcome → commit → time) means JUnit, OSCAL, OCSF and the console
summary can never disagree. Control status is rolled up here, once, with the rule auditors rely on:
"not assessed" is never "passed".
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stratatest.compliance.catalogue import Catalogue
from stratatest.errors import ConfigError

SCHEMA_VERSION = 1
LAYERS = ("static", "plan", "emulator", "cluster", "sandbox", "unit")
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
CONTROL_STATUSES = ("passed", "failed", "not_assessed")
MESSAGE_LIMIT = 4000
NO_LAYER = "none"  # key used in the summary for tests without a layer marker

# How each test outcome counts toward a control. An xfailed test is a known failure of the control, so it
# fails the control (accepted deviations go through waivers, not xfail); a non-strict xpass held.
_FAILING = frozenset({"failed", "error", "xfailed"})
_PASSING = frozenset({"passed", "xpassed"})


def now_iso() -> str:
    """Current UTC time, ISO 8601 with milliseconds: sortable and unambiguous across machines."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def iso_from_timestamp(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def truncate(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Cut long failure text so one runaway diff cannot bloat the record."""
    if len(text) <= limit:
        return text
    marker = f"… [truncated {len(text) - limit} chars]"
    return text[: limit - len(marker)] + marker


@dataclass
class TestResult:
    """One test's final outcome after its setup, call and teardown phases."""

    __test__ = False  # not a pytest test class, despite the name

    nodeid: str
    name: str
    layer: str | None
    outcome: str
    controls: list[str] = field(default_factory=list)
    duration: float = 0.0
    skip_reason: str | None = None
    message: str | None = None  # short failure text, already redacted and truncated
    started: str | None = None


@dataclass
class ControlStatus:
    """A catalogue control's status for this run, with the tests that assessed it."""

    id: str
    title: str
    severity: str
    status: str
    tests: list[str] = field(default_factory=list)
    passed: int = 0
    failed: int = 0  # failed, errored and xfailed tests
    skipped: int = 0
    reasons: list[str] = field(default_factory=list)  # skip and xfail reasons, in test order, deduplicated


@dataclass
class RunRecord:
    """Everything one run produced; `summary` is derived on output and never read back."""

    run_id: str
    started: str
    finished: str
    results: list[TestResult] = field(default_factory=list)
    controls: list[ControlStatus] = field(default_factory=list)
    commit: str | None = None
    dirty: bool = False
    target: dict[str, Any] = field(default_factory=dict)
    tool_versions: dict[str, str] = field(default_factory=dict)
    command_line: str = ""
    schema_version: int = SCHEMA_VERSION

    @property
    def verdict(self) -> str:
        """'failed' if any test or control failed, 'empty' if no test ran, else 'passed'."""
        outcomes = Counter(r.outcome for r in self.results)
        if any(outcomes[o] for o in ("failed", "error")) or any(c.status == "failed" for c in self.controls):
            return "failed"
        if not self.results:
            return "empty"
        return "passed"

    def summary(self) -> dict[str, Any]:
        """Counts per outcome, per layer (then outcome) and per control status; zeros included."""
        by_layer: dict[str, dict[str, int]] = {}
        for result in self.results:
            layer = by_layer.setdefault(result.layer or NO_LAYER, dict.fromkeys(OUTCOMES, 0))
            layer[result.outcome] = layer.get(result.outcome, 0) + 1
        outcomes = Counter(r.outcome for r in self.results)
        statuses = Counter(c.status for c in self.controls)
        return {
            "verdict": self.verdict,
            "tests": len(self.results),
            "outcomes": {o: outcomes[o] for o in OUTCOMES},
            "layers": {name: by_layer[name] for name in sorted(by_layer, key=_layer_order)},
            "controls": {s: statuses[s] for s in CONTROL_STATUSES},
        }

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        ordered = {k: data[k] for k in ("schema_version", "run_id", "commit", "dirty", "target")}
        ordered.update(
            tool_versions=data["tool_versions"],
            started=self.started,
            finished=self.finished,
            command_line=self.command_line,
            summary=self.summary(),
            controls=data["controls"],
            results=data["results"],
        )
        return ordered

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def write(self, path: Path) -> Path:
        """Write atomically, so a reader never sees half a record (e.g. a CI step after a crash)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        os.replace(tmp, path)
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "results record") -> RunRecord:
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: not a stratatest results record (expected a JSON object)")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ConfigError(
                f"{source}: schema_version {version!r} is not supported (this version reads {SCHEMA_VERSION})"
            )
        try:
            kwargs = {f.name: data[f.name] for f in fields(cls) if f.name in data}
            kwargs["results"] = [TestResult(**r) for r in data.get("results", [])]
            kwargs["controls"] = [ControlStatus(**c) for c in data.get("controls", [])]
            return cls(**kwargs)
        except (TypeError, KeyError) as err:
            raise ConfigError(f"{source}: malformed results record: {err}") from None

    @classmethod
    def read(cls, path: Path) -> RunRecord:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise ConfigError(f"{path}: cannot read results record: {err.strerror or err}") from None
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path}: invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}") from None
        return cls.from_dict(data, str(path))


def rollup(results: Iterable[TestResult], catalogue: Catalogue) -> list[ControlStatus]:
    """One status per catalogue control (in catalogue order), then any id the catalogue does not know.

    failed: any of its tests failed, errored or xfailed. passed: at least one passed and none failed.
    not_assessed: everything else (all skipped, or no test at all).
    """
    statuses = {c.id: ControlStatus(c.id, c.title, c.severity, "not_assessed") for c in catalogue}
    for result in results:
        for control_id in result.controls:
            status = statuses.get(control_id)
            if status is None:  # validate_items rejects these; kept visible rather than dropped
                status = statuses[control_id] = ControlStatus(
                    control_id, "(not in the controls catalogue)", "unknown", "not_assessed"
                )
            _count(status, result)
    for status in statuses.values():
        if status.failed:
            status.status = "failed"
        elif status.passed:
            status.status = "passed"
        else:
            status.status = "not_assessed"
    return list(statuses.values())


def _count(status: ControlStatus, result: TestResult) -> None:
    if result.nodeid not in status.tests:
        status.tests.append(result.nodeid)
    if result.outcome in _FAILING:
        status.failed += 1
    elif result.outcome in _PASSING:
        status.passed += 1
    else:
        status.skipped += 1
    if result.outcome in ("skipped", "xfailed"):
        reason = result.skip_reason or ("skipped" if result.outcome == "skipped" else "expected failure")
        reason = f"xfail: {reason}" if result.outcome == "xfailed" else reason
        if reason not in status.reasons:
            status.reasons.append(reason)


def git_commit(cwd: Path | str | None = None) -> tuple[str | None, bool]:
    """HEAD's sha and whether the tree has uncommitted changes; (None, False) outside git or without it."""
    sha = _git(["rev-parse", "--verify", "HEAD"], cwd)
    if not sha:
        return None, False
    status = _git(["status", "--porcelain"], cwd)
    return sha, bool(status)


def _git(args: list[str], cwd: Path | str | None) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def _layer_order(name: str) -> int:
    return LAYERS.index(name) if name in LAYERS else len(LAYERS)
