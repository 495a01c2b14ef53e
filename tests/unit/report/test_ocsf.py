"""OCSF Compliance Findings: one per control, accepted by py-ocsf-models, with OCSF's status semantics."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from py_ocsf_models import OCSF_VERSION
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

from stratatest.compliance.catalogue import load_catalogue
from stratatest.compliance.results import RunRecord, rollup
from stratatest.errors import ConfigError
from stratatest.report.ocsf import findings_jsonl

from .conftest import ROOT, build_record

PASS, WARNING, FAIL = 1, 2, 3  # OCSF compliance status_id
NEW, SUPPRESSED, RESOLVED = 1, 3, 4  # OCSF finding status_id


def _events(record: RunRecord) -> list[dict[str, Any]]:
    """Every line parsed back by the model, and nothing in it the model does not know (it would drop it)."""
    text = findings_jsonl(record)
    assert text.endswith("\n") or not text
    events = []
    for line in text.splitlines():
        model = ComplianceFinding.model_validate_json(line)
        assert json.loads(model.model_dump_json(exclude_none=True)) == json.loads(line)
        events.append(json.loads(line))
    return events


def _event(events: list[dict[str, Any]], control_id: str) -> dict[str, Any]:
    return next(e for e in events if e["compliance"]["control"] == control_id)


def _control(record: RunRecord, status: str) -> str:
    return next(c.id for c in record.controls if c.status == status)


def test_one_compliance_finding_per_control(record: RunRecord) -> None:
    events = _events(record)
    assert [e["compliance"]["control"] for e in events] == [c.id for c in record.controls]
    for event in events:
        assert (event["class_uid"], event["category_uid"], event["activity_id"], event["type_uid"]) == (
            2003,
            2,
            1,
            200301,
        )
        assert event["class_name"] == "Compliance Finding"
        assert event["metadata"]["version"] == OCSF_VERSION
        assert event["metadata"]["product"] == {"name": "stratatest", "vendor_name": "stratatest", "version": "0.1.0"}
        assert event["metadata"]["correlation_uid"] == record.run_id
    finished = int(datetime(2026, 11, 26, 17, tzinfo=UTC).timestamp()) * 1000
    assert {e["time"] for e in events} == {finished}
    assert len({e["metadata"]["uid"] for e in events}) == len({e["finding_info"]["uid"] for e in events}) == len(events)
    first = events[0]
    assert first["finding_info"]["uid"] == f"stratatest:{record.run_id}:{record.controls[0].id}"
    assert first["finding_info"]["title"] == record.controls[0].title
    assert first["finding_info"]["desc"] == record.controls[0].rationale


def test_counts_per_status_equal_the_record_summary(record: RunRecord) -> None:
    events = _events(record)
    controls = record.summary()["controls"]
    assert Counter(e["status_code"] for e in events) == +Counter(controls)
    compliance = Counter(e["compliance"]["status_id"] for e in events)
    assert compliance == +Counter(
        {PASS: controls["passed"], FAIL: controls["failed"] + controls["waived"], WARNING: controls["not_assessed"]}
    )
    assert Counter(e["status_id"] for e in events) == +Counter(
        {
            RESOLVED: controls["passed"],
            SUPPRESSED: controls["waived"],
            NEW: controls["failed"] + controls["not_assessed"],
        }
    )


def test_not_assessed_is_never_pass(record: RunRecord) -> None:
    events = _events(record)
    not_assessed = [e for e in events if e["status_code"] == "not_assessed"]
    assert not_assessed
    for event in not_assessed:
        assert event["compliance"]["status_id"] == WARNING
        assert event["status_detail"].startswith("not assessed: ")
    skipped = next(c for c in record.controls if c.status == "not_assessed" and c.skipped)
    event = _event(events, skipped.id)
    assert "no Kubernetes cluster on this machine" in event["status_detail"]
    assert [c["status_id"] for c in event["compliance"]["checks"]] == [WARNING]


def test_failed_control_names_its_frameworks_failing_checks_and_resources(record: RunRecord) -> None:
    control = next(c for c in record.controls if c.status == "failed")
    event = _event(_events(record), control.id)
    assert (event["compliance"]["status_id"], event["status_id"], event["status"]) == (FAIL, NEW, "New")
    severity_id = {"critical": 5, "high": 4, "medium": 3, "low": 2}[control.severity]
    assert (event["severity_id"], event["severity"]) == (severity_id, control.severity.capitalize())
    assert event["compliance"]["standards"] == list(
        dict.fromkeys(f"{m['framework']} {m['version']}" for m in control.mappings)
    )
    requirements = [f"{m['framework']} {m['version']}: {i}" for m in control.mappings for i in m["ids"]]
    assert requirements and event["compliance"]["requirements"] == requirements
    checks = {c["uid"]: c for c in event["compliance"]["checks"]}
    assert checks["tests/unit/modules/test_s3.py::test_public_access_blocked"]["status_id"] == FAIL
    assert "block_public_acls is False" in checks["tests/unit/modules/test_s3.py::test_public_access_blocked"]["desc"]
    assert checks["CKV_AWS_53"]["status"] == "Fail"
    resources = {r["name"]: r for r in event["resources"]}
    assert resources["aws_s3_bucket_public_access_block.logs"]["data"] == {
        "file": "terraform/modules/security-baseline/trail.tf",
        "lines": [40, 47],
        "check_id": "CKV_AWS_53",
        "result": "failed",
    }
    assert resources["infrastructure code"]["uid"] == record.commit
    assert resources["moto"]["region"] == "eu-west-1"
    assert event["remediation"]["desc"] == control.remediation


def test_waived_control_is_a_suppressed_failure_naming_its_waiver(record: RunRecord) -> None:
    event = _event(_events(record), _control(record, "waived"))
    assert (event["compliance"]["status_id"], event["status"]) == (FAIL, "Suppressed")
    assert "W-001" in event["status_detail"] and "expires 2027-01-31" in event["status_detail"]
    [waiver] = event["unmapped"]["stratatest"]["waivers"]
    assert (waiver["id"], waiver["approver"], waiver["expires"]) == ("W-001", "security-lead", "2027-01-31")
    assert "waived by W-001" in event["compliance"]["checks"][0]["desc"]


def test_rendering_is_deterministic(record: RunRecord) -> None:
    """Regenerating from the stored record gives the same bytes."""
    assert findings_jsonl(RunRecord.from_dict(json.loads(record.to_json()))) == findings_jsonl(record)


def test_record_without_findings_or_waivers() -> None:
    record = build_record()
    catalogue = load_catalogue(ROOT / "controls" / "catalogue.yaml")
    record.results = [r for r in record.results if r.outcome != "waived"]
    record.findings, record.waivers, record.evidence = [], [], []
    record.controls = rollup(record.results, catalogue)
    events = _events(record)
    assert len(events) == len(record.controls)
    assert {e["status_code"] for e in events} == {"passed", "failed", "not_assessed"}
    assert all(r["type"] != "terraform resource" for e in events for r in e["resources"])


def test_bare_record_writes_nothing() -> None:
    assert findings_jsonl(RunRecord("st0", "2026-11-26T16:00:00+00:00", "2026-11-26T16:00:01+00:00")) == ""


@pytest.mark.parametrize("finished", ["yesterday", "2026-11-26T17:00:00"])
def test_a_time_without_offset_is_a_config_error(record: RunRecord, finished: str) -> None:
    record.finished = finished
    with pytest.raises(ConfigError, match="not an ISO 8601 timestamp with a UTC offset"):
        findings_jsonl(record)
