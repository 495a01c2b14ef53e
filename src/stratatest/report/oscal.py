"""OSCAL assessment plan and assessment results, derived from the results record alone.

Auditors' tools read OSCAL, so a run's verdicts are stated there with OSCAL's own vocabulary: one finding per
catalogue control (satisfied only when it passed; "not assessed" is not-satisfied with reason "other"), one
observation per test and per Checkov finding that matters, and a deviation-approved risk for every waived
control. Every UUID is a uuid5 of the run id and a local key, so rendering the same record twice gives the same
bytes. Both documents are validated by compliance-trestle's models before they are returned.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError
from trestle.oscal import OSCAL_VERSION
from trestle.oscal.assessment_plan import AssessmentPlan
from trestle.oscal.assessment_results import AssessmentResults

from stratatest.compliance.results import NO_LAYER, ControlStatus, Finding, RunRecord, TestResult, WaiverStatus
from stratatest.errors import ConfigError
from stratatest.layers import LAYER_HELP, LAYERS

NS = "https://stratatest.dev/ns/oscal"
PLAN_HREF = "oscal-assessment-plan.json"
SSP_HREF = "ssp.json"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, NS)
_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")  # the ASCII part of OSCAL's token type (property names)

# (objective-status state, reason) per control status. A waiver accepts a failure, it does not undo it, and OSCAL
# has no "not assessed" state: an objective nobody tested is not shown to be satisfied.
_OBJECTIVE_STATUS = {
    "passed": ("satisfied", "pass"),
    "failed": ("not-satisfied", "fail"),
    "waived": ("not-satisfied", "fail"),
    "not_assessed": ("not-satisfied", "other"),
}


def assessment_plan(record: RunRecord) -> str:
    """The plan this run carried out: the catalogue's controls, one TEST activity per layer, commit and target.

    There is no system security plan: `import-ssp` points at a placeholder (`ssp.json`), as the format requires
    one; the assessed system is described in `local-definitions` instead.
    """
    ids = _Ids(record.run_id)
    plan = {
        "uuid": ids("assessment-plan"),
        "metadata": _metadata(record, f"stratatest assessment plan for run {record.run_id}"),
        "import-ssp": {
            "href": SSP_HREF,
            "remarks": "Placeholder: no system security plan exists. The assessed system (the infrastructure "
            "code at a commit, and the target it was applied to) is defined in local-definitions.",
        },
        "local-definitions": {
            "components": _subject_components(record, ids),
            "activities": [_activity(layer, record, ids) for layer in LAYERS],
        },
        "reviewed-controls": _reviewed_controls(record),
        "assessment-subjects": [
            {
                "type": "component",
                "description": "The infrastructure code at the run's commit and the target it was tested against.",
                "include-subjects": [{"subject-uuid": u, "type": "component"} for u in _subject_uuids(ids)],
            }
        ],
        "assessment-assets": _assessment_assets(record, ids),
    }
    return _render(AssessmentPlan, plan, record)


def assessment_results(record: RunRecord, plan_href: str = PLAN_HREF) -> str:
    """One result for the run: observations (tests, Checkov findings), a finding per control, waiver risks."""
    ids = _Ids(record.run_id)
    observations, by_control, waived = _observations(record, ids)
    risks = [_risk(c, record, ids, by_control.get(c.id, []), waived) for c in record.controls if c.status == "waived"]
    findings = [_finding(c, record, ids, by_control.get(c.id, [])) for c in record.controls]
    resources = _back_matter(record, ids)
    result = {
        "uuid": ids("result"),
        "title": f"stratatest run {record.run_id}",
        "description": _run_description(record),
        "start": record.started,
        "end": record.finished,
        "props": _props(verdict=record.verdict),
        "links": [{"href": f"#{r['uuid']}", "rel": "reference", "text": r["title"]} for r in resources] or None,
        "local-definitions": {
            "components": _subject_components(record, ids),
            "assessment-assets": _assessment_assets(record, ids),
        },
        "reviewed-controls": _reviewed_controls(record),
        "observations": observations or None,
        "risks": risks or None,
        "findings": findings or None,
    }
    document = {
        "uuid": ids("assessment-results"),
        "metadata": _metadata(record, f"stratatest assessment results for run {record.run_id}"),
        "import-ap": {"href": plan_href},
        "results": [result],
        "back-matter": {"resources": resources} if resources else None,
    }
    return _render(AssessmentResults, document, record)


class _Ids:
    """Deterministic UUIDs: uuid5 of the run id and a local key; a repeated key gets a numbered twin."""

    def __init__(self, run_id: str) -> None:
        self._run_id = run_id
        self._seen: dict[str, int] = {}

    def __call__(self, key: str) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{self._run_id}/{key}"))

    def unique(self, key: str) -> str:
        """For items that may repeat (the same node id twice): the second one gets key#2, and so on."""
        count = self._seen[key] = self._seen.get(key, 0) + 1
        return self(key if count == 1 else f"{key}#{count}")


def _render(model: Any, document: dict[str, Any], record: RunRecord) -> str:
    """Validate with trestle's model and serialise with it; a record OSCAL cannot express is a ConfigError."""
    try:
        parsed = model.model_validate(_drop_none(document))
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(
            f"results record of run {record.run_id} cannot be written as OSCAL: {where}: {first['msg']}",
            hint="check the record's timestamps (ISO 8601 with a UTC offset) and ids",
        ) from None
    return parsed.oscal_serialize_json(pretty=True) + "\n"


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _line(text: Any) -> str:
    """OSCAL titles and property values are one line without outer spaces."""
    return " ".join(str(text).split())


def _prop(name: str, value: Any, group: str | None = None) -> dict[str, Any] | None:
    text = _line(value) if value is not None else ""
    return {"name": name, "ns": NS, "value": text, "group": group} if text else None


def _props(*pairs: tuple[str, Any], group: str | None = None, **named: Any) -> list[dict[str, Any]] | None:
    """stratatest-namespaced properties, empty values left out; None when nothing is left (OSCAL forbids [])."""
    props = [_prop(name, value, group) for name, value in (*pairs, *named.items())]
    kept = [p for p in props if p]
    return kept or None


def _metadata(record: RunRecord, title: str) -> dict[str, Any]:
    tools = [("tool-version", f"{name} {version}") for name, version in sorted(record.tool_versions.items())]
    return {
        "title": title,
        "last-modified": record.finished,
        "version": record.run_id,
        "oscal-version": OSCAL_VERSION,
        "props": _props(
            ("run-id", record.run_id),
            ("commit", record.commit or "none"),
            ("dirty", str(record.dirty).lower()),
            ("catalogue", record.catalogue.get("path")),
            ("catalogue-sha256", record.catalogue.get("sha256")),
            *tools,
        ),
        "remarks": f"Generated by stratatest from results record {record.run_id}"
        + (f"; command line: {record.command_line}" if record.command_line else "")
        + ".",
    }


def _subject_uuids(ids: _Ids) -> list[str]:
    return [ids("component/code"), ids("component/target")]


def _subject_components(record: RunRecord, ids: _Ids) -> list[dict[str, Any]]:
    """The assessed system: the code at the commit, and the target its plans and applies ran against."""
    commit = record.commit or "no git commit"
    code_title = f"Infrastructure code at commit {commit[:12]}" + (" (uncommitted changes)" if record.dirty else "")
    target = record.target or {}
    target_title = f"Target {target.get('name', 'not recorded')}" + (
        f" {target['version']}" if target.get("version") else ""
    )
    return [
        {
            "uuid": ids("component/code"),
            "type": "software",
            "title": _line(code_title),
            "description": "Terraform modules, Helm charts and the stratatest suite, as checked out for this run.",
            "props": _props(commit=record.commit, dirty=str(record.dirty).lower()),
            "status": {"state": "operational"},
        },
        {
            "uuid": ids("component/target"),
            "type": "system",
            "title": _line(target_title),
            "description": "Where plan, apply and read-back ran (an emulator, a cluster or a sandbox account).",
            "props": _props(*((f"target-{k}", _fact(v)) for k, v in sorted(target.items()) if _TOKEN.match(k))),
            "status": {"state": "operational"},
        },
    ]


def _fact(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def _assessment_assets(record: RunRecord, ids: _Ids) -> dict[str, Any]:
    """stratatest itself, the tool every observation, finding and risk originates from."""
    version = record.tool_versions.get("stratatest", "unknown")
    return {
        "components": [
            {
                "uuid": ids("component/stratatest"),
                "type": "software",
                "title": f"stratatest {version}",
                "description": "pytest-based infrastructure test and compliance suite (tool versions: metadata).",
                "status": {"state": "operational"},
            }
        ],
        "assessment-platforms": [
            {
                "uuid": ids("platform/stratatest"),
                "title": "stratatest",
                "uses-components": [{"component-uuid": ids("component/stratatest")}],
            }
        ],
    }


def _origins(ids: _Ids) -> list[dict[str, Any]]:
    return [{"actors": [{"type": "tool", "actor-uuid": ids("component/stratatest")}]}]


def _reviewed_controls(record: RunRecord) -> dict[str, Any]:
    source = record.catalogue.get("path", "the controls catalogue")
    if not record.controls:
        return {
            "description": f"{source} had no controls; nothing was selected.",
            "control-selections": [{"include-all": {}, "remarks": "The catalogue was empty."}],
        }
    return {
        "description": f"Every control of {source}; a control no test assessed is reported not-satisfied.",
        "control-selections": [{"include-controls": [{"control-id": c.id} for c in record.controls]}],
    }


def _activity(layer: str, record: RunRecord, ids: _Ids) -> dict[str, Any]:
    """A layer as an OSCAL activity; its related controls are those some test or finding of that layer targets."""
    controls = sorted(
        {c for r in record.results if r.layer == layer for c in r.controls}
        | {c for f in record.findings if f.layer == layer for c in f.controls}
    )
    help_text = LAYER_HELP[layer]
    return {
        "uuid": ids(f"activity/{layer}"),
        "title": f"{layer} layer",
        "description": f"Automated tests of the {layer} layer: {help_text}.",
        "props": [{"name": "method", "value": "TEST"}, _prop("layer", layer)],
        "related-controls": {"control-selections": [{"include-controls": [{"control-id": c} for c in controls]}]}
        if controls
        else None,
    }


def _observations(record: RunRecord, ids: _Ids) -> tuple[list[dict[str, Any]], dict[str, list[str]], set[str]]:
    """Observations in record order, their UUIDs by control id, and the UUIDs of waived failures."""
    subjects = [
        {"subject-uuid": u, "type": "component", "title": title}
        for u, title in zip(_subject_uuids(ids), ("infrastructure code", "target"), strict=True)
    ]
    observations: list[dict[str, Any]] = []
    by_control: dict[str, list[str]] = {}
    waived: set[str] = set()
    items: list[tuple[TestResult | Finding, dict[str, Any]]] = [
        (r, _test_observation(r, record, ids, subjects)) for r in record.results
    ]
    items += [(f, _finding_observation(f, record, ids, subjects)) for f in _relevant_findings(record.findings)]
    for item, observation in items:
        for control_id in item.controls:
            by_control.setdefault(control_id, []).append(observation["uuid"])
        if item.waiver:
            waived.add(observation["uuid"])
        observations.append(observation)
    return observations, by_control, waived


def _relevant_findings(findings: Iterable[Finding]) -> Iterable[Finding]:
    """A passed check matters when it backs a control's verdict; passed checks of no control are left out."""
    return (f for f in findings if f.result != "passed" or f.controls)


def _test_observation(
    result: TestResult, record: RunRecord, ids: _Ids, subjects: list[dict[str, Any]]
) -> dict[str, Any]:
    layer = result.layer or NO_LAYER
    description = f"pytest test {result.nodeid} ({layer} layer): {result.outcome}."
    remarks = result.message or result.skip_reason
    return {
        "uuid": ids.unique(f"test/{result.nodeid}"),
        "title": _line(f"{result.name}: {result.outcome}"),
        "description": description,
        "props": _props(
            ("layer", layer),
            ("outcome", result.outcome),
            ("duration-seconds", f"{result.duration:.3f}"),
            ("waiver", result.waiver),
            *(("control", c) for c in result.controls),
        ),
        "methods": ["TEST"],
        "origins": _origins(ids),
        "subjects": subjects,
        "relevant-evidence": [
            {"href": quote(result.nodeid.split("::", 1)[0]), "description": f"pytest node {result.nodeid}"}
        ],
        "collected": result.started or record.started,
        "remarks": remarks,
    }


def _finding_observation(
    finding: Finding, record: RunRecord, ids: _Ids, subjects: list[dict[str, Any]]
) -> dict[str, Any]:
    """Checkov reads code and plans rather than exercising the system, hence method EXAMINE."""
    where = f"lines {finding.lines[0]}-{finding.lines[1]} of {finding.file}" if any(finding.lines) else finding.file
    key = f"checkov/{finding.framework}/{finding.check_id}/{finding.file}/{finding.resource}"
    return {
        "uuid": ids.unique(key),
        "title": _line(f"{finding.check_id} {finding.result} on {finding.resource}"),
        "description": f"{finding.source} {finding.framework} check {finding.check_id} ({finding.check_name}) "
        f"{finding.result} on {finding.resource}, {where}.",
        "props": _props(
            ("check-id", finding.check_id),
            ("result", finding.result),
            ("resource", finding.resource),
            ("layer", finding.layer),
            ("waiver", finding.waiver),
            *(("control", c) for c in finding.controls),
        ),
        "methods": ["EXAMINE"],
        "origins": _origins(ids),
        "subjects": subjects,
        # A plan scan's "file" names the plan ("terraform/envs/dev (plan)"), not a path: no href then.
        "relevant-evidence": [{"href": None if " " in finding.file else quote(finding.file), "description": where}],
        "collected": record.finished,
        "remarks": finding.reason,
    }


def _finding(control: ControlStatus, record: RunRecord, ids: _Ids, related: list[str]) -> dict[str, Any]:
    state, reason = _OBJECTIVE_STATUS.get(control.status, ("not-satisfied", "other"))
    return {
        "uuid": ids(f"finding/{control.id}"),
        "title": _line(f"{control.id}: {control.title}"),
        "description": control.rationale or control.title,
        "props": _props(
            ("status", control.status),
            ("severity", control.severity),
            *(("layer", layer) for layer in control.layers),
            *(("mapping", f"{m['framework']} {m['version']}: {i}") for m in control.mappings for i in m["ids"]),
        ),
        "origins": _origins(ids),
        "target": {
            "type": "objective-id",
            "target-id": control.id,
            "title": _line(control.title),
            "status": {"state": state, "reason": reason, "remarks": _status_remarks(control)},
        },
        "related-observations": [{"observation-uuid": u} for u in related] or None,
        "related-risks": [{"risk-uuid": ids(f"risk/{control.id}")}] if control.status == "waived" else None,
        "remarks": _waiver_remarks(control, record) or None,
    }


def _status_remarks(control: ControlStatus) -> str:
    tests = f"{len(control.tests)} test(s): {control.passed} passed, {control.failed} failed, "
    tests += f"{control.waived} waived, {control.skipped} skipped"
    checks = ", ".join(f"{n} {result}" for result, n in sorted(control.findings.items()))
    counts = tests + (f"; Checkov checks: {checks}" if checks else "") + "."
    if control.status == "not_assessed":
        why = control.not_assessed_reason
        return f"Not assessed: {why}. {counts}"
    if control.status == "waived":
        return f"Failed; accepted deviation under {', '.join(control.waivers)} (see the related risk). {counts}"
    return counts


def _waiver_remarks(control: ControlStatus, record: RunRecord) -> str:
    """Expired and invalid waivers naming this control cover nothing; say so where the failure shows."""
    lapsed = [w for w in record.waivers if w.control == control.id and w.state != "active"]
    return " ".join(
        f"Waiver {w.id} is {w.state} ({w.problem or 'no reason given'}) and covers nothing." for w in lapsed
    )


def _risk(control: ControlStatus, record: RunRecord, ids: _Ids, related: list[str], waived: set[str]) -> dict[str, Any]:
    """A waived control as an accepted deviation: who accepted it, why, under which ticket, until when."""
    waivers = {w.id: w for w in record.waivers}
    known = [waivers[w] for w in control.waivers if w in waivers]
    expiries = sorted(d for d in (_date(w.expires) for w in known) if d)
    observations = [u for u in related if u in waived]
    return {
        "uuid": ids(f"risk/{control.id}"),
        "title": _line(f"Accepted deviation from {control.id}: {control.title}"),
        "description": " ".join(_waiver_sentence(w) for w in known)
        or f"Waived by {', '.join(control.waivers) or 'an unnamed waiver'} (not listed in the record).",
        "statement": control.rationale or f"{control.id} is not met while the deviation lasts.",
        "props": [p for w in known for p in _waiver_props(w)] or None,
        "status": "deviation-approved",
        "origins": _origins(ids),
        "deadline": f"{expiries[0].isoformat()}T23:59:59+00:00" if expiries else None,
        "remediations": [
            {
                "uuid": ids(f"remediation/{control.id}"),
                "lifecycle": "planned",
                "title": _line(f"Fix {control.id} before the waiver expires"),
                "description": control.remediation,
            }
        ]
        if control.remediation
        else None,
        "related-observations": [{"observation-uuid": u} for u in observations] or None,
    }


def _waiver_sentence(waiver: WaiverStatus) -> str:
    return (
        f"Waiver {waiver.id} ({waiver.ticket or 'no ticket'}), owned by {waiver.owner or 'nobody'} and approved by "
        f"{waiver.approver or 'nobody'}, valid until {waiver.expires or 'an unknown date'}: {waiver.reason or ''}"
    ).rstrip(": ")


def _waiver_props(waiver: WaiverStatus) -> list[dict[str, Any]]:
    fields = ("reason", "owner", "ticket", "approver", "created", "expires", "state")
    return _props(("waiver", waiver.id), *((f"waiver-{k}", getattr(waiver, k)) for k in fields), group=waiver.id) or []


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _run_description(record: RunRecord) -> str:
    counts = record.summary()
    controls = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in counts["controls"].items())
    target = record.target.get("name", "no target") if record.target else "no target"
    commit = record.commit or "no git commit"
    return (
        f"Automated stratatest run {record.run_id} of commit {commit} against {target}: {counts['tests']} tests, "
        f"verdict {counts['verdict']}; controls: {controls or 'none'}."
    )


def _back_matter(record: RunRecord, ids: _Ids) -> list[dict[str, Any]]:
    """The catalogue and the artefacts the run judged, by digest (the artefacts themselves are not kept)."""
    resources = []
    if record.catalogue.get("path"):
        rlink: dict[str, Any] = {"href": quote(record.catalogue["path"])}
        if record.catalogue.get("sha256"):
            rlink["hashes"] = [{"algorithm": "SHA-256", "value": record.catalogue["sha256"]}]
        resources.append(
            {
                "uuid": ids("resource/catalogue"),
                "title": "stratatest controls catalogue",
                "description": "The control ids, titles, severities and framework mappings this run judged.",
                "rlinks": [rlink],
            }
        )
    for evidence in record.evidence:
        resources.append(
            {
                "uuid": ids.unique(f"resource/evidence/{evidence.kind}/{evidence.name}"),
                "title": _line(f"{evidence.kind}: {evidence.name}"),
                "description": f"Digest of the {evidence.kind} artefact {evidence.name!r} the run judged.",
                "props": _props(
                    ("evidence-kind", evidence.kind),
                    ("sha256", evidence.sha256),
                    *((k, _fact(v)) for k, v in sorted(evidence.detail.items()) if _TOKEN.match(k)),
                ),
            }
        )
    return resources
