"""Self-contained HTML report for people: one file, inline CSS, readable without JavaScript or network.

Derived from the RunRecord alone, like every other report, so it cannot disagree with the machine-readable
ones. The page answers "what is wrong" before "what is fine": failed controls come first, and "not assessed"
is styled apart from "passed" so a gap is never read as a pass. Every value from the record is escaped: test
messages and resource names come from code under test and scanners, not from us.
"""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from stratatest.compliance.catalogue import SEVERITIES
from stratatest.compliance.results import (
    CONTROL_STATUSES,
    FINDING_RESULTS,
    LAYERS,
    NO_LAYER,
    OUTCOMES,
    ControlStatus,
    Finding,
    RunRecord,
    TestResult,
    WaiverStatus,
)
from stratatest.report.summary import gate_lines
from stratatest.secrets import redact

VERDICTS = {"passed": "PASSED", "failed": "FAILED", "empty": "NO TESTS", "interrupted": "INTERRUPTED"}
STATUS_LABELS = {"failed": "Failed", "waived": "Waived", "not_assessed": "Not assessed", "passed": "Passed"}
#: Short labels for the per-run history cells (each cell's title spells its status out).
HISTORY_LABELS = {"failed": "FAIL", "waived": "WAIV", "not_assessed": "NA", "passed": "PASS"}
FINDING_LABELS = {"passed": "passed", "failed": "failed", "skipped": "suppressed", "waived": "waived"}
# Test outcomes most in need of a reader's eye first, within a control.
_OUTCOME_RANK = {o: i for i, o in enumerate(("failed", "error", "xfailed", "waived", "skipped", "xpassed", "passed"))}
_SHORT_OUTCOMES = {"xfailed": "xfail", "xpassed": "xpass"}  # table headers, where width is short
_FAILED_FINDINGS = ("failed", "waived", "skipped")  # listed by resource; passed ones are only counted
_PASSED = frozenset({"passed", "xpassed"})
_TEST_HEADERS = ("Outcome", "Test", "Layer", "Time", "Detail")
#: A control's passed tests are listed open up to this many, folded (one click, no script) beyond it.
FOLD_PASSED_OVER = 5


def render_html(record: RunRecord, history: Sequence[RunRecord] = ()) -> str:
    """The whole report as one HTML document; `history` holds earlier runs (any order) for the trend cells."""
    counts = record.summary()
    earlier = sorted((r for r in history if r.run_id != record.run_id), key=lambda r: r.finished)
    title = f"stratatest {record.run_id}: {VERDICTS.get(record.verdict, record.verdict.upper())}"
    body = "".join(
        [
            _header(record),
            _summary(counts),
            '<div class="grid2">',
            _frameworks(record.controls),
            _layers(counts),
            "</div>",
            _controls(record, earlier),
            _waivers(record),
            _evidence(record),
            _unmapped(record.findings),
            _footer(record),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n<script>{_FILTER_JS}</script>\n</body>\n</html>\n"
    )


# --- sections ---------------------------------------------------------------------------------------------------


def _header(record: RunRecord) -> str:
    verdict = record.verdict
    commit = "no git commit"
    if record.commit:
        commit = f"<code>{_e(record.commit)}</code>"
        if record.dirty:
            commit += ' <span class="warn-text">uncommitted changes</span>'
    catalogue = "none recorded"
    if record.catalogue:  # the full digest is in the evidence table; a prefix identifies it here
        path, digest = record.catalogue.get("path", ""), record.catalogue.get("sha256", "")
        catalogue = f'{_e(path)} <code class="digest" title="sha256:{_e(digest)}">sha256:{_e(digest[:12])}</code>'
    rows = [  # two pairs a row: the header must leave room for the failed controls on the first screen
        ("Commit", commit, False),
        ("Started", _e(_when(record.started)), False),
        ("Target", _pairs(record.target) or "none recorded", False),
        ("Finished", f"{_e(_when(record.finished))}{_e(_duration(record.started, record.finished))}", False),
        ("Tools", _pairs(record.tool_versions) or "none recorded", False),
        ("Catalogue", catalogue, False),
    ]
    if record.interrupted:
        rows.append(("Interrupted", f'<span class="warn-text">by {_e(record.interrupted)}</span>', True))
    for item in record.left_behind:  # what the run could not remove comes first, with the command that does
        finish = f"<code>{_e(item.finish)}</code>"
        rows.append(("Left behind", f"{_e(item.kind)} <code>{_e(item.what)}</code> ({_e(item.where)}): {finish}", True))
    for line in gate_lines(record):
        rows.append(("Gate", _e(line), True))
    if record.command_line:
        rows.append(("Command", f"<code>{_e(redact(record.command_line))}</code>", True))
    meta = "".join(f"<dt>{label}</dt><dd{' class=wide' if wide else ''}>{value}</dd>" for label, value, wide in rows)
    return (
        f'<header class="run">\n<div class="verdict v-{_e(verdict)}" data-verdict="{_e(verdict)}">'
        f'<span class="verdict-label">Verdict</span>{_e(VERDICTS.get(verdict, verdict.upper()))}</div>\n'
        f'<div class="run-meta"><h1>stratatest compliance report <span class="run-id">run '
        f'<code>{_e(record.run_id)}</code></span></h1><dl class="meta">{meta}</dl></div>\n'
        "</header>\n"
    )


def _summary(counts: dict[str, Any]) -> str:
    controls = counts["controls"]
    tiles = "".join(
        f'<div class="tile st-{status}"><span class="num" data-count="controls-{_slug(status)}">{controls[status]}'
        f'</span><span class="lbl">{STATUS_LABELS[status]}</span></div>'
        for status in CONTROL_STATUSES
    )
    total = sum(controls.values())
    outcomes = "".join(
        f'<li class="oc-{o}"><span class="n" data-count="tests-{o}">{counts["outcomes"][o]}</span> {o}</li>'
        for o in OUTCOMES
    )
    findings = "".join(
        f'<li class="fr-{r}"><span class="n" data-count="findings-{r}">{counts["findings"][r]}</span> '
        f"{FINDING_LABELS[r]}</li>"
        for r in FINDING_RESULTS
    )
    return (
        '<section id="summary">\n'
        f'<div><h2>Controls <span class="muted">(<span data-count="controls-total">{total}</span>)</span></h2>'
        f'<div class="tiles">{tiles}</div></div>\n'
        f'<div><h2>Tests <span class="muted">(<span data-count="tests-total">{counts["tests"]}</span>)</span></h2>'
        f'<ul class="chips">{outcomes}</ul>\n'
        f'<h2>Scanner findings <span class="muted">(<span data-count="findings-total">'
        f'{sum(counts["findings"].values())}</span>)</span></h2><ul class="chips">{findings}</ul></div>\n'
        "</section>\n"
    )


def _frameworks(controls: Sequence[ControlStatus]) -> str:
    """Controls per public framework and version; a control mapped twice within one framework counts once."""
    by_framework: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for control in controls:
        for key in {(str(m.get("framework", "")), str(m.get("version", ""))) for m in control.mappings}:
            by_framework[key][control.status] += 1
    rows = []
    for (framework, version), statuses in sorted(by_framework.items()):
        cells = "".join(_num(statuses[s], s) for s in CONTROL_STATUSES)
        rows.append(
            f'<tr data-framework="{_e(framework)}" data-version="{_e(version)}"><th scope="row"><span class="fw">'
            f'{_e(framework)}</span> <span class="muted">{_e(version)}</span></th>'
            f"{_num(sum(statuses.values()))}{cells}</tr>"
        )
    headers = ["Framework", "Controls", *(STATUS_LABELS[s] for s in CONTROL_STATUSES)]
    table = _table(headers, rows, empty="no control maps to a public framework", numeric=range(1, 6))
    return f'<section id="frameworks"><h2>By framework</h2>{table}</section>\n'


def _layers(counts: dict[str, Any]) -> str:
    layers, assessed = counts["layers"], counts["assessed_by_layer"]
    names = [n for n in LAYERS if n in layers or n in assessed]
    names += [n for n in [*layers, *assessed] if n not in names]
    headers = ["Layer", *(_SHORT_OUTCOMES.get(o, o) for o in OUTCOMES), "Total", "Controls assessed"]
    rows = []
    for name in names:
        tests = layers.get(name, dict.fromkeys(OUTCOMES, 0))
        label = "(no layer)" if name == NO_LAYER else name
        cells = "".join(_num(tests.get(o, 0), o) for o in OUTCOMES)
        rows.append(
            f'<tr data-layer="{_e(name)}"><th scope="row">{_e(label)}</th>{cells}{_num(sum(tests.values()))}'
            f'<td class="n" data-assessed="{_e(name)}">{assessed.get(name, 0)}</td></tr>'
        )
    table = _table(headers, rows, empty="no test ran and no scanner finding was recorded", numeric=range(1, 10))
    return f'<section id="layers"><h2>By layer</h2>{table}</section>\n'


@dataclass
class _Context:
    """Lookups a control card needs, built once per page rather than once per control."""

    tests: dict[str, TestResult]
    findings: dict[str, list[Finding]]
    waivers: dict[str, WaiverStatus]
    lapsed: dict[str, list[WaiverStatus]]  # expired or invalid waivers aimed at a control
    history: list[tuple[RunRecord, dict[str, str]]]


def _controls(record: RunRecord, history: list[RunRecord]) -> str:
    findings: dict[str, list[Finding]] = defaultdict(list)
    for finding in record.findings:
        for control_id in finding.controls:
            findings[control_id].append(finding)
    lapsed: dict[str, list[WaiverStatus]] = defaultdict(list)
    for waiver in record.waivers:
        if waiver.state != "active" and waiver.control:
            lapsed[waiver.control].append(waiver)
    context = _Context(
        tests={r.nodeid: r for r in record.results},
        findings=findings,
        waivers={w.id: w for w in record.waivers},
        lapsed=lapsed,
        history=[(run, {c.id: c.status for c in run.controls}) for run in history],
    )
    if not record.controls:
        return '<section id="controls"><h2>Controls</h2><p class="empty">No controls in this record.</p></section>\n'
    runs = [f"<code>{_e(run.run_id)}</code> {_e(_when(run.finished)[:10])}" for run in history]
    keys = " ".join(f'<span class="h st-{s}">{HISTORY_LABELS[s]}</span>' for s in CONTROL_STATUSES)
    cards = "".join(_control(c, context) for c in sorted(record.controls, key=_control_order))
    return (
        '<section id="controls"><div class="section-head"><h2>Controls</h2><div id="control-filter"></div></div>\n'
        f'<p class="legend">History (oldest → newest): {" · ".join([*runs, "this run"])}. {keys} '
        '<span class="h st-absent">—</span> (NA: not assessed; —: not in that run)</p>\n'
        f'<div id="control-list">{cards}</div>\n</section>\n'
    )


def _control(control: ControlStatus, ctx: _Context) -> str:
    status = control.status
    history = "".join(_history_cell(run, statuses.get(control.id, "absent")) for run, statuses in ctx.history)
    history += _history_cell(None, status)
    parts = [
        f'<div class="line">{_mappings(control.mappings)}<span class="assess">{_e(_assessment(control))}</span></div>'
    ]
    if control.not_assessable:
        parts.append(f'<p class="note">Not assessable here: {_e(control.not_assessable)}</p>')
    attention, passed = _control_tests(control, ctx.tests)
    parts.append(attention)
    parts.append(_control_findings(control, ctx.findings.get(control.id, [])))
    parts.append(_control_waivers(control, ctx))
    if status in ("failed", "waived"):
        if control.rationale:
            parts.append(f'<p class="why"><b>Why it matters:</b> {_e(control.rationale)}</p>')
        if control.remediation:
            parts.append(f'<p class="fix"><b>Remediation:</b> {_e(control.remediation)}</p>')
    parts.append(passed)
    return (
        f'<article class="control st-{_e(status)}" id="control-{_e(control.id)}" data-control="{_e(control.id)}" '
        f'data-status="{_e(status)}" data-severity="{_e(control.severity)}">\n'
        f'<div class="control-head"><span class="badge st-{_e(status)}">{_e(_status_label(status))}</span>'
        f'<span class="cid">{_e(control.id)}</span><span class="ctitle">{_e(control.title)}</span>'
        f'<span class="sev sev-{_e(control.severity)}">{_e(control.severity)}</span>'
        f'<ol class="history" aria-label="status history">{history}</ol></div>\n'
        f'<div class="control-body">{"".join(p for p in parts if p)}</div>\n</article>\n'
    )


def _history_cell(run: RunRecord | None, status: str) -> str:
    run_id = run.run_id if run else "this run"
    when = f" ({_when(run.finished)[:10]})" if run else ""
    text = "—" if status == "absent" else HISTORY_LABELS.get(status, status[:4].upper())
    label = "not in that run" if status == "absent" else _status_label(status).lower()
    return (
        f'<li class="h st-{_e(status)}" data-run="{_e(run_id)}" data-status="{_e(status)}" '
        f'title="{_e(run_id + when)}: {_e(label)}">{_e(text)}</li>'
    )


def _mappings(mappings: list[dict[str, Any]]) -> str:
    if not mappings:
        return '<span class="maps muted">custom control: no public framework mapping</span>'
    items = "".join(
        f'<li><span class="fw">{_e(m.get("framework", ""))} {_e(m.get("version", ""))}</span> '
        f"{_e(', '.join(str(i) for i in m.get('ids', [])))}</li>"
        for m in mappings
    )
    return f'<ul class="maps">{items}</ul>'


def _assessment(control: ControlStatus) -> str:
    """One line on how the control was judged; skip reasons are in its tests table, next to each test."""
    if not control.tests and not control.findings:
        return "no test or scanner check ran for it"
    bits = []
    if control.tests:
        tally = ", ".join(f"{n} {word}" for n, word in _tally(control) if n)
        bits.append(f"{len(control.tests)} test{'s' if len(control.tests) != 1 else ''}: {tally}")
    if control.layers:
        bits.append(f"assessed in {', '.join(control.layers)}")
    return "; ".join(bits)


def _tally(control: ControlStatus) -> list[tuple[int, str]]:
    return [
        (control.failed, "failed"),
        (control.waived, "waived"),
        (control.skipped, "skipped"),
        (control.passed, "passed"),
    ]


def _control_tests(control: ControlStatus, tests: dict[str, TestResult]) -> tuple[str, str]:
    """The tests that need a reader (failed, waived, skipped) as a table, and the passed ones apart: folded
    under a summary line when there are many, so one failure is not buried under dozens of passes."""
    results = sorted(
        (tests[n] for n in control.tests if n in tests), key=lambda r: _OUTCOME_RANK.get(r.outcome, len(_OUTCOME_RANK))
    )
    rows = [_test_row(r) for r in results if r.outcome not in _PASSED]
    rows += [  # ids the record names without a result (should not happen; never hidden)
        f'<tr><td></td><td><code class="nodeid">{_e(n)}</code></td><td colspan="3">no result recorded</td></tr>'
        for n in control.tests
        if n not in tests
    ]
    passed = [_test_row(r) for r in results if r.outcome in _PASSED]
    attention = _table(_TEST_HEADERS, rows, numeric={3}, css="inner tests") if rows else ""
    if not passed:
        return attention, ""
    opened = " open" if len(passed) <= FOLD_PASSED_OVER else ""
    table = _table(_TEST_HEADERS, passed, numeric={3}, css="inner tests")
    summary = f"{len(passed)} passed test{'s' if len(passed) != 1 else ''}"
    return attention, f'<details class="passed-tests"{opened}><summary>{summary}</summary>{table}</details>'


def _test_row(result: TestResult) -> str:
    detail = ""
    if result.message:
        detail = f"<pre>{_e(result.message)}</pre>"
    elif result.skip_reason:
        detail = _e(result.skip_reason)
    if result.waiver:
        detail = f'<span class="tag">waiver {_e(result.waiver)}</span> {detail}'
    if result.reused_from:  # not run here: the pass of an earlier run on the same inputs
        detail = f'<span class="tag">reused from run {_e(result.reused_from)}</span> {detail}'
    if result.selected_because:
        detail = f"{detail} <small>selected: {_e(result.selected_because)}</small>"
    return (
        f'<tr data-outcome="{_e(result.outcome)}"><td><span class="oc oc-{_e(result.outcome)}">'
        f'{_e(result.outcome)}</span></td><td><code class="nodeid">{_e(result.nodeid)}</code></td>'
        f'<td>{_e(result.layer or "(no layer)")}</td><td class="n">{result.duration:.2f}s</td>'
        f"<td>{detail}</td></tr>"
    )


def _control_findings(control: ControlStatus, findings: list[Finding]) -> str:
    if not control.findings:
        return ""
    tally = ", ".join(f"{n} {FINDING_LABELS.get(r, r)}" for r, n in control.findings.items() if n)
    listed = [f for f in findings if f.result in _FAILED_FINDINGS]
    listed.sort(key=lambda f: _FAILED_FINDINGS.index(f.result))
    table = _findings_table(listed) if listed else ""
    return f'<p class="assess">Scanner findings: {_e(tally)}</p>{table}'


def _findings_table(findings: Iterable[Finding]) -> str:
    rows = []
    for f in findings:
        note = _e(f.reason or "")
        if f.waiver:
            note = f'<span class="tag">waiver {_e(f.waiver)}</span> {note}'
        rows.append(
            f'<tr data-result="{_e(f.result)}"><td><span class="oc fr-{_e(f.result)}">'
            f"{_e(FINDING_LABELS.get(f.result, f.result))}</span></td>"
            f"<td><code>{_e(f.check_id)}</code> {_e(f.check_name)}</td><td><code>{_e(f.resource)}</code></td>"
            f'<td><code class="loc">{_e(_location(f))}</code></td><td>{note}</td></tr>'
        )
    return _table(["Result", "Check", "Resource", "Location", "Reason / waiver"], rows, css="inner findings")


def _control_waivers(control: ControlStatus, ctx: _Context) -> str:
    items = []
    for waiver_id in control.waivers:
        waiver = ctx.waivers.get(waiver_id)
        if waiver is None:
            items.append(f"<li><b>{_e(waiver_id)}</b> (not in this run's waiver list)</li>")
            continue
        who = ", ".join(
            f"{label} {_e(value)}"
            for label, value in (("owner", waiver.owner), ("ticket", waiver.ticket), ("expires", waiver.expires))
            if value
        )
        items.append(f"<li><b>{_e(waiver.id)}</b> applied ({who}): {_e(waiver.reason or '')}</li>")
    for waiver in ctx.lapsed.get(control.id, []):
        items.append(
            f'<li class="warn-text"><b>{_e(waiver.id)}</b> not applied <span class="tag">{_e(waiver.state)}</span> '
            f"{_e(waiver.problem or '')}</li>"
        )
    return f'<ul class="waivers">{"".join(items)}</ul>' if items else ""


def _waivers(record: RunRecord) -> str:
    active = [w for w in record.waivers if w.state == "active"]
    lapsed = [w for w in record.waivers if w.state != "active"]
    finished = _date(record.finished)
    rows = []
    for w in active:
        left = _days_until(w.expires, finished)
        soon = left is not None and left <= 30
        expires = _e(w.expires or "never")
        if left is not None:
            expires += f'<br><span class="{"warn-text" if soon else "muted"}">in {left} days</span>'
        used = f"{len(w.applied_to)} item{'s' if len(w.applied_to) != 1 else ''}" if w.applied_to else "nothing"
        applied = _e(used) + "".join(f'<br><code class="nodeid">{_e(a)}</code>' for a in w.applied_to)
        age = "" if w.age_days is None else str(w.age_days)
        rows.append(
            f'<tr data-waiver="{_e(w.id)}"><th scope="row">{_e(w.id)}</th><td>{_scope(w)}</td>'
            f'<td>{_e(w.reason or "")}</td><td class="nw">{_e(w.owner or "")}</td>'
            f'<td class="nw">{_e(w.ticket or "")}</td><td class="nw">{_e(w.approver or "")}</td>'
            f'<td class="nw">{_e(w.created or "")}</td><td class="n" data-age="{_e(age)}">{_e(age)}</td>'
            f'<td class="nw">{expires}</td><td class="covered">{applied}</td></tr>'
        )
    headers = ["Id", "Scope", "Reason", "Owner", "Ticket", "Approver", "Created", "Age (days)", "Expires", "Covered"]
    table = _table(headers, rows, empty="no active waiver", numeric={7})
    warning = ""
    if lapsed:
        items = "".join(
            f'<li data-waiver="{_e(w.id)}" data-state="{_e(w.state)}"><b>{_e(w.id)}</b> '
            f'<span class="tag">{_e(w.state)}</span> {_e(w.problem or "")}'
            f'<span class="muted"> — {_scope(w)}{_owner(w)}</span></li>'
            for w in lapsed
        )
        warning = (
            '<div class="warning" id="waiver-problems"><h3>Expired and invalid waivers</h3>'
            "<p>These cover nothing: whatever they name counts as failed until they are renewed or fixed.</p>"
            f"<ul>{items}</ul></div>"
        )
    return f'<section id="waivers"><h2>Waivers</h2>{warning}<h3>Active</h3>{table}</section>\n'


def _evidence(record: RunRecord) -> str:
    catalogue = record.catalogue
    rows = (
        [
            f'<tr data-kind="catalogue"><td>catalogue</td><td>{_e(catalogue.get("path", ""))}</td>'
            f'<td><code class="digest">{_e(catalogue.get("sha256", ""))}</code></td><td></td></tr>'
        ]
        if catalogue
        else []
    )
    rows += [
        f'<tr data-kind="{_e(e.kind)}"><td>{_e(e.kind)}</td><td>{_e(e.name)}</td>'
        f'<td><code class="digest">{_e(e.sha256)}</code></td>'
        f'<td class="detail">{_e(json.dumps(e.detail, sort_keys=True)) if e.detail else ""}</td></tr>'
        for e in record.evidence
    ]
    table = _table(["Kind", "Name", "SHA-256", "Detail"], rows, empty="no artefact recorded")
    return (
        '<section id="evidence"><h2>Evidence</h2>'
        f'<p class="legend">The artefacts this run judged, and the catalogue it judged them by.</p>{table}</section>\n'
    )


def _unmapped(findings: Sequence[Finding]) -> str:
    """Scanner failures, waivers and suppressions on checks no control maps: outside every control card."""
    listed = [f for f in findings if not f.controls and f.result in _FAILED_FINDINGS]
    if not listed:
        return ""
    listed.sort(key=lambda f: (_FAILED_FINDINGS.index(f.result), f.check_id, f.resource))
    return (
        '<section id="unmapped"><h2>Findings on checks mapped to no control</h2>'
        '<p class="legend">Scanner results no catalogue control covers; map the check or fix the resource.</p>'
        f"{_findings_table(listed)}</section>\n"
    )


def _footer(record: RunRecord) -> str:
    version = record.tool_versions.get("stratatest", "")
    return (
        f"<footer>Generated by stratatest {_e(version)} from results record schema {record.schema_version}, "
        f"run {_e(record.run_id)}.</footer>\n"
    )


# --- small helpers ----------------------------------------------------------------------------------------------


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _slug(status: str) -> str:
    return status.replace("_", "-")


def _status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def _control_order(control: ControlStatus) -> tuple[int, int, str]:
    """Failed, waived, not assessed, passed; most severe first, then by id. A status this module does not know
    (a newer record) sorts first rather than hiding among the passes."""
    status = CONTROL_STATUSES.index(control.status) if control.status in CONTROL_STATUSES else -1
    severity = SEVERITIES.index(control.severity) if control.severity in SEVERITIES else len(SEVERITIES)
    return status, severity, control.id


def _pairs(values: dict[str, Any]) -> str:
    return " ".join(_pair(k, v) for k, v in values.items())


def _pair(key: str, value: Any) -> str:
    """One key and its value as people read it; a list longer than a few items folds away, so the header stays
    short and a failed control stays on the first screen."""
    if isinstance(value, (list, tuple)):
        items = ", ".join(map(str, value))
        if len(value) > 3:
            return f'<details class="kv"><summary>{_e(key)} <b>{len(value)}</b></summary>{_e(items)}</details>'
        value = items
    return f'<span class="kv">{_e(key)} <b>{_e(value)}</b></span>'


def _scope(waiver: WaiverStatus) -> str:
    bits = [
        f"{label} <code>{_e(value)}</code>"
        for label, value in (("control", waiver.control), ("check", waiver.check), ("resource", waiver.resource))
        if value
    ]
    return ", ".join(bits) or "(none)"


def _owner(waiver: WaiverStatus) -> str:
    return "".join(f"; {label} {_e(v)}" for label, v in (("owner", waiver.owner), ("ticket", waiver.ticket)) if v)


def _location(finding: Finding) -> str:
    lines = [n for n in finding.lines if n]
    if not lines:
        return finding.file
    first, last = lines[0], lines[-1]
    return f"{finding.file}:{first}" if first == last else f"{finding.file}:{first}-{last}"


def _parse(iso: str) -> datetime | None:
    try:
        return datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return None


def _when(iso: str) -> str:
    """'2026-11-26 16:49:58 UTC' for a UTC timestamp; anything unparseable is shown as recorded."""
    moment = _parse(iso)
    if moment is None:
        return iso
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    offset = moment.utcoffset()
    if offset is None:
        return text
    return f"{text} UTC" if not offset else f"{text} {moment.strftime('%z')}"


def _duration(started: str, finished: str) -> str:
    start, end = _parse(started), _parse(finished)
    if start is None or end is None or (start.tzinfo is None) != (end.tzinfo is None) or end < start:
        return ""
    seconds = int((end - start).total_seconds())
    minutes, seconds = divmod(seconds, 60)
    return f" ({minutes} min {seconds} s)" if minutes else f" ({seconds} s)"


def _date(iso: str | None) -> date | None:
    if not iso:
        return None
    moment = _parse(iso)
    return moment.date() if moment else None


def _days_until(expires: str | None, today: date | None) -> int | None:
    end = _date(expires)
    return (end - today).days if end and today else None


def _table(
    headers: Sequence[str], rows: list[str], *, empty: str = "", numeric: Container[int] = (), css: str = "data"
) -> str:
    """A table; the `numeric` column indexes are right-aligned, and no rows shows `empty` rather than nothing."""
    head = "".join(f'<th scope="col"{" class=n" if i in numeric else ""}>{_e(h)}</th>' for i, h in enumerate(headers))
    body = "".join(rows) or f'<tr><td colspan="{len(headers)}" class="empty">{_e(empty)}</td></tr>'
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _num(value: int, key: str | None = None) -> str:
    attr = f' data-status="{_e(key)}"' if key else ""
    zero = " zero" if not value else ""
    return f'<td class="n{zero}"{attr}>{value}</td>'


_CSS = """
:root{--fail:#b42318;--fail-bg:#fef3f2;--fail-bd:#fecdca;--waive:#93370d;--waive-bg:#fffaeb;--waive-bd:#fedf89;
--na:#344054;--na-bg:#f2f4f7;--na-bd:#98a2b3;--pass:#067647;--pass-bg:#ecfdf3;--pass-bd:#abefc6;
--text:#101828;--muted:#667085;--line:#e4e7ec;--page:#f5f6f8;--card:#fff}
*{box-sizing:border-box}
body{margin:0;background:var(--page);color:var(--text);
font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:16px 20px 40px}
h1{font-size:17px;margin:0 0 4px}h2{font-size:15px;margin:0 0 6px}h3{font-size:13px;margin:12px 0 6px}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
section,header.run{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px;
margin:0 0 10px}
.muted{color:var(--muted);font-weight:normal}.warn-text{color:var(--waive);font-weight:600}
header.run{display:flex;gap:18px;align-items:flex-start}
.verdict{min-width:128px;text-align:center;border-radius:8px;padding:10px 12px;font-size:22px;font-weight:700;
letter-spacing:.04em;color:#fff}
.verdict-label{display:block;font-size:11px;font-weight:600;letter-spacing:.08em;text-transform:uppercase;opacity:.85}
.v-failed{background:var(--fail)}.v-passed{background:var(--pass)}.v-empty{background:#475467}.v-interrupted{background:var(--fail)}
.run-meta{flex:1;min-width:0}
dl.meta{display:grid;grid-template-columns:max-content minmax(0,1fr) max-content max-content;gap:0 12px;margin:0}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere}dl.meta dd.wide{grid-column:2/-1}
details.kv{display:inline-block;vertical-align:top;white-space:normal}details.kv summary{cursor:pointer}
.kv{margin-right:10px;white-space:nowrap}.kv b{font-weight:600;white-space:normal;overflow-wrap:anywhere}
.digest{color:#475467;overflow-wrap:anywhere}td .digest{font-size:11px;white-space:nowrap}
.nw{white-space:nowrap}td.covered{font-size:12px}td.covered code{font-size:11px}
#summary h3{margin:8px 0 3px}.run-id{font-weight:normal;color:var(--muted);font-size:13px;margin-left:8px}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:8px}
.tile{border:1px solid;border-radius:8px;padding:6px 10px}
.tile .num{display:block;font-size:24px;font-weight:700;line-height:1.1}.tile .lbl{font-size:12px;font-weight:600}
.st-failed{color:var(--fail);background:var(--fail-bg);border-color:var(--fail-bd)}
.st-waived{color:var(--waive);background:var(--waive-bg);border-color:var(--waive-bd)}
.st-not_assessed{color:var(--na);border-color:var(--na-bd);border-style:dashed;
background:repeating-linear-gradient(135deg,#f2f4f7 0 6px,#e9ecf1 6px 12px)}
.st-passed{color:var(--pass);background:var(--pass-bg);border-color:var(--pass-bd)}
.st-absent{color:var(--muted);background:#fff;border-color:var(--line)}
ul.chips{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:5px}
ul.chips li{border:1px solid var(--line);border-radius:999px;padding:0 8px;background:#fcfcfd;font-size:12px}
ul.chips .n{font-weight:700}
#summary{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:20px}
#summary ul.chips{margin-bottom:6px}
.grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:10px}
.grid2>section{overflow-x:auto}
#frameworks tbody th{white-space:normal;font-weight:normal}#frameworks .fw{font-weight:600;white-space:nowrap}
table{border-collapse:collapse;width:100%;line-height:1.3}
th,td{text-align:left;padding:2px 6px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{font-size:11px;color:var(--muted);font-weight:600;vertical-align:bottom;border-bottom-color:#d0d5dd}
tbody th{white-space:nowrap}
.n{text-align:right;font-variant-numeric:tabular-nums}td.zero{color:#c0c5cf}
table.data td[data-status=failed]:not(.zero){color:var(--fail);font-weight:700}
table.data td[data-status=error]:not(.zero){color:var(--fail);font-weight:700}
table.data td[data-status=waived]:not(.zero){color:var(--waive);font-weight:700}
.empty{color:var(--muted);font-style:italic}
.legend{color:var(--muted);margin:0 0 8px;font-size:12px}
.legend .h{display:inline-block;margin-left:2px}
.section-head{display:flex;justify-content:space-between;align-items:baseline;gap:16px;flex-wrap:wrap}
.filter{display:flex;gap:12px;align-items:center;color:var(--muted);font-size:12px}
.filter input{vertical-align:-2px;margin:0 2px 0 0}
.filter label{cursor:pointer;user-select:none}
#control-list.hide-failed>.control[data-status=failed],#control-list.hide-waived>.control[data-status=waived],
#control-list.hide-not_assessed>.control[data-status=not_assessed],
#control-list.hide-passed>.control[data-status=passed]{display:none}
.control{border:1px solid var(--line);border-left:5px solid var(--na-bd);border-radius:6px;margin:0 0 6px;
background:#fff;color:var(--text)}
.control.st-failed{border-left-color:var(--fail)}.control.st-waived{border-left-color:#f79009}
.control.st-passed{border-left-color:#17b26a}.control.st-not_assessed{border-left-style:dashed}
.control-head{display:flex;gap:10px;align-items:center;padding:5px 10px 3px}
.control.st-failed .control-head{background:var(--fail-bg)}.control.st-waived .control-head{background:var(--waive-bg)}
.badge{border:1px solid;border-radius:4px;padding:0 6px;font-size:11px;font-weight:700;text-transform:uppercase;
letter-spacing:.03em;white-space:nowrap;min-width:96px;text-align:center}
.cid{font:600 12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:nowrap}
.ctitle{flex:1;min-width:0}
.sev{font-size:11px;text-transform:uppercase;font-weight:600;color:var(--muted);white-space:nowrap}
.sev-critical{color:#912018}.sev-high{color:#b42318}.sev-medium{color:#93370d}
ol.history{list-style:none;margin:0;padding:0;display:flex;gap:3px}
.h{border:1px solid;border-radius:3px;font:600 10px/16px ui-monospace,Menlo,Consolas,monospace;width:38px;
text-align:center}
ol.history .h:last-child{outline:2px solid #98a2b3;outline-offset:1px}
.control-body{padding:2px 10px 6px 10px}
.control-body p{margin:3px 0}
.control.st-not_assessed .control-body,.control.st-passed .control-body{padding-top:2px}
.line{display:flex;flex-wrap:wrap;justify-content:space-between;gap:2px 16px;margin:2px 0}
ul.maps{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:2px 14px;color:#344054}
.maps .fw{color:var(--muted)}
.assess{color:var(--muted)}.note{color:var(--na)}
table.inner{margin:4px 0 6px;font-size:12px}table.inner thead th{font-size:10px}
table.findings{table-layout:fixed;width:100%}table.findings td{overflow-wrap:anywhere;white-space:normal}
table.findings th:nth-child(1){width:9%}table.findings th:nth-child(2){width:22%}
table.findings th:nth-child(3){width:22%}table.findings th:nth-child(4){width:20%}
.nodeid{overflow-wrap:anywhere}
pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;
color:var(--fail)}
.oc{font-size:11px;font-weight:700;text-transform:uppercase}
.oc-failed,.oc-error,.oc-xfailed,.fr-failed{color:var(--fail)}.oc-waived,.fr-waived,.fr-skipped{color:var(--waive)}
.oc-passed,.oc-xpassed,.fr-passed{color:var(--pass)}.oc-skipped{color:var(--na)}
.tag{display:inline-block;border:1px solid var(--waive-bd);background:var(--waive-bg);color:var(--waive);
border-radius:3px;padding:0 4px;font-size:11px;font-weight:600}
ul.waivers{margin:4px 0;padding-left:18px}
details.passed-tests>summary{cursor:pointer;color:var(--pass);font-size:12px;font-weight:600;margin:2px 0}
.why,.fix{border-left:3px solid var(--line);padding-left:8px}.fix{border-left-color:var(--fail-bd)}
.warning{border:1px solid var(--waive-bd);background:var(--waive-bg);border-radius:6px;padding:8px 12px;
margin:0 0 10px}
.warning h3{margin:0 0 4px;color:var(--waive)}.warning p{margin:0 0 4px}.warning ul{margin:0;padding-left:18px}
td.detail{color:var(--muted);font-size:12px;overflow-wrap:anywhere}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}
@media (max-width:900px){#summary,.grid2{grid-template-columns:1fr}header.run{flex-direction:column}}
@media print{body{background:#fff}.filter{display:none}section,.control{break-inside:avoid}
#control-list>.control{display:block!important}}
"""

# Progressive enhancement only: without JavaScript every control is shown and nothing is lost.
_FILTER_JS_TEMPLATE = """
(function () {
  var list = document.getElementById("control-list");
  var bar = document.getElementById("control-filter");
  if (!list || !bar) return;
  bar.className = "filter";
  bar.appendChild(document.createTextNode("Show:"));
  __STATUSES__.forEach(function (pair) {
    var count = list.querySelectorAll('.control[data-status="' + pair[0] + '"]').length;
    if (!count) return;
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.checked = true;
    box.addEventListener("change", function () { list.classList.toggle("hide-" + pair[0], !box.checked); });
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + pair[1] + " (" + count + ")"));
    bar.appendChild(label);
  });
})();
"""
_FILTER_JS = _FILTER_JS_TEMPLATE.replace("__STATUSES__", json.dumps([[s, STATUS_LABELS[s]] for s in CONTROL_STATUSES]))
