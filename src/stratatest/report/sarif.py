"""SARIF 2.1.0 from the results record: the run's located failures, for code-scanning views and IDEs.

Code scanning shows a result beside the lines it concerns, so only what names a source file is here: Checkov
findings on files (a plan scan names a planned folder, not a file: it stays in the record and the other reports)
and static-layer tests that failed a control (failed, errored or xfailed), located at their test file. Waived
findings and tests, and inline-skipped findings, are kept as suppressed results (`external` / `inSource`) so a
reviewer sees the decision and its justification, not a gap.

Shape: one run. The driver is stratatest, whose rules are the catalogue controls its tests assess; Checkov is
an extension (it runs inside stratatest's static layer) whose rules are the checks that have a result here.
Severity is the catalogue's, since open-source Checkov has none.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from stratatest.compliance.catalogue import SEVERITIES
from stratatest.compliance.results import ControlStatus, Finding, RunRecord, TestResult, WaiverStatus
from stratatest.errors import ConfigError

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
#: Every uri is relative to the repository root; a consumer (e.g. upload-sarif) binds this id to its checkout.
SRCROOT = "SRCROOT"
FINGERPRINT_KEY = "stratatest/v1"
CHECKOV_INFORMATION_URI = "https://www.checkov.io/"
#: The rule of a failed static test that names no control: it still fails the run, so it must show.
NO_CONTROL_RULE = "stratatest/test-without-control"

LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
UNMAPPED_LEVEL = "warning"
# GitHub code scanning orders alerts by this CVSS-like score (critical > 9.0, high 7.0-8.9, medium 4.0-6.9).
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}
# Test outcomes that fail a control (compliance.results.rollup), and "waived" ones, shown suppressed.
_REPORTED_TESTS = frozenset({"failed", "error", "xfailed", "waived"})
_REPORTED_FINDINGS = frozenset({"failed", "waived", "skipped"})
# How a finding from a plan names what was scanned, e.g. "terraform/envs/dev (plan)": a folder, not a file.
_SCAN_LABEL = re.compile(r"\s\(.+\)$")


def render_sarif(record: RunRecord) -> str:
    """The SARIF log as JSON text (UTF-8 safe, stable order: findings in record order, then tests)."""
    return json.dumps(_sarif_log(record), indent=2, ensure_ascii=False) + "\n"


def _sarif_log(record: RunRecord) -> dict[str, Any]:
    controls = {c.id: c for c in record.controls}
    waivers = {w.id: w for w in record.waivers}
    driver_rules = _Rules(lambda control_id: _control_rule(control_id, controls.get(control_id)))
    checks = _checks(record.findings)
    checkov_rules = _Rules(lambda check_id: _check_rule(check_id, checks[check_id], controls))

    results = [
        _finding_result(finding, path, checkov_rules, waivers)
        for finding in record.findings
        if finding.result in _REPORTED_FINDINGS and finding.in_repo and (path := source_path(finding.file))
    ]
    for test in record.results:
        if test.layer == "static" and test.outcome in _REPORTED_TESTS:
            results.extend(_test_results(test, driver_rules, waivers))

    driver = {"name": "stratatest", **_present(version=record.tool_versions.get("stratatest"))}
    tool: dict[str, Any] = {"driver": {**driver, "rules": driver_rules.descriptors}}
    if checkov_rules.descriptors:
        checkov = {"name": "checkov", **_present(version=record.tool_versions.get("checkov"))}
        checkov.update(informationUri=CHECKOV_INFORMATION_URI, rules=checkov_rules.descriptors)
        tool["extensions"] = [checkov]

    invocation: dict[str, Any] = {
        "executionSuccessful": True,  # the suite ran to the end; what it found is in the results
        "startTimeUtc": _utc(record.started, "started"),
        "endTimeUtc": _utc(record.finished, "finished"),
    }
    invocation.update(_present(commandLine=record.command_line))
    run = {
        "tool": tool,
        # GitHub takes what precedes the last "/" as the analysis category: constant, so alerts carry over runs.
        "automationDetails": {"id": f"stratatest/{record.run_id}"},
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "The root of the repository that was tested."}}},
        "invocations": [invocation],
        "results": results,
        "properties": {
            "runId": record.run_id,
            "commit": record.commit,
            "dirty": record.dirty,
            "verdict": record.verdict,
            "target": record.target,
            "catalogue": record.catalogue,
        },
    }
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def source_path(file: str) -> str | None:
    """`file` when it is a path inside the repository; None for a scan label or a path outside it."""
    if not file or _SCAN_LABEL.search(file):
        return None
    path = PurePosixPath(file.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        return None
    return str(path)


class _Rules:
    """A toolComponent's rules, in order of first use, so each result can point at its rule by index."""

    def __init__(self, build: Callable[[str], dict[str, Any]]) -> None:
        self._build = build
        self._index: dict[str, int] = {}
        self.descriptors: list[dict[str, Any]] = []

    def index(self, rule_id: str) -> int:
        if rule_id not in self._index:
            self._index[rule_id] = len(self.descriptors)
            self.descriptors.append(self._build(rule_id))
        return self._index[rule_id]

    def level(self, rule_id: str) -> str:
        return self.descriptors[self.index(rule_id)]["defaultConfiguration"]["level"]


@dataclass
class _Check:
    """What the record says about one Checkov check: its name and the controls it is mapped to."""

    name: str
    controls: list[str] = field(default_factory=list)


def _checks(findings: Iterable[Finding]) -> dict[str, _Check]:
    checks: dict[str, _Check] = {}
    for finding in findings:
        check = checks.setdefault(finding.check_id, _Check(finding.check_name or finding.check_id))
        check.controls.extend(c for c in finding.controls if c not in check.controls)
    return checks


def _highest(severities: Iterable[str]) -> str | None:
    known = [s for s in severities if s in SEVERITIES]
    return min(known, key=SEVERITIES.index) if known else None


def _severity_properties(severity: str | None) -> dict[str, Any]:
    if severity is None:
        return {"severity": "unmapped"}
    return {"severity": severity, "security-severity": _SECURITY_SEVERITY[severity]}


def _check_rule(check_id: str, check: _Check, controls: dict[str, ControlStatus]) -> dict[str, Any]:
    mapped = [controls[c] for c in check.controls if c in controls]
    severity = _highest(c.severity for c in mapped)
    return {
        "id": check_id,
        "name": check.name,
        "shortDescription": {"text": check.name},
        "defaultConfiguration": {"level": LEVELS.get(severity or "", UNMAPPED_LEVEL)},
        "properties": {
            "controls": [{"id": c.id, "title": c.title, "severity": c.severity} for c in mapped],
            **_severity_properties(severity),
            "tags": ["security", *check.controls],
        },
    }


def _control_rule(control_id: str, control: ControlStatus | None) -> dict[str, Any]:
    if control_id == NO_CONTROL_RULE:
        return {
            "id": NO_CONTROL_RULE,
            "name": "static test without a control",
            "shortDescription": {"text": "A static-layer test that assesses no catalogue control failed"},
            "defaultConfiguration": {"level": "error"},
            "properties": {"severity": "unmapped", "tags": ["stratatest"]},
        }
    if control is None:  # the record names a control the catalogue lacks; kept visible, as rollup does
        control = ControlStatus(control_id, "(not in the controls catalogue)", "unknown", "not_assessed")
    severity = control.severity if control.severity in SEVERITIES else None
    rule: dict[str, Any] = {
        "id": control.id,
        "name": control.title,
        "shortDescription": {"text": control.title},
        "defaultConfiguration": {"level": LEVELS.get(severity or "", UNMAPPED_LEVEL)},
        "properties": {
            **_severity_properties(severity),
            "frameworks": control.mappings,
            "tags": ["security", "compliance"],
        },
    }
    if control.rationale:
        rule["fullDescription"] = {"text": control.rationale}
    if control.remediation:
        rule["help"] = {"text": control.remediation}
    return rule


def _finding_result(finding: Finding, path: str, rules: _Rules, waivers: dict[str, WaiverStatus]) -> dict[str, Any]:
    index = rules.index(finding.check_id)
    verb = "skipped inline" if finding.result == "skipped" else "failed"
    text = f"{finding.check_id} {verb} on {finding.resource}: {finding.check_name}"
    if finding.result == "waived":
        text += f"; waived by {finding.waiver}"
    if finding.reason:
        text += f"; reason: {finding.reason}"
    result: dict[str, Any] = {
        "ruleId": finding.check_id,
        "rule": {"id": finding.check_id, "index": index, "toolComponent": {"index": 0}},  # tool.extensions[0]
        "level": rules.level(finding.check_id),
        "message": {"text": text},
        "locations": [_location(path, finding.lines, finding.resource, "resource")],
        "partialFingerprints": {FINGERPRINT_KEY: _digest(finding.check_id, finding.resource, path)},
        "properties": {
            "framework": finding.framework,
            "layer": finding.layer,
            "result": finding.result,
            "controls": finding.controls,
        },
    }
    if finding.result == "waived":
        result["suppressions"] = [_waiver_suppression(finding.waiver, finding.reason, waivers)]
    elif finding.result == "skipped":
        result["suppressions"] = [{"kind": "inSource", **_present(justification=finding.reason)}]
    return result


def _test_results(test: TestResult, rules: _Rules, waivers: dict[str, WaiverStatus]) -> list[dict[str, Any]]:
    """One result per control the test assesses: a SARIF result has one rule, and each control failed."""
    path = source_path(test.nodeid.split("::", 1)[0])
    if path is None:
        return []
    text = f"{test.nodeid} {test.outcome}" + (f": {test.message}" if test.message else "")
    results = []
    for control_id in test.controls or [NO_CONTROL_RULE]:
        result: dict[str, Any] = {
            "ruleId": control_id,
            "ruleIndex": rules.index(control_id),
            "level": rules.level(control_id),
            "message": {"text": text},
            "locations": [_location(path, [], test.nodeid, "function")],
            "partialFingerprints": {FINGERPRINT_KEY: _digest(control_id, test.nodeid)},
            "properties": {"nodeid": test.nodeid, "outcome": test.outcome, "layer": test.layer},
        }
        if test.outcome == "waived":
            result["suppressions"] = [_waiver_suppression(test.waiver, None, waivers)]
        results.append(result)
    return results


def _location(path: str, lines: list[int], name: str, kind: str) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(path), "uriBaseId": SRCROOT}}
    start = lines[0] if lines else 0
    if start >= 1:  # [0, 0]: the scanner gave no line; a region must start at line 1 or later
        physical["region"] = {"startLine": start, "endLine": max(lines[-1], start)}
    return {"physicalLocation": physical, "logicalLocations": [{"fullyQualifiedName": name, "kind": kind}]}


def _waiver_suppression(waiver_id: str | None, reason: str | None, waivers: dict[str, WaiverStatus]) -> dict[str, Any]:
    """An accepted external suppression: the waiver file is the persistent store, its approver the acceptance."""
    waiver = waivers.get(waiver_id or "")
    justification = reason or (waiver.reason if waiver else None)
    properties = {"waiver": waiver_id}
    if waiver:
        properties.update(
            _present(owner=waiver.owner, ticket=waiver.ticket, approver=waiver.approver, expires=waiver.expires)
        )
    return {"kind": "external", "status": "accepted", **_present(justification=justification), "properties": properties}


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _utc(timestamp: str, what: str) -> str:
    """SARIF wants UTC times ending in Z (§3.9); the record keeps ISO 8601 with an offset."""
    try:
        moment = datetime.fromisoformat(timestamp)
    except (TypeError, ValueError):
        raise ConfigError(f"results record: '{what}' is {timestamp!r}, not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ConfigError(f"results record: '{what}' ({timestamp}) has no UTC offset")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _present(**values: Any) -> dict[str, Any]:
    """Only the values that are set: SARIF omits absent properties rather than writing null."""
    return {k: v for k, v in values.items() if v not in (None, "")}
