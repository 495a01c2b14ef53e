"""OCSF Compliance Findings (class 2003), one per catalogue control, as JSON Lines for a SIEM or a data lake.

Each event is built and serialised by py-ocsf-models, so what is written is what the models accept. Statuses
follow OCSF's own definitions: the compliance status is Pass only for a passed control, Fail for a failure
(waived or not: a waiver accepts a failure, it does not undo it), and Warning ("did not yield a result due to
missing information") for a control nothing assessed. The finding's workflow status says what to do about it:
New for failures and unassessed controls, Suppressed for accepted deviations, Resolved for passes (the
convention AWS Security Hub applies to passed compliance checks).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from py_ocsf_models.events.findings.activity_id import ActivityID
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from py_ocsf_models.events.findings.compliance_finding_type_id import ComplianceFindingTypeID
from py_ocsf_models.events.findings.severity_id import SeverityID
from py_ocsf_models.events.findings.status_id import StatusID
from py_ocsf_models.objects.check import Check
from py_ocsf_models.objects.compliance import Compliance
from py_ocsf_models.objects.compliance_status import StatusID as ComplianceStatusID
from py_ocsf_models.objects.finding_info import FindingInformation
from py_ocsf_models.objects.metadata import Metadata
from py_ocsf_models.objects.product import Product
from py_ocsf_models.objects.remediation import Remediation
from py_ocsf_models.objects.resource_details import ResourceDetails
from pydantic import ValidationError

from stratatest.compliance.results import ControlStatus, Finding, RunRecord, TestResult, WaiverStatus
from stratatest.errors import ConfigError

PRODUCT = "stratatest"
CUSTOM_STANDARD = "stratatest controls catalogue"  # the standard of a control no public framework maps
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://stratatest.dev/ns/ocsf")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# control status → (compliance status, finding workflow status)
_CONTROL_STATUS = {
    "passed": (ComplianceStatusID.Pass, StatusID.Resolved),
    "failed": (ComplianceStatusID.Fail, StatusID.New),
    "waived": (ComplianceStatusID.Fail, StatusID.Suppressed),
    "not_assessed": (ComplianceStatusID.Warning, StatusID.New),
}
_TEST_STATUS = {
    "passed": ComplianceStatusID.Pass,
    "xpassed": ComplianceStatusID.Pass,
    "failed": ComplianceStatusID.Fail,
    "error": ComplianceStatusID.Fail,
    "xfailed": ComplianceStatusID.Fail,
    "waived": ComplianceStatusID.Fail,
    "skipped": ComplianceStatusID.Warning,
}
# A Checkov "skipped" is an inline suppression with a reason, not missing information: OCSF's Other, captioned.
_CHECK_STATUS = {
    "passed": ComplianceStatusID.Pass,
    "failed": ComplianceStatusID.Fail,
    "waived": ComplianceStatusID.Fail,
    "skipped": ComplianceStatusID.Other,
}
_SEVERITY = {
    "critical": SeverityID.Critical,
    "high": SeverityID.High,
    "medium": SeverityID.Medium,
    "low": SeverityID.Low,
}
_FAILED_FINDINGS = frozenset({"failed", "waived"})


def findings_jsonl(record: RunRecord) -> str:
    """One Compliance Finding per control in the record, in catalogue order, one JSON object per line."""
    time, started = _epoch_ms(record.finished, "finished"), _epoch_ms(record.started, "started")
    tests: dict[str, list[TestResult]] = {}
    for result in record.results:
        for control_id in result.controls:
            tests.setdefault(control_id, []).append(result)
    checks: dict[str, list[Finding]] = {}
    for finding in record.findings:
        for control_id in finding.controls:
            checks.setdefault(control_id, []).append(finding)
    lines = []
    for control in record.controls:
        event = _event(control, record, time, started, tests.get(control.id, []), checks.get(control.id, []))
        lines.append(event.model_dump_json(exclude_none=True))
    return "".join(line + "\n" for line in lines)


def _epoch_ms(text: str, what: str) -> int:
    """OCSF times are integer milliseconds since the epoch; the record's are ISO 8601 with a UTC offset."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ConfigError(
            f"results record: {what} time {text!r} is not an ISO 8601 timestamp with a UTC offset",
            hint="e.g. 2026-11-26T17:00:00.000+00:00, as stratatest writes it",
        )
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _event(
    control: ControlStatus,
    record: RunRecord,
    time: int,
    started: int,
    tests: list[TestResult],
    checks: list[Finding],
) -> ComplianceFinding:
    compliance_status, status = _CONTROL_STATUS.get(control.status, (ComplianceStatusID.Unknown, StatusID.Unknown))
    severity = _SEVERITY.get(control.severity, SeverityID.Unknown)
    finding_uid = f"{PRODUCT}:{record.run_id}:{control.id}"
    try:
        return ComplianceFinding(
            activity_id=ActivityID.Create,
            activity_name=ActivityID.Create.name,
            class_name="Compliance Finding",
            type_uid=ComplianceFindingTypeID.Create,
            type_name="Compliance Finding: Create",
            time=time,
            start_time=started,
            end_time=time,
            message=f"{control.id} {control.status.replace('_', ' ')}: {control.title}",
            metadata=Metadata(
                product=Product(name=PRODUCT, vendor_name=PRODUCT, version=record.tool_versions.get(PRODUCT)),
                uid=str(uuid.uuid5(_NAMESPACE, finding_uid)),
                correlation_uid=record.run_id,
            ),
            severity_id=severity,
            severity=severity.name,
            status_id=status,
            status=status.name,
            status_code=control.status,
            status_detail=_status_detail(control, record),
            finding_info=FindingInformation(
                uid=finding_uid,
                title=control.title,
                desc=control.rationale or None,
                created_time=time,
                data_sources=sorted({f.source for f in checks} | ({"pytest"} if tests else set())) or None,
            ),
            compliance=Compliance(
                control=control.id,
                desc=control.title,
                standards=_unique(f"{m['framework']} {m['version']}" for m in control.mappings) or [CUSTOM_STANDARD],
                requirements=[f"{m['framework']} {m['version']}: {i}" for m in control.mappings for i in m["ids"]]
                or None,
                status_id=compliance_status,
                checks=[_test_check(r) for r in tests] + [_scanner_check(f) for f in checks] or None,
            ),
            remediation=Remediation(desc=control.remediation) if control.remediation else None,
            resources=_resources(record, [f for f in checks if f.result in _FAILED_FINDINGS]) or None,
            unmapped={"stratatest": _unmapped(control, record)},
        )
    except ValidationError as err:
        first = err.errors()[0]
        raise ConfigError(
            f"results record of run {record.run_id}: control {control.id} cannot be written as OCSF: "
            f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
        ) from None


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _status_detail(control: ControlStatus, record: RunRecord) -> str:
    if control.status == "not_assessed":
        why = control.not_assessed_reason
        return f"not assessed: {why}"
    if control.status == "waived":
        waivers = {w.id: w for w in record.waivers}
        parts = [_waiver_text(waivers[i]) if i in waivers else i for i in control.waivers]
        return "accepted deviation, waived by " + "; ".join(parts)
    counts = f"{control.passed} of {len(control.tests)} tests passed, {control.failed} failed"
    failed_checks = control.findings.get("failed", 0)
    return counts + (f", {failed_checks} Checkov checks failed" if failed_checks else "")


def _waiver_text(w: WaiverStatus) -> str:
    return f"{w.id} (owner {w.owner}, ticket {w.ticket}, approved by {w.approver}, expires {w.expires}): {w.reason}"


def _test_check(result: TestResult) -> Check:
    status = _TEST_STATUS.get(result.outcome, ComplianceStatusID.Unknown)
    detail = [f"{result.outcome} ({result.layer or 'no'} layer)", result.skip_reason or result.message]
    if result.waiver:
        detail.insert(1, f"waived by {result.waiver}")
    return Check(
        uid=result.nodeid,
        name=result.name,
        desc=": ".join(d for d in detail if d),
        status_id=status,
        status=status.name,
    )


def _scanner_check(finding: Finding) -> Check:
    status = _CHECK_STATUS.get(finding.result, ComplianceStatusID.Unknown)
    where = f"{finding.resource} in {finding.file}"
    return Check(
        uid=finding.check_id,
        name=finding.check_name,
        desc=f"{where}: {finding.reason}" if finding.reason else where,
        standards=[finding.source],
        status_id=status,
        status="Skipped" if status is ComplianceStatusID.Other else status.name,
    )


def _resources(record: RunRecord, failed: list[Finding]) -> list[ResourceDetails]:
    """What was judged: the code at its commit, the target, and each scanned resource that failed."""
    resources = []
    if record.commit:
        resources.append(
            ResourceDetails(
                name="infrastructure code", type="git commit", uid=record.commit, data={"dirty": record.dirty}
            )
        )
    if record.target:
        target = record.target
        resources.append(
            ResourceDetails(
                name=str(target.get("name", "target")),
                type="stratatest target",
                uid=str(target["account_id"]) if target.get("account_id") else None,
                region=target.get("region"),
                version=str(target["version"]) if target.get("version") else None,
                data=dict(target),
            )
        )
    for finding in failed:
        resources.append(
            ResourceDetails(
                name=finding.resource,
                type=f"{finding.framework} resource",
                data={
                    "file": finding.file,
                    "lines": finding.lines,
                    "check_id": finding.check_id,
                    "result": finding.result,
                }
                | ({"waiver": finding.waiver} if finding.waiver else {}),
            )
        )
    return resources


def _unmapped(control: ControlStatus, record: RunRecord) -> dict[str, Any]:
    """Record facts OCSF has no attribute for, so a SIEM user can trace the event back to the run."""
    waivers = [w for w in record.waivers if w.id in control.waivers]
    return {
        "run_id": record.run_id,
        "commit": record.commit,
        "dirty": record.dirty,
        "layers": control.layers,
        "tests": {
            "passed": control.passed,
            "failed": control.failed,
            "waived": control.waived,
            "skipped": control.skipped,
        },
        "checkov": control.findings,
        "waivers": [
            {k: getattr(w, k) for k in ("id", "reason", "owner", "ticket", "approver", "created", "expires")}
            for w in waivers
        ],
        "catalogue_sha256": record.catalogue.get("sha256"),
    }
