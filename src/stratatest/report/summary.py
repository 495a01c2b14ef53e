"""Plain-text run summary for the end of a pytest session: readable in CI logs, no colour codes.

It is derived from the RunRecord alone, so what the console says and what the auditors' reports say agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from stratatest.compliance.results import NO_LAYER, OUTCOMES, RunRecord

_STATUS_LABELS = {"passed": "PASSED", "failed": "FAILED", "waived": "WAIVED", "not_assessed": "NOT ASSESSED"}
_OUTCOME_HEADERS = {
    "passed": "passed",
    "failed": "failed",
    "error": "error",
    "skipped": "skipped",
    "xfailed": "xfail",
    "xpassed": "xpass",
    "waived": "waived",
}
REASON_WIDTH = 70


def format_summary(record: RunRecord) -> str:
    """Header, a table per layer, a table per control, waivers, and a one-line verdict."""
    gate = [*gate_lines(record), ""] if gate_lines(record) else []
    parts = [_header(record), *gate, "", _layer_table(record), "", _control_table(record), "", *_waiver_lines(record)]
    return "\n".join([*parts, *_left_lines(record), _assessed_line(record), _verdict(record)]) + "\n"


def gate_lines(record: RunRecord) -> list[str]:
    """What the gate left out of the run, and why: a reader must not take a selection for the whole."""
    selection = record.selection or {}
    lines = []
    if selection.get("changed_since"):
        total = selection["selected"] + selection["not_selected"]
        lines.append(
            f"Changed since {selection['changed_since']} (merge base {str(selection['base'])[:12]}): "
            f"{selection['selected']} of {total} tests selected, {selection['not_selected']} not run"
        )
    reused = sorted({r.reused_from for r in record.results if r.reused_from})
    if reused:
        count = sum(1 for r in record.results if r.reused_from)
        lines.append(
            f"Reused: {count} passed test(s) not run again, inputs unchanged since run {', '.join(reused)}; "
            "their evidence is in that run's record"
        )
    return lines


def _left_lines(record: RunRecord) -> list[str]:
    """What the run could not remove, each with the command that does: first thing a reader must act on."""
    if not record.left_behind:
        return []
    lines = [f"LEFT BEHIND ({len(record.left_behind)}): the run could not remove these"]
    lines += [f"  {item.kind} {item.what} ({item.where}): {item.finish}" for item in record.left_behind]
    return [*lines, ""]


def _assessed_line(record: RunRecord) -> str:
    assessed = record.summary()["assessed_by_layer"]
    if not assessed:
        return "Controls assessed per layer: none"
    return "Controls assessed per layer: " + ", ".join(f"{layer} {n}" for layer, n in assessed.items())


def _waiver_lines(record: RunRecord) -> list[str]:
    """Active waivers with their age; expired and invalid ones loudly, since what they covered now fails."""
    if not record.waivers:
        return []
    lines = []
    for waiver in record.waivers:
        if waiver.state == "active":
            covered = f"covered {len(waiver.applied_to)}" if waiver.applied_to else "covered nothing this run"
            lines.append(f"waiver {waiver.id}: active, {waiver.age_days} days old, expires {waiver.expires}, {covered}")
        else:
            lines.append(f"waiver {waiver.id}: {waiver.state.upper()}, not applied: {waiver.problem}")
    return [*lines, ""]


def _header(record: RunRecord) -> str:
    commit = "no git commit"
    if record.commit:
        commit = f"commit {record.commit[:12]}" + (" (uncommitted changes)" if record.dirty else "")
    target = record.target.get("name") if record.target else None
    bits = [f"stratatest run {record.run_id}", commit]
    if target:
        bits.append(f"target {target}")
    return "  ".join(bits)


def _layer_table(record: RunRecord) -> str:
    layers = record.summary()["layers"]
    if not layers:
        return "Layers: no test ran"
    headers = ["layer", *(_OUTCOME_HEADERS[o] for o in OUTCOMES), "total"]
    rows = []
    totals = dict.fromkeys(OUTCOMES, 0)
    for name, counts in layers.items():
        rows.append([name if name != NO_LAYER else "(no layer)", *(str(counts[o]) for o in OUTCOMES)])
        rows[-1].append(str(sum(counts.values())))
        for outcome in OUTCOMES:
            totals[outcome] += counts[outcome]
    rows.append(["total", *(str(totals[o]) for o in OUTCOMES), str(sum(totals.values()))])
    return _table(headers, rows, numeric_from=1)


def _control_table(record: RunRecord) -> str:
    if not record.controls:
        return "Controls: none in the catalogue"
    headers = ["control", "severity", "status", "tests", "note"]
    rows = []
    for control in record.controls:
        note = ""
        if control.status == "not_assessed":  # why: the catalogue's reason it cannot be, else the first skip's
            note = _first_line(control.not_assessed_reason)
        elif control.status == "failed":
            failed_findings = control.findings.get("failed", 0)
            note = f"{control.failed} of {len(control.tests)} tests failed" if control.failed else ""
            if failed_findings:
                note += ("; " if note else "") + f"{failed_findings} Checkov finding(s) failed"
        elif control.status == "waived":
            note = f"accepted deviation: {', '.join(control.waivers)}"
        elif control.skipped:  # passed where assessed; say where it was not, and why
            reason = _first_line(control.reasons[0]) if control.reasons else "skipped"
            note = f"{control.skipped} of {len(control.tests)} not assessed: {reason}"
        label = _STATUS_LABELS.get(control.status, control.status.upper())
        rows.append([control.id, control.severity, label, str(len(control.tests)), note])
    return _table(headers, rows, numeric_from=3, numeric_to=4)


def _verdict(record: RunRecord) -> str:
    counts = record.summary()
    controls = counts["controls"]
    total = sum(controls.values())
    control_part = (
        f"controls: {controls['failed']} failed, {controls['waived']} waived, {controls['passed']} passed, "
        f"{controls['not_assessed']} not assessed of {total}"
    )
    broken = counts["outcomes"]["failed"] + counts["outcomes"]["error"]
    verdict = record.verdict
    left = f"; {len(record.left_behind)} left behind" if record.left_behind else ""
    if verdict == "failed":
        return f"Verdict: FAILED ({broken} tests failed or errored{left}; {control_part})"
    if verdict == "interrupted":
        return (
            f"Verdict: INTERRUPTED by {record.interrupted} ({counts['tests']} tests, {broken} failed or errored"
            f"{left}; {control_part})"
        )
    if verdict == "empty":
        return f"Verdict: NO TESTS RAN ({control_part})"
    return f"Verdict: PASSED ({counts['tests']} tests, none failed; {control_part})"


def _table(headers: Sequence[str], rows: list[list[str]], numeric_from: int, numeric_to: int | None = None) -> str:
    """Left-aligned text columns, right-aligned numeric ones; the last column is not padded."""
    numeric_to = len(headers) if numeric_to is None else numeric_to
    widths = [max(len(r[i]) for r in [list(headers), *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            numeric = numeric_from <= i < numeric_to
            out.append(cell.rjust(widths[i]) if numeric else cell.ljust(widths[i]))
        return "  ".join(out).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= REASON_WIDTH else line[: REASON_WIDTH - 3] + "..."
