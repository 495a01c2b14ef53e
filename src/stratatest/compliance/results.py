"""The canonical results record: one JSON file per run, from which every report is derived.

Keeping a single record (tests → controls → outcome → commit → time) means JUnit, OSCAL, OCSF and the console
summary can never disagree. Control status is rolled up here, once, with the rule auditors rely on:
"not assessed" is never "passed".
"""

from __future__ import annotations

import json
import subprocess
import types
from collections import Counter
from collections.abc import Iterable
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from stratatest.compliance.catalogue import Catalogue, Control
from stratatest.errors import ConfigError
from stratatest.layers import LAYERS
from stratatest.paths import write_atomic
from stratatest.runs import RUN_ID

SCHEMA_VERSION = 3
#: Versions this one reads: 3 added the gate (`selection`, and `reused_from` / `selected_because` per test).
READABLE_VERSIONS = (2, 3)
#: "waived": the test failed and an active waiver covers it (the waiver's id is on the result).
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "waived")
#: "waived": every failure of the control is covered by an active waiver; an accepted deviation, not a pass.
CONTROL_STATUSES = ("failed", "waived", "not_assessed", "passed")
FINDING_RESULTS = ("passed", "failed", "skipped", "waived")
WAIVER_STATES = ("active", "expired", "invalid")
MESSAGE_LIMIT = 4000
NO_LAYER = "none"
NO_TEST_REASON = "no test ran for this control"  # key used in the summary for tests without a layer marker

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
    waiver: str | None = None  # id of the active waiver that covers this failure (outcome "waived")
    reused_from: str | None = None  # not run: it passed on the same inputs in this run (the results cache)
    selected_because: str | None = None  # with --changed-since: what in the change reaches this test


@dataclass
class Finding:
    """One scanner check (Checkov) on one resource, mapped to catalogue controls through the check id.

    `result` "skipped" is an inline suppression (`reason` is its comment); "waived" a failure an active waiver
    covers (`waiver` is its id). `lines` are 1-based and inclusive; [0, 0] when the scanner gave none.
    """

    source: str
    framework: str  # terraform | terraform_plan | kubernetes | helm
    check_id: str
    check_name: str
    result: str
    resource: str
    file: str
    lines: list[int]
    layer: str  # static for source scans, plan for plan JSON
    controls: list[str] = field(default_factory=list)
    reason: str | None = None
    waiver: str | None = None
    in_repo: bool = False  # `file` is a file of the repository (not a render or a plan), so tools can link it


@dataclass
class Evidence:
    """An artefact the run judged, by digest: a plan, a chart render, a scanner report."""

    kind: str  # plan | manifests | checkov-scan
    name: str  # what it is, e.g. "terraform/envs/dev" or "charts/microservice prod"
    sha256: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class WaiverStatus:
    """A waiver as this run found it. Only an `active` waiver applies; `expired` and `invalid` ones are listed
    so their owners see them, and what they would have covered fails."""

    id: str
    state: str  # active | expired | invalid
    control: str | None = None
    check: str | None = None
    framework: str | None = None
    resource: str | None = None
    reason: str | None = None
    owner: str | None = None
    ticket: str | None = None
    approver: str | None = None
    created: str | None = None
    expires: str | None = None
    age_days: int | None = None
    problem: str | None = None  # why it is invalid, or "expired on ..."
    applied_to: list[str] = field(default_factory=list)  # test node ids and finding keys it covered


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
    waived: int = 0  # failed tests covered by an active waiver
    reasons: list[str] = field(default_factory=list)  # skip and xfail reasons, in test order, deduplicated
    layers: list[str] = field(default_factory=list)  # layers whose tests or findings assessed it
    findings: dict[str, int] = field(default_factory=dict)  # scanner results on resources, by result
    waivers: list[str] = field(default_factory=list)  # ids of the active waivers that covered a failure
    # What the control meant when this run judged it, so a report can be rebuilt from the record alone.
    rationale: str = ""
    remediation: str = ""
    mappings: list[dict[str, Any]] = field(default_factory=list)
    not_assessable: str | None = None

    @property
    def not_assessed_reason(self) -> str:
        """Why a control has no verdict, in the words every report uses: the catalogue's `not_assessable`, its
        tests' skip reasons, or that no test ran. Empty for a control with a verdict."""
        if self.status != "not_assessed":
            return ""
        reasons = [r for r in (self.not_assessable, *self.reasons) if r]
        return "; ".join(reasons) if reasons else NO_TEST_REASON


@dataclass
class LeftBehind:
    """Something the run created and could not remove: a kept stack (its state) or a tagged resource."""

    kind: str  # stack | resource
    what: str  # the module, or the resource's ARN
    where: str  # the kept state folder, or the target and region
    finish: str  # the command that removes it


@dataclass
class RunRecord:
    """Everything one run produced; `summary` is derived on output and never read back."""

    run_id: str
    started: str
    finished: str
    results: list[TestResult] = field(default_factory=list)
    controls: list[ControlStatus] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    waivers: list[WaiverStatus] = field(default_factory=list)
    commit: str | None = None
    dirty: bool = False
    target: dict[str, Any] = field(default_factory=dict)
    tool_versions: dict[str, str] = field(default_factory=dict)
    command_line: str = ""
    catalogue: dict[str, str] = field(default_factory=dict)  # path and sha256 of the catalogue used
    #: Why the run stopped early ("Ctrl-C", "SIGTERM", a time cap), None for a run that ran to its end.
    interrupted: str | None = None
    #: What the run could not remove: kept stacks and tagged resources, each with the command that finishes the job.
    left_behind: list[LeftBehind] = field(default_factory=list)
    #: What the gate did: the change (`--changed-since`), how many tests it selected, reused, and the cache's state.
    selection: dict[str, Any] | None = None
    schema_version: int = SCHEMA_VERSION

    @property
    def verdict(self) -> str:
        """'interrupted' if the run stopped early (whatever ran: what did not run was not assessed), 'failed' if
        a test or control failed or something was left behind, 'empty' if no test ran, else 'passed' (waivers
        included)."""
        if self.interrupted:
            return "interrupted"
        outcomes = Counter(r.outcome for r in self.results)
        if any(outcomes[o] for o in ("failed", "error")) or any(c.status == "failed" for c in self.controls):
            return "failed"
        if self.left_behind:
            return "failed"
        if not self.results:
            return "empty"
        return "passed"

    def summary(self) -> dict[str, Any]:
        """Counts per outcome, per layer (then outcome), per control status, finding and waiver; zeros included.

        `assessed_by_layer` counts the controls each layer gave a verdict on (a passed, failed or waived test or
        finding), so "not assessed" never hides inside a layer's pass count.
        """
        by_layer: dict[str, dict[str, int]] = {}
        for result in self.results:
            layer = by_layer.setdefault(result.layer or NO_LAYER, dict.fromkeys(OUTCOMES, 0))
            layer[result.outcome] = layer.get(result.outcome, 0) + 1
        outcomes = Counter(r.outcome for r in self.results)
        statuses = Counter(c.status for c in self.controls)
        findings = Counter(f.result for f in self.findings)
        waivers = Counter(w.state for w in self.waivers)
        assessed = Counter(layer for c in self.controls for layer in c.layers)
        return {
            "verdict": self.verdict,
            "tests": len(self.results),
            "outcomes": {o: outcomes[o] for o in OUTCOMES},
            "reused": sum(1 for r in self.results if r.reused_from),
            "layers": {name: by_layer[name] for name in sorted(by_layer, key=_layer_order)},
            "controls": {s: statuses[s] for s in CONTROL_STATUSES},
            "assessed_by_layer": {name: assessed[name] for name in sorted(assessed, key=_layer_order)},
            "findings": {r: findings[r] for r in FINDING_RESULTS},
            "waivers": {s: waivers[s] for s in WAIVER_STATES},
        }

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        ordered = {k: data[k] for k in ("schema_version", "run_id", "commit", "dirty", "target")}
        ordered.update(
            tool_versions=data["tool_versions"],
            catalogue=data["catalogue"],
            started=self.started,
            finished=self.finished,
            interrupted=self.interrupted,
            left_behind=data["left_behind"],
            selection=self.selection,
            command_line=self.command_line,
            summary=self.summary(),
            controls=data["controls"],
            waivers=data["waivers"],
            evidence=data["evidence"],
            results=data["results"],
            findings=data["findings"],
        )
        return ordered

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def write(self, path: Path) -> Path:
        """Write atomically, so a reader never sees half a record (e.g. a CI step after a crash)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, self.to_json())
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "results record") -> RunRecord:
        """The record in `data`, every field checked against its type and every state against its enum: a record
        is signed as it is read, so a value no run can produce is refused, one line naming the field."""
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: not a stratatest results record (expected a JSON object)")
        version = data.get("schema_version")
        if version not in READABLE_VERSIONS:
            raise ConfigError(
                f"{source}: schema_version {version!r} is not supported (this version reads "
                f"{', '.join(map(str, READABLE_VERSIONS))})",
                hint="run the suite again with this stratatest to write a record it can read",
            )
        try:
            record = _build(cls, {k: v for k, v in data.items() if k != "summary"}, "")
            _check_record(record)
        except _Invalid as err:
            raise ConfigError(f"{source}: {err}") from None
        return record

    @classmethod
    def read(cls, path: Path) -> RunRecord:
        path = Path(path)
        try:
            text = path.read_bytes().decode("utf-8")
            data = json.loads(text, parse_constant=_refuse_constant)
        except OSError as err:
            raise ConfigError(f"{path}: cannot read results record: {err.strerror or err}") from None
        except UnicodeDecodeError as err:
            raise ConfigError(
                f"{path}: not a results record: byte {err.object[err.start]:#04x} at offset {err.start} is not UTF-8"
            ) from None
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path}: invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}") from None
        except _Invalid as err:
            raise ConfigError(f"{path}: invalid JSON: {err}") from None
        except RecursionError:
            raise ConfigError(f"{path}: not a results record: JSON nested too deeply") from None
        return cls.from_dict(data, str(path))


class _Invalid(ValueError):
    """One thing wrong in a record, worded with its field path; from_dict adds the file."""


#: The fields whose value must be one of a fixed set, per record type.
_ENUMS: dict[type, dict[str, tuple[str, ...]]] = {
    TestResult: {"outcome": OUTCOMES},
    ControlStatus: {"status": CONTROL_STATUSES},
    Finding: {"result": FINDING_RESULTS},
    WaiverStatus: {"state": WAIVER_STATES},
}


def _refuse_constant(name: str) -> Any:
    raise _Invalid(f"{name} is not a JSON number")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _build(cls: type, data: Any, where: str) -> Any:
    """An instance of the dataclass `cls` from `data`, each field checked against its annotation."""
    if not isinstance(data, dict):
        raise _Invalid(f"{where or 'the record'} must be an object, not {_kind(data)}")
    prefix = f"{where}." if where else ""
    unknown = sorted(str(k) for k in data if k not in _hints(cls))
    if unknown:
        raise _Invalid(f"{prefix}{unknown[0]} is not a field of a results record")
    kwargs = {}
    for item in fields(cls):
        path = f"{prefix}{item.name}"
        if item.name not in data:
            if item.default is MISSING and item.default_factory is MISSING:
                raise _Invalid(f"{path} is missing")
            continue
        kwargs[item.name] = _value(data[item.name], _hints(cls)[item.name], path)
        allowed = _ENUMS.get(cls, {}).get(item.name)
        if allowed and kwargs[item.name] not in allowed:
            raise _Invalid(f"{path} {kwargs[item.name]!r} is not one of {', '.join(allowed)}")
    return cls(**kwargs)


def _value(value: Any, hint: Any, where: str) -> Any:
    """`value` as the type `hint` names (str, int, float, bool, None, list[...], dict[str, ...], a dataclass)."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _value(value, inner, where)
    if origin is list:
        if not isinstance(value, list):
            raise _Invalid(f"{where} must be a list, not {_kind(value)}")
        return [_value(item, args[0], f"{where}[{i}]") for i, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise _Invalid(f"{where} must be an object, not {_kind(value)}")
        return {key: _value(item, args[1], f"{where}.{key}") for key, item in value.items()}
    if is_dataclass(hint):
        return _build(hint, value, where)  # type: ignore[arg-type]
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
        return value
    raise _Invalid(f"{where} must be {_NAMES.get(hint, hint.__name__)}, not {_kind(value)}")


_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}


def _kind(value: Any) -> str:
    """What a JSON value is, as its author would say it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"text {truncate(value, 60)!r}"
    if isinstance(value, int | float):
        return f"the number {value}"
    return {list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _check_record(record: RunRecord) -> None:
    """The values that become file names (the run id, in history/) or sort a trend (the times)."""
    if not RUN_ID.fullmatch(record.run_id):
        raise _Invalid(
            f"run_id {record.run_id!r} is not a run id (1 to 31 letters, digits, '-' and '_', starting with a letter"
            " or digit): it names files in history/"
        )
    for name in ("started", "finished"):
        try:
            datetime.fromisoformat(getattr(record, name))
        except ValueError:
            raise _Invalid(f"{name} {getattr(record, name)!r} is not an ISO 8601 time") from None


def rollup(
    results: Iterable[TestResult], catalogue: Catalogue, findings: Iterable[Finding] = ()
) -> list[ControlStatus]:
    """One status per catalogue control (in catalogue order), then any id the catalogue does not know.

    failed: a test failed, errored or xfailed, or a scanner check failed, with no active waiver covering it.
    waived: failures exist and active waivers cover every one of them (an accepted deviation).
    passed: at least one test or check passed, and nothing failed.
    not_assessed: everything else (all skipped, or no test at all). Never counted as passed.
    """
    statuses = {c.id: _status_of(c) for c in catalogue}
    for result in results:
        for control_id in result.controls:
            _count(_lookup(statuses, control_id), result)
    for finding in findings:
        for control_id in finding.controls:
            _count_finding(_lookup(statuses, control_id), finding)
    for status in statuses.values():
        failed_findings = status.findings.get("failed", 0)
        if status.failed or failed_findings:
            status.status = "failed"
        elif status.waived or status.findings.get("waived", 0):
            status.status = "waived"
        elif status.passed or status.findings.get("passed", 0):
            status.status = "passed"
        else:
            status.status = "not_assessed"
    return list(statuses.values())


def _status_of(control: Control) -> ControlStatus:
    return ControlStatus(
        control.id,
        control.title,
        control.severity,
        "not_assessed",
        rationale=control.rationale,
        remediation=control.remediation,
        mappings=[{"framework": m.framework, "version": m.version, "ids": list(m.ids)} for m in control.mappings],
        not_assessable=control.not_assessable,
    )


def _lookup(statuses: dict[str, ControlStatus], control_id: str) -> ControlStatus:
    status = statuses.get(control_id)
    if status is None:  # validate_items rejects these; kept visible rather than dropped
        status = statuses[control_id] = ControlStatus(
            control_id, "(not in the controls catalogue)", "unknown", "not_assessed"
        )
    return status


def _assessed_in(status: ControlStatus, layer: str | None) -> None:
    if layer and layer not in status.layers:
        status.layers.append(layer)
        status.layers.sort(key=_layer_order)


def _count(status: ControlStatus, result: TestResult) -> None:
    if result.nodeid not in status.tests:
        status.tests.append(result.nodeid)
    if result.outcome in _FAILING:
        status.failed += 1
    elif result.outcome in _PASSING:
        status.passed += 1
    elif result.outcome == "waived":
        status.waived += 1
        if result.waiver and result.waiver not in status.waivers:
            status.waivers.append(result.waiver)
    else:
        status.skipped += 1
    if result.outcome != "skipped":
        _assessed_in(status, result.layer)
    if result.outcome in ("skipped", "xfailed"):
        reason = result.skip_reason or ("skipped" if result.outcome == "skipped" else "expected failure")
        reason = f"xfail: {reason}" if result.outcome == "xfailed" else reason
        if reason not in status.reasons:
            status.reasons.append(reason)


def _count_finding(status: ControlStatus, finding: Finding) -> None:
    status.findings[finding.result] = status.findings.get(finding.result, 0) + 1
    if finding.result != "skipped":
        _assessed_in(status, finding.layer)
    if finding.waiver and finding.waiver not in status.waivers:
        status.waivers.append(finding.waiver)


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
