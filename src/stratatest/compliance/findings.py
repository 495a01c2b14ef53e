"""Scanner results folded into the record: Checkov's checks become Findings mapped to catalogue controls.

Checkov knows nothing of the catalogue; the catalogue maps each control to Checkov ids, so the reverse of that
mapping gives every finding its controls. A check mapped to no control is still recorded (the HTML lists it),
but cannot change a control's status. Waivers apply here exactly as they do to tests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from stratatest.compliance.catalogue import Catalogue
from stratatest.compliance.evidence import sha256_text
from stratatest.compliance.results import Evidence, Finding, TestResult, WaiverStatus
from stratatest.compliance.waivers import Waivers
from stratatest.paths import display_path
from stratatest.static.checkov import CheckResult, Outcome, Scan, mapped_checks

#: Checkov frameworks that read a plan rather than source: their findings belong to the plan layer.
PLAN_FRAMEWORKS = frozenset({"terraform_plan"})


def finding_key(finding: Finding) -> str:
    """How a finding is named where it is referenced (a waiver's `applied_to`): unique per finding, so with its
    file, since one address can be in several files (every chart's helm render names its objects alike)."""
    return f"{finding.source}:{finding.framework}:{finding.check_id}:{finding.resource}:{finding.file}"


def controls_by_check(catalogue: Catalogue) -> dict[str, list[str]]:
    """Checkov id → the catalogue controls mapped to it (the reverse of the catalogue's Checkov mappings)."""
    controls_of: dict[str, list[str]] = {}
    for control in catalogue:
        for check_id in mapped_checks(control):
            controls_of.setdefault(check_id, []).append(control.id)
    return controls_of


def unwaived(results: Iterable[CheckResult], catalogue: Catalogue, waivers: Waivers) -> list[CheckResult]:
    """`results` less the failures an active waiver covers: what a Checkov test judges, as the record does."""
    controls_of = controls_by_check(catalogue)
    return [
        r
        for r in results
        if r.result is not Outcome.FAILED
        or waivers.for_finding(r.check_id, controls_of.get(r.check_id, []), r.resource, r.framework) is None
    ]


def fold_findings(
    scans: Iterable[Scan], catalogue: Catalogue, waivers: Waivers, root: Path | None = None
) -> list[Finding]:
    """One Finding per (framework, check, resource, file), whichever scans saw it; sorted for stable reports.

    `root` is the repository: a finding whose file is one of its files (not a render or a plan) says so.
    """
    controls_of = controls_by_check(catalogue)
    folded: dict[tuple[str, str, str, str], Finding] = {}
    for scan in scans:
        for result in scan.results:
            key = (result.framework, result.check_id, result.resource, result.file)
            if key in folded:
                continue
            controls = controls_of.get(result.check_id, [])
            outcome, reason, waiver_id = result.result.value, result.suppress_comment, None
            if result.result is Outcome.FAILED:
                waiver = waivers.for_finding(result.check_id, controls, result.resource, result.framework)
                if waiver is not None:
                    outcome, reason, waiver_id = "waived", waiver.reason, waiver.id
            folded[key] = Finding(
                source="checkov",
                framework=result.framework,
                check_id=result.check_id,
                check_name=result.check_name,
                result=outcome,
                resource=result.resource,
                file=result.file,
                lines=list(result.lines),
                layer="plan" if result.framework in PLAN_FRAMEWORKS else "static",
                controls=list(controls),
                reason=reason,
                waiver=waiver_id,
                in_repo=root is not None and _is_repo_file(root, result.file),
            )
    return [folded[k] for k in sorted(folded)]


def _is_repo_file(root: Path, file: str) -> bool:
    path = (root / file).resolve()
    return path.is_file() and path.is_relative_to(root.resolve())


def scan_evidence(scans: Iterable[Scan]) -> list[Evidence]:
    """Each scan as evidence: the digest of its normalised results, with what was scanned and by which version."""
    evidence = []
    for scan in scans:
        body = json.dumps([asdict(r) for r in scan.results], sort_keys=True, default=str)
        detail = {
            "frameworks": list(scan.frameworks),
            "checkov": scan.checkov_version,
            "resources": scan.resource_counts,
        }
        evidence.append(Evidence("checkov-scan", scan.directory, sha256_text(body), detail))
    return sorted(evidence, key=lambda e: (e.name, e.sha256))


def waiver_statuses(waivers: Waivers, results: Iterable[TestResult], findings: Iterable[Finding]) -> list[WaiverStatus]:
    """The file's waivers as the run found them, each active one with what it covered (possibly nothing)."""
    applied: dict[str, list[str]] = {}
    for result in results:
        if result.waiver:
            applied.setdefault(result.waiver, []).append(result.nodeid)
    for finding in findings:
        if finding.waiver:
            applied.setdefault(finding.waiver, []).append(finding_key(finding))
    statuses = []
    for status in waivers.statuses:
        copy = WaiverStatus(**asdict(status))
        copy.applied_to = applied.get(status.id, []) if status.state == "active" else []
        statuses.append(copy)
    return statuses


def catalogue_identity(catalogue: Catalogue) -> dict[str, str]:
    """Which catalogue judged the run: its path and the digest of its bytes."""
    if catalogue.path is None:
        return {}
    return {"path": display_path(catalogue.path), "sha256": hashlib.sha256(catalogue.path.read_bytes()).hexdigest()}
