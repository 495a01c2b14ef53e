"""OSCAL assessment plan and results: valid by trestle's models and validators, and saying what the record says."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

import pytest
from trestle.common import const
from trestle.core.validator_factory import validator_factory
from trestle.oscal import OSCAL_VERSION
from trestle.oscal.assessment_plan import AssessmentPlan
from trestle.oscal.assessment_results import AssessmentResults

from stratatest.compliance.catalogue import load_catalogue
from stratatest.compliance.results import Finding, RunRecord, rollup
from stratatest.errors import ConfigError
from stratatest.layers import LAYERS
from stratatest.report.oscal import NS, assessment_plan, assessment_results

from .conftest import ROOT, build_record


def _validated(text: str, model: Any, key: str) -> dict[str, Any]:
    """Parse with trestle's model and run every validator `trestle validate` runs; return the raw document."""
    data = json.loads(text)
    assert list(data) == [key]
    parsed = model.model_validate(data[key])
    validator = validator_factory.get(argparse.Namespace(mode=const.VAL_MODE_ALL))
    assert validator.model_is_valid(parsed, True, None), validator.error_msg()
    return data[key]


def _results(record: RunRecord, **kwargs: Any) -> dict[str, Any]:
    document = _validated(assessment_results(record, **kwargs), AssessmentResults, "assessment-results")
    assert len(document["results"]) == 1
    return document


def _plan(record: RunRecord) -> dict[str, Any]:
    return _validated(assessment_plan(record), AssessmentPlan, "assessment-plan")


def _props(item: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in item.get("props", []) if p["name"] == name and p.get("ns") == NS]


def _control(record: RunRecord, status: str) -> str:
    return next(c.id for c in record.controls if c.status == status)


def _finding(result: dict[str, Any], control_id: str) -> dict[str, Any]:
    return next(f for f in result["findings"] if f["target"]["target-id"] == control_id)


def _observations(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["uuid"]: o for o in result["observations"]}


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_plan_describes_the_run_its_layers_and_every_control(record: RunRecord) -> None:
    plan = _plan(record)
    metadata = plan["metadata"]
    assert record.run_id in metadata["title"]
    assert _when(metadata["last-modified"]) == _when(record.finished)
    assert metadata["oscal-version"] == OSCAL_VERSION
    assert _props(metadata, "commit") == [record.commit]
    assert "terraform 1.11.4" in _props(metadata, "tool-version")
    assert plan["import-ssp"]["href"] == "ssp.json"
    assert "no system security plan" in plan["import-ssp"]["remarks"]

    selected = plan["reviewed-controls"]["control-selections"][0]["include-controls"]
    assert [c["control-id"] for c in selected] == [c.id for c in record.controls]

    activities = {_props(a, "layer")[0]: a for a in plan["local-definitions"]["activities"]}
    assert list(activities) == list(LAYERS)
    for activity in activities.values():
        assert {"name": "method", "value": "TEST"} in activity["props"]
    static = activities["static"]["related-controls"]["control-selections"][0]["include-controls"]
    assert _control(record, "failed") in [c["control-id"] for c in static]  # its Checkov check failed there
    assert "related-controls" not in activities["sandbox"]  # no sandbox test in the sample

    components = {c["uuid"]: c for c in plan["local-definitions"]["components"]}
    subjects = plan["assessment-subjects"][0]["include-subjects"]
    assert {s["subject-uuid"] for s in subjects} <= set(components)
    titles = [components[s["subject-uuid"]]["title"] for s in subjects]
    assert titles == ["Infrastructure code at commit 0123456789ab", "Target moto 5.2.5"]


def test_results_import_the_plan_and_span_the_run(record: RunRecord) -> None:
    assert _results(record)["import-ap"]["href"] == "oscal-assessment-plan.json"
    document = _results(record, plan_href="reports/plan.json")
    assert document["import-ap"]["href"] == "reports/plan.json"
    result = document["results"][0]
    assert (_when(result["start"]), _when(result["end"])) == (_when(record.started), _when(record.finished))
    assert _props(document["metadata"], "commit") == [record.commit]
    assert "checkov 3.3.0" in _props(document["metadata"], "tool-version")
    assert _props(result, "verdict") == ["failed"]
    assert [c["control-id"] for c in result["reviewed-controls"]["control-selections"][0]["include-controls"]] == [
        c.id for c in record.controls
    ]


def test_one_observation_per_test_and_per_checkov_finding_that_matters(record: RunRecord) -> None:
    # A passed check that backs no control says nothing about any verdict, so it is left out.
    record.findings.append(
        Finding("checkov", "terraform", "CKV_AWS_1", "n/a", "passed", "aws_x.y", "main.tf", [1, 2], "static")
    )
    result = _results(record)["results"][0]
    observations = result["observations"]
    assert len(observations) == len(record.results) + len(record.findings) - 1
    assert not [o for o in observations if _props(o, "check-id") == ["CKV_AWS_1"]]

    failing = next(r for r in record.results if r.outcome == "failed")
    observation = next(o for o in observations if failing.nodeid in o["description"])
    assert observation["methods"] == ["TEST"]
    assert _when(observation["collected"]) == _when(failing.started)
    assert _props(observation, "outcome") == ["failed"] and _props(observation, "layer") == ["plan"]
    assert observation["relevant-evidence"][0]["description"] == f"pytest node {failing.nodeid}"
    assert observation["remarks"] == failing.message
    assert len(observation["subjects"]) == 2

    skipped_check = next(o for o in observations if _props(o, "check-id") == ["CKV_AWS_18"])
    assert skipped_check["methods"] == ["EXAMINE"]
    assert skipped_check["remarks"].startswith("the trail bucket is the log destination")
    assert skipped_check["relevant-evidence"][0]["description"] == (
        "lines 1-9 of terraform/modules/security-baseline/trail.tf"
    )


def test_failed_control_is_not_satisfied_and_links_what_failed(record: RunRecord) -> None:
    result = _results(record)["results"][0]
    control = next(c for c in record.controls if c.status == "failed")
    finding = _finding(result, control.id)
    assert finding["target"]["type"] == "objective-id"
    assert finding["target"]["status"]["state"] == "not-satisfied"
    assert finding["target"]["status"]["reason"] == "fail"
    mappings = [f"{m['framework']} {m['version']}: {i}" for m in control.mappings for i in m["ids"]]
    assert mappings and _props(finding, "mapping") == mappings
    assert _props(finding, "severity") == [control.severity]

    observations = _observations(result)
    linked = [observations[r["observation-uuid"]] for r in finding["related-observations"]]
    assert any("test_public_access_blocked" in o["description"] and _props(o, "outcome") == ["failed"] for o in linked)
    assert any(_props(o, "check-id") == ["CKV_AWS_53"] and _props(o, "result") == ["failed"] for o in linked)
    assert "related-risks" not in finding
    assert "W-003 is expired" in finding["remarks"]  # an expired waiver covers nothing, and says so


def test_waived_control_is_an_approved_deviation_naming_its_waiver(record: RunRecord) -> None:
    result = _results(record)["results"][0]
    control_id = _control(record, "waived")
    finding = _finding(result, control_id)
    assert finding["target"]["status"]["state"] == "not-satisfied"
    assert "W-001" in finding["target"]["status"]["remarks"]

    risks = {r["uuid"]: r for r in result["risks"]}
    assert len(risks) == 1
    risk = risks[finding["related-risks"][0]["risk-uuid"]]
    assert risk["status"] == "deviation-approved"
    assert control_id in risk["title"]
    assert _props(risk, "waiver") == ["W-001"]
    assert _props(risk, "waiver-expires") == ["2027-01-31"]
    assert _props(risk, "waiver-owner") == ["platform-team"]
    assert _props(risk, "waiver-ticket") == ["PLAT-123"]
    assert _props(risk, "waiver-approver") == ["security-lead"]
    assert {p["group"] for p in risk["props"]} == {"W-001"}
    assert risk["deadline"].startswith("2027-01-31")
    assert "legacy bucket migrates in Q1" in risk["description"]
    waived_test = _observations(result)[risk["related-observations"][0]["observation-uuid"]]
    assert _props(waived_test, "waiver") == ["W-001"]


def test_not_assessed_is_never_satisfied(record: RunRecord) -> None:
    result = _results(record)["results"][0]
    statuses = {c.id: c.status for c in record.controls}
    satisfied = {f["target"]["target-id"] for f in result["findings"] if f["target"]["status"]["state"] == "satisfied"}
    assert satisfied == {cid for cid, status in statuses.items() if status == "passed"}
    not_assessed = [f for f in result["findings"] if statuses[f["target"]["target-id"]] == "not_assessed"]
    assert len(not_assessed) == record.summary()["controls"]["not_assessed"]
    for finding in not_assessed:
        assert finding["target"]["status"]["reason"] == "other"
        assert finding["target"]["status"]["remarks"].startswith("Not assessed: ")
    skipped_only = _finding(result, next(c.id for c in record.controls if c.status == "not_assessed" and c.skipped))
    assert "no Kubernetes cluster on this machine" in skipped_only["target"]["status"]["remarks"]
    assert len(result["findings"]) == len(record.controls)


def test_every_uuid_reference_resolves(record: RunRecord) -> None:
    result = _results(record)["results"][0]
    defined = {o["uuid"] for o in result["observations"]} | {r["uuid"] for r in result["risks"]}
    defined |= {c["uuid"] for c in result["local-definitions"]["components"]}
    defined |= {c["uuid"] for c in result["local-definitions"]["assessment-assets"]["components"]}
    references = [r["observation-uuid"] for f in result["findings"] for r in f.get("related-observations", [])]
    references += [r["observation-uuid"] for r in result["risks"][0]["related-observations"]]
    references += [r["risk-uuid"] for f in result["findings"] for r in f.get("related-risks", [])]
    references += [s["subject-uuid"] for o in result["observations"] for s in o["subjects"]]
    references += [
        a["actor-uuid"]
        for item in result["observations"] + result["findings"] + result["risks"]
        for origin in item["origins"]
        for a in origin["actors"]
    ]
    assert set(references) <= defined


def test_rendering_is_deterministic_per_run(record: RunRecord) -> None:
    """Regenerating from the stored record gives the same bytes; another run gets other UUIDs."""
    stored = RunRecord.from_dict(json.loads(record.to_json()))
    assert assessment_results(stored) == assessment_results(record)
    assert assessment_plan(stored) == assessment_plan(record)
    record.run_id = "st99"
    other = json.loads(assessment_results(record))["assessment-results"]
    assert other["uuid"] != json.loads(assessment_results(stored))["assessment-results"]["uuid"]


def test_record_without_findings_waivers_or_evidence() -> None:
    record = build_record()
    catalogue = load_catalogue(ROOT / "controls" / "catalogue.yaml")
    record.results = [r for r in record.results if r.outcome != "waived"]
    record.findings, record.waivers, record.evidence = [], [], []
    record.controls = rollup(record.results, catalogue)
    result = _results(record)["results"][0]
    assert "risks" not in result
    assert len(result["observations"]) == len(record.results)
    assert {f["target"]["status"]["state"] for f in result["findings"]} == {"satisfied", "not-satisfied"}
    _plan(record)


def test_bare_record_validates() -> None:
    """No commit, no target, no tests, an empty catalogue: still valid documents that claim nothing."""
    record = RunRecord("st0", "2026-11-26T16:00:00.000+00:00", "2026-11-26T16:00:01.000+00:00")
    result = _results(record)["results"][0]
    assert "findings" not in result and "observations" not in result
    assert "include-all" in result["reviewed-controls"]["control-selections"][0]
    assert _props(_plan(record)["metadata"], "commit") == ["none"]


def test_free_text_with_line_breaks_is_kept_valid(record: RunRecord) -> None:
    record.waivers[0].reason = "legacy bucket\n  migrates in Q1 "
    risk = _results(record)["results"][0]["risks"][0]
    assert _props(risk, "waiver-reason") == ["legacy bucket migrates in Q1"]


@pytest.mark.parametrize("finished", ["yesterday", "2026-11-26T17:00:00"])
def test_a_record_oscal_cannot_express_is_a_config_error(record: RunRecord, finished: str) -> None:
    record.finished = finished
    with pytest.raises(ConfigError, match="cannot be written as OSCAL"):
        assessment_results(record)
