"""Pytest plugin object that turns test reports into the run's canonical results record.

Control ids and the layer travel in `item.user_properties` rather than being read from markers at report
time: under pytest-xdist only reports reach the controller, and user_properties are part of the report
(they also land in JUnit XML as properties). The record is written once, by the controller.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from stratatest import interrupts, runs
from stratatest.compliance.catalogue import Catalogue
from stratatest.compliance.evidence import load_evidence
from stratatest.compliance.findings import catalogue_identity, fold_findings, scan_evidence, waiver_statuses
from stratatest.compliance.results import (
    LeftBehind,
    RunRecord,
    TestResult,
    git_commit,
    iso_from_timestamp,
    now_iso,
    rollup,
    truncate,
)
from stratatest.compliance.waivers import Waivers
from stratatest.errors import ConfigError, ScanFailed
from stratatest.gate.decisions import Decisions, Reused
from stratatest.layers import item_layer
from stratatest.secrets import redact
from stratatest.static.checkov import load_scans

CONTROL_MARKER = "control"
#: How a worker's usage error reaches the xdist controller (as the reason it stopped), so the run exits 4, not 2.
USAGE_ERROR_PREFIX = "usage error: "
#: What the first process to start the target learned (its version, served services), for the record.
TARGET_FACTS_FILE = "target.json"
LAYER_PROPERTY = "layer"
CONTROLS_PROPERTY = "controls"
WAIVER_PROPERTY = "waiver"


def started_target_facts(shared_dir: Path) -> dict[str, Any]:
    try:
        facts = json.loads((shared_dir / TARGET_FACTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in facts.items() if v is not None} if isinstance(facts, dict) else {}


def item_controls(item: pytest.Item) -> list[str]:
    """Control ids from every `control` marker on the item (function, class, module), first seen first."""
    ids: list[str] = []
    for marker in item.iter_markers(CONTROL_MARKER):
        if not marker.args:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.control needs at least one control id")
        for control_id in marker.args:
            if not isinstance(control_id, str):
                raise pytest.UsageError(f"{item.nodeid}: control ids must be strings, got {control_id!r}")
            if control_id not in ids:
                ids.append(control_id)
    return ids


def validate_items(items: list[pytest.Item], catalogue: Catalogue, apply_layer: str = "emulator") -> None:
    """Reject unknown control ids before anything runs; record layer and controls on each item.

    Raises pytest.UsageError so pytest prints one line and exits non-zero, without a traceback.
    Inside a pytest-xdist worker an exception would crash the controller with a traceback, so the worker
    instead drops its items and stops the session: the controller prints "Interrupted: <the same line>".
    Idempotent: calling it twice does not duplicate the properties.
    """
    try:
        for item in items:
            _validate_item(item, catalogue, apply_layer)
    except pytest.UsageError as err:
        if not items or not hasattr(items[0].config, "workerinput"):
            raise
        items[0].session.shouldstop = f"{USAGE_ERROR_PREFIX}{err}"
        items.clear()


def _validate_item(item: pytest.Item, catalogue: Catalogue, apply_layer: str) -> None:
    controls = item_controls(item)
    for control_id in controls:
        try:
            catalogue.get(control_id)
        except ConfigError as err:
            raise pytest.UsageError(f"{item.nodeid}: {err}") from None
    layer = item_layer(item, apply_layer)
    props = [p for p in item.user_properties if p[0] not in (LAYER_PROPERTY, CONTROLS_PROPERTY)]
    if layer:
        props.append((LAYER_PROPERTY, layer))
    if controls:
        props.append((CONTROLS_PROPERTY, ",".join(controls)))
    item.user_properties[:] = props


@dataclass
class _Pending:
    """A test's result while its phases arrive."""

    nodeid: str
    name: str
    layer: str | None = None
    controls: list[str] = field(default_factory=list)
    started: str | None = None
    duration: float = 0.0
    outcome: str | None = None
    skip_reason: str | None = None
    message: str | None = None
    waiver: str | None = None

    def result(self) -> TestResult:
        outcome = self.outcome or "error"  # phases started but no verdict: interrupted or a crashed worker
        message = self.message
        if self.outcome is None and message is None:
            message = "no result was reported for this test (interrupted?)"
        return TestResult(
            nodeid=self.nodeid,
            name=self.name,
            layer=self.layer,
            outcome=outcome,
            controls=list(self.controls),
            duration=round(self.duration, 6),
            skip_reason=self.skip_reason,
            message=message,
            started=self.started,
            waiver=self.waiver,
        )


class ResultsCollector:
    """Accumulates per-test results from reports and writes the RunRecord at session end (controller only)."""

    def __init__(
        self,
        config: pytest.Config,
        catalogue: Catalogue,
        run_id: str,
        target: dict[str, Any],
        tool_versions: dict[str, str],
        results_path: Path | None,
        shared_dir: Path | None = None,
        waivers: Waivers | None = None,
    ) -> None:
        """`results_path` None keeps the record in memory only (`last_record`), e.g. for the summary.

        `shared_dir` is the run's shared folder: Checkov scans and the evidence log are read from it at the end.
        """
        self.config = config
        self.catalogue = catalogue
        self.run_id = run_id
        self.target = dict(target)
        self.tool_versions = dict(tool_versions)
        self.results_path = Path(results_path) if results_path is not None else None
        self.shared_dir = Path(shared_dir) if shared_dir is not None else None
        self.waivers = waivers or Waivers([], [])
        self.started = now_iso()
        self.last_record: RunRecord | None = None
        self.interrupted: str | None = None
        self._pending: dict[str, _Pending] = {}

    # -- hooks ---------------------------------------------------------------------------------------------

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.started = now_iso()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.outcome == "rerun":  # pytest-rerunfailures: only the last attempt counts
            self._pending.pop(report.nodeid, None)
            return
        pending = self._pending.get(report.nodeid)
        if pending is None:
            pending = self._pending[report.nodeid] = self._new_pending(report)
        pending.duration += report.duration or 0.0
        if pending.started is None and getattr(report, "start", None):
            pending.started = iso_from_timestamp(report.start)
        _apply_phase(pending, report)
        reason = interrupts.reason()
        if reason and report.failed and "crashed while running" in str(report.longrepr):
            # xdist's word for a worker that stopped its test on the interrupt (and destroyed what it applied)
            pending.outcome, pending.message = "error", f"interrupted by {reason} before it finished"

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A module that fails to import is an error in the record, not a silent gap."""
        if not report.failed:
            return
        nodeid = report.nodeid or "<collection>"
        self._pending[nodeid] = _Pending(
            nodeid=redact(nodeid),
            name=redact(nodeid.rsplit("/", 1)[-1]),
            started=now_iso(),
            outcome="error",
            message=_failure_text(report),
        )

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.interrupted = interrupts.reason() or str(excinfo.value) or "interrupted"

    @pytest.hookimpl(trylast=True)  # after fixture teardown (an interrupted run destroys its stacks there)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(session.config, "workerinput"):  # an xdist worker: the controller writes the record
            return
        record = self.build_record()
        self.last_record = record
        if self.results_path is None:
            return
        if not record.results and not record.left_behind:
            # Nothing ran (a usage error, a target that would not start, an interrupt before the first test):
            # there is nothing to record, and the last run's record must not be replaced by an empty one.
            self._say("stratatest: no test ran; no results record written")
            return
        try:
            record.write(self.results_path)
        except OSError as err:
            self._say(f"stratatest: cannot write results record {self.results_path}: {err.strerror or err}")
            session.exitstatus = pytest.ExitCode.INTERNAL_ERROR

    # -- building ------------------------------------------------------------------------------------------

    def build_record(self) -> RunRecord:
        decisions = Decisions.read(self.shared_dir)
        results = [p.result() for p in self._pending.values()]
        if decisions is not None:
            for result in results:
                result.selected_because = decisions.selected.get(result.nodeid)
            results += [_reused(r, decisions.selected.get(r.nodeid)) for r in decisions.reused]
        findings, evidence = [], []
        if self.shared_dir is not None:
            try:
                scans = load_scans(self.shared_dir)
            except ScanFailed as err:  # the tests that used the scan failed already; the record says so too
                scans = []
                results.append(_scan_error(str(err)))
            findings = fold_findings(scans, self.catalogue, self.waivers, self.config.rootpath)
            evidence = sorted(
                load_evidence(self.shared_dir) + scan_evidence(scans), key=lambda e: (e.kind, e.name, e.sha256)
            )
            self.target.update(started_target_facts(self.shared_dir))
        commit, dirty = git_commit(self.config.rootpath)
        interrupted = self.interrupted or interrupts.reason()
        return RunRecord(
            run_id=self.run_id,
            started=self.started,
            finished=now_iso(),
            results=results,
            controls=rollup(results, self.catalogue, findings),
            findings=findings,
            evidence=evidence,
            waivers=waiver_statuses(self.waivers, results, findings),
            commit=commit,
            dirty=dirty,
            target=self.target,
            tool_versions=self.tool_versions,
            command_line=command_line(self.config.invocation_params.args),
            catalogue=catalogue_identity(self.catalogue),
            interrupted=interrupted,
            left_behind=self._left_behind(),
            selection=decisions.for_record() if decisions is not None else None,
        )

    def _left_behind(self) -> list[LeftBehind]:
        """Stacks whose state the run kept (a destroy failed or never ran) and tagged resources the leak check
        found, each with the command that removes it."""
        left = [
            LeftBehind(
                "stack", str(s.facts.get("module", s.folder.name)), str(s.folder), f"stratatest cleanup {self.run_id}"
            )
            for s in runs.kept_stacks(self.run_id)
        ]
        found = getattr(self.config, "stratatest_leftovers", [])
        return left + [LeftBehind("resource", arn, where, finish) for arn, where, finish in found]

    def _new_pending(self, report: pytest.TestReport) -> _Pending:
        """The test's id and name are masked again with what this process knows: a worker masked its report with
        the secrets it registered, which need not be all of them."""
        props = dict(report.user_properties or [])
        controls = [c for c in str(props.get(CONTROLS_PROPERTY, "")).split(",") if c]
        name = getattr(report, "head_line", None) or report.nodeid.rsplit("::", 1)[-1]
        return _Pending(redact(report.nodeid), redact(name), props.get(LAYER_PROPERTY) or None, controls)

    def _say(self, line: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(line)
        else:
            print(line, file=sys.stderr)


def _reused(reused: Reused, selected_because: str | None) -> TestResult:
    """A test the results cache answered: the pass of run `reused.run_id` on the same inputs, saying so."""
    return TestResult(
        nodeid=redact(reused.nodeid),
        name=redact(reused.name),
        layer=reused.layer,
        outcome="passed",
        controls=list(reused.controls),
        duration=reused.duration,
        started=reused.started,
        reused_from=reused.run_id,
        selected_because=selected_because,
    )


def _scan_error(message: str) -> TestResult:
    return TestResult(
        nodeid="<checkov scans>",
        name="Checkov scans of the run",
        layer=None,
        outcome="error",
        message=truncate(redact(message)),
        started=now_iso(),
    )


def command_line(args: Sequence[str]) -> str:
    """The pytest invocation as a shell line, redacted: it is evidence of what ran, secrets excluded."""
    return redact(shlex.join(["pytest", *map(str, args)]))


def _apply_phase(pending: _Pending, report: pytest.TestReport) -> None:
    wasxfail = getattr(report, "wasxfail", None)
    if report.passed:
        if report.when == "call":
            pending.outcome = "xpassed" if wasxfail is not None else "passed"
    elif report.failed:
        if report.when == "call":
            pending.outcome = "failed"  # includes a strict xpass, which pytest reports as failed
        elif pending.outcome != "failed":
            pending.outcome = "error"  # setup or teardown broke: the test's verdict cannot be trusted
        if pending.message is None:
            pending.message = _failure_text(report)
    elif report.skipped:
        waiver = dict(report.user_properties or []).get(WAIVER_PROPERTY)
        if waiver is not None:  # a failure an active waiver covers (the plugin turned it into an xfail)
            pending.outcome, pending.waiver = "waived", str(waiver)
            pending.skip_reason = _clean_reason(wasxfail or "")
            pending.message = _failure_text(report)
        elif wasxfail is not None:
            pending.outcome = "xfailed"
            pending.skip_reason = _clean_reason(wasxfail) or "expected failure"
        else:
            pending.outcome = "skipped"
            pending.skip_reason = _skip_reason(report.longrepr)


def _skip_reason(longrepr: Any) -> str:
    if isinstance(longrepr, (tuple, list)) and len(longrepr) == 3:
        return _clean_reason(str(longrepr[2])) or "skipped"
    return _clean_reason(str(longrepr or "")) or "skipped"


def _clean_reason(reason: str) -> str:
    reason = reason.strip()
    for prefix in ("Skipped: ", "reason: "):
        if reason.startswith(prefix):
            reason = reason[len(prefix) :]
    return redact(reason.strip())


def _failure_text(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The crash message (assertion and its explanation) rather than the full traceback: short evidence."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = getattr(crash, "message", None) or report.longreprtext or report.outcome
    return truncate(redact(text))
