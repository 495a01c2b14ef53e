"""Checkov's results folded into the record: real Checkov 3.3 reports (tests/unit/static/data) become findings
mapped to catalogue controls, with waivers applied exactly as they are to tests."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
import yaml

from stratatest.compliance.catalogue import Catalogue, Control, Mapping
from stratatest.compliance.findings import (
    catalogue_identity,
    controls_by_check,
    finding_key,
    fold_findings,
    scan_evidence,
    unwaived,
    waiver_statuses,
)
from stratatest.compliance.results import TestResult, rollup
from stratatest.compliance.waivers import Waivers, load_waivers
from stratatest.static.checkov import CheckResult, Outcome, Scan, parse_report

DATA = Path(__file__).resolve().parents[1] / "static" / "data"
TODAY = date(2026, 11, 26)


def checkov(*checks: str) -> Mapping:
    return Mapping("Checkov", "3.3", checks)


CATALOGUE = Catalogue(
    [
        Control("C-EBS", "ebs", "high", "r", "m", (checkov("CKV_AWS_3", "CKV_AWS_189"),)),
        Control("C-S3-LOG", "s3 logs", "medium", "r", "m", (checkov("CKV_AWS_18"),)),
        Control("C-S3", "s3", "medium", "r", "m", (checkov("CKV_AWS_18", "CKV_AWS_21"),)),
        Control("C-K8S", "probes", "low", "r", "m", (checkov("CKV_K8S_8"),)),
        Control("C-NONE", "custom", "low", "r", "m", notes="no scanner check"),
    ]
)


def scan(name: str, *frameworks: str) -> Scan:
    return parse_report(1, (DATA / name).read_text(), "", directory="tiny", frameworks=frameworks)


TERRAFORM = scan("terraform.json", "terraform")
BOTH = scan("terraform_kubernetes.json", "terraform", "kubernetes")


def plan_scan(result: Outcome = Outcome.FAILED) -> Scan:
    """A terraform_plan scan as a file scan reports it: no lines, every result under the plan's name."""
    check = CheckResult(
        "CKV_AWS_21", "versioning", result, "terraform_plan", "aws_s3_bucket.logs", "tiny (plan)", (0, 0), None
    )
    return Scan("tiny (plan)", ("terraform_plan",), "3.3.30", {"terraform_plan": 1}, (check,), sha256="e" * 64)


def waivers(tmp_path: Path, *entries: dict[str, object]) -> Waivers:
    path = tmp_path / "waivers.yaml"
    base = {
        "reason": "accepted until the fix ships",
        "owner": "platform-team",
        "ticket": "PLAT-1",
        "approver": "security-lead",
        "created": date(2026, 11, 1),
        "expires": date(2027, 1, 1),
    }
    path.write_text(yaml.safe_dump({"version": 1, "waivers": [{**base, **e} for e in entries]}), encoding="utf-8")
    return load_waivers(path, CATALOGUE, today=TODAY)


NO_WAIVERS = Waivers([], [])


def test_controls_by_check_is_the_reverse_of_the_catalogue_mappings() -> None:
    assert controls_by_check(CATALOGUE) == {
        "CKV_AWS_3": ["C-EBS"],
        "CKV_AWS_189": ["C-EBS"],
        "CKV_AWS_18": ["C-S3-LOG", "C-S3"],
        "CKV_AWS_21": ["C-S3"],
        "CKV_K8S_8": ["C-K8S"],
    }


def test_each_check_on_each_resource_is_one_finding_whichever_scans_saw_it() -> None:
    findings = fold_findings([TERRAFORM, BOTH], CATALOGUE, NO_WAIVERS)
    keys = [(f.framework, f.check_id, f.resource, f.result) for f in findings]
    assert keys == [
        ("kubernetes", "CKV_K8S_14", "Pod.default.tiny", "passed"),
        ("kubernetes", "CKV_K8S_8", "Pod.default.tiny", "failed"),
        ("terraform", "CKV_AWS_18", "aws_s3_bucket.logs", "failed"),
        ("terraform", "CKV_AWS_189", "aws_ebs_volume.data", "skipped"),
        ("terraform", "CKV_AWS_189", "aws_ebs_volume.scratch", "skipped"),
        ("terraform", "CKV_AWS_21", "aws_s3_bucket.logs", "failed"),
        ("terraform", "CKV_AWS_3", "aws_ebs_volume.data", "passed"),
        ("terraform", "CKV_AWS_3", "aws_ebs_volume.scratch", "passed"),
    ]
    by_key = {(f.check_id, f.resource): f for f in findings}
    logs = by_key[("CKV_AWS_18", "aws_s3_bucket.logs")]
    assert (logs.source, logs.file, logs.lines, logs.layer) == ("checkov", "tiny/main.tf", [3, 5], "static")
    assert logs.controls == ["C-S3-LOG", "C-S3"]
    assert logs.check_name == "Ensure the S3 bucket has access logging enabled"
    assert by_key[("CKV_K8S_14", "Pod.default.tiny")].controls == [], "an unmapped check is still recorded"
    skipped = by_key[("CKV_AWS_189", "aws_ebs_volume.data")]
    assert (skipped.reason, skipped.waiver) == ("the sample keeps the AWS-managed key on purpose", None)
    assert by_key[("CKV_AWS_189", "aws_ebs_volume.scratch")].reason is None, "a bare skip has no reason"


def test_plan_scan_findings_belong_to_the_plan_layer() -> None:
    (finding,) = fold_findings([plan_scan()], CATALOGUE, NO_WAIVERS)
    assert (finding.framework, finding.layer, finding.file, finding.lines) == (
        "terraform_plan",
        "plan",
        "tiny (plan)",
        [0, 0],
    )


def test_an_active_waiver_turns_a_failure_it_covers_into_waived(tmp_path: Path) -> None:
    active = waivers(tmp_path, {"id": "W-001", "check": "CKV_AWS_18", "resource": "aws_s3_bucket.*"})
    findings = {(f.check_id, f.resource): f for f in fold_findings([TERRAFORM], CATALOGUE, active)}
    waived = findings[("CKV_AWS_18", "aws_s3_bucket.logs")]
    assert (waived.result, waived.waiver, waived.reason) == ("waived", "W-001", "accepted until the fix ships")
    assert findings[("CKV_AWS_21", "aws_s3_bucket.logs")].result == "failed", "another check"
    assert findings[("CKV_AWS_3", "aws_ebs_volume.data")].waiver is None, "passes are never waived"


def test_a_control_waiver_covers_failures_of_every_check_mapped_to_it(tmp_path: Path) -> None:
    active = waivers(tmp_path, {"id": "W-001", "control": "C-S3", "resource": "aws_*"})
    results = {
        f.check_id: f.result for f in fold_findings([TERRAFORM], CATALOGUE, active) if f.resource.startswith("aws_s3")
    }
    assert results == {"CKV_AWS_18": "waived", "CKV_AWS_21": "waived"}


def test_a_waiver_for_another_framework_covers_nothing(tmp_path: Path) -> None:
    helm_only = waivers(tmp_path, {"id": "W-001", "check": "CKV_K8S_8", "framework": "helm", "resource": "Pod.*"})
    (probe,) = [f for f in fold_findings([BOTH], CATALOGUE, helm_only) if f.check_id == "CKV_K8S_8"]
    assert probe.result == "failed"


def test_expired_and_invalid_waivers_cover_nothing(tmp_path: Path) -> None:
    bad = waivers(
        tmp_path,
        {"id": "W-001", "check": "CKV_AWS_18", "resource": "aws_*", "expires": date(2026, 11, 25)},
        {"id": "W-002", "check": "CKV_AWS_21", "resource": "aws_*", "approver": "platform-team"},
    )
    assert [s.state for s in bad.statuses] == ["expired", "invalid"]
    assert {f.result for f in fold_findings([TERRAFORM], CATALOGUE, bad) if f.resource == "aws_s3_bucket.logs"} == {
        "failed"
    }


def test_unwaived_drops_only_the_failures_a_waiver_covers(tmp_path: Path) -> None:
    active = waivers(tmp_path, {"id": "W-001", "control": "C-S3-LOG", "resource": "aws_*"})
    left = unwaived(TERRAFORM.results, CATALOGUE, active)
    assert [r for r in TERRAFORM.results if r not in left] == [
        r for r in TERRAFORM.failed if r.check_id == "CKV_AWS_18"
    ]
    assert unwaived(TERRAFORM.results, CATALOGUE, NO_WAIVERS) == list(TERRAFORM.results)


def test_folded_findings_set_control_statuses(tmp_path: Path) -> None:
    active = waivers(tmp_path, {"id": "W-001", "check": "CKV_K8S_8", "resource": "Pod.default.*"})
    statuses = {s.id: s for s in rollup([], CATALOGUE, fold_findings([BOTH, plan_scan()], CATALOGUE, active))}
    assert {i: s.status for i, s in statuses.items()} == {
        "C-EBS": "passed",
        "C-S3-LOG": "failed",
        "C-S3": "failed",
        "C-K8S": "waived",
        "C-NONE": "not_assessed",
    }
    assert statuses["C-S3"].layers == ["static", "plan"]
    assert statuses["C-S3"].findings == {"failed": 2}
    assert statuses["C-K8S"].waivers == ["W-001"]


def test_waiver_statuses_list_what_each_active_waiver_covered(tmp_path: Path) -> None:
    loaded = waivers(
        tmp_path,
        {"id": "W-001", "check": "CKV_AWS_18", "resource": "aws_*"},
        {"id": "W-002", "control": "C-S3", "resource": "tests/test_s3.py::*"},
        {"id": "W-003", "control": "C-EBS", "resource": "aws_*"},
        {"id": "W-004", "control": "C-S3", "resource": "aws_*", "expires": date(2026, 11, 1)},
    )
    findings = fold_findings([TERRAFORM], CATALOGUE, loaded)
    results = [
        TestResult("tests/test_s3.py::test_a", "test_a", "plan", "waived", ["C-S3"], waiver="W-002"),
        TestResult("tests/test_s3.py::test_b", "test_b", "plan", "waived", ["C-S3"], waiver="W-002"),
        TestResult("tests/test_s3.py::test_c", "test_c", "plan", "failed", ["C-S3"]),
    ]
    statuses = {s.id: s for s in waiver_statuses(loaded, results, findings)}
    assert statuses["W-001"].applied_to == ["checkov:terraform:CKV_AWS_18:aws_s3_bucket.logs:tiny/main.tf"]
    assert statuses["W-002"].applied_to == ["tests/test_s3.py::test_a", "tests/test_s3.py::test_b"]
    assert (statuses["W-003"].state, statuses["W-003"].applied_to) == ("active", [])
    assert (statuses["W-004"].state, statuses["W-004"].applied_to) == ("expired", [])
    assert all(s.applied_to == [] for s in loaded.statuses), "the loaded statuses are not changed"


def test_a_finding_key_names_its_file() -> None:
    """The same address in two files (every chart's helm render names objects alike) is two findings."""
    one = CheckResult("CKV_K8S_8", "probes", Outcome.FAILED, "helm", "Deployment.default.x", "a/d.yaml", (1, 9), None)
    two = CheckResult("CKV_K8S_8", "probes", Outcome.FAILED, "helm", "Deployment.default.x", "b/d.yaml", (1, 9), None)
    both = Scan("charts", ("helm",), "3.3.30", {"helm": 2}, (one, two))
    keys = [finding_key(f) for f in fold_findings([both], CATALOGUE, NO_WAIVERS)]
    assert keys == [
        "checkov:helm:CKV_K8S_8:Deployment.default.x:a/d.yaml",
        "checkov:helm:CKV_K8S_8:Deployment.default.x:b/d.yaml",
    ]


def test_each_scan_is_evidence_by_the_digest_of_its_results() -> None:
    evidence = scan_evidence([BOTH, TERRAFORM, plan_scan()])
    assert [(e.kind, e.name) for e in evidence] == [("checkov-scan", "tiny")] * 2 + [("checkov-scan", "tiny (plan)")]
    by_frameworks = {tuple(e.detail["frameworks"]): e for e in evidence}
    assert by_frameworks[("terraform", "kubernetes")].detail == {
        "frameworks": ["terraform", "kubernetes"],
        "checkov": "3.3.30",
        "resources": {"kubernetes": 1, "terraform": 3},
    }
    assert scan_evidence([TERRAFORM]) == scan_evidence([TERRAFORM]), "the digest is stable"
    assert scan_evidence([plan_scan(Outcome.PASSED)])[0].sha256 != scan_evidence([plan_scan()])[0].sha256


def test_catalogue_identity_is_its_path_and_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "controls" / "catalogue.yaml"
    path.parent.mkdir()
    path.write_bytes(b"version: 1\n")
    monkeypatch.chdir(tmp_path)
    assert catalogue_identity(Catalogue(list(CATALOGUE), path)) == {
        "path": "controls/catalogue.yaml",
        "sha256": hashlib.sha256(b"version: 1\n").hexdigest(),
    }
    assert catalogue_identity(CATALOGUE) == {}, "a catalogue built in memory has no file to name"


def test_a_finding_knows_whether_its_file_is_a_repository_file() -> None:
    """SARIF may link only real files: a scanned source file is one, a plan (or a render elsewhere) is not."""
    source = fold_findings([TERRAFORM], CATALOGUE, NO_WAIVERS, root=DATA)
    assert source and all(f.in_repo for f in source), [(f.file, f.in_repo) for f in source]
    (planned,) = fold_findings([plan_scan()], CATALOGUE, NO_WAIVERS, root=DATA)
    assert not planned.in_repo
    assert not any(f.in_repo for f in fold_findings([TERRAFORM], CATALOGUE, NO_WAIVERS, root=DATA / "tiny"))
    assert not any(f.in_repo for f in fold_findings([TERRAFORM], CATALOGUE, NO_WAIVERS))
