"""SARIF from the sample record: located failures, suppressions with their justification, nothing unlocated.

No SARIF schema file ships in any installed package and nothing is fetched, so `LOG_SCHEMA` below states, for
every object render_sarif writes, the SARIF 2.1.0 schema's constraints (required properties, enums, minimums,
unique arrays, and no property the schema does not define), and jsonschema checks the log against it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import jsonschema
import pytest

from stratatest.compliance.results import RunRecord, TestResult
from stratatest.errors import ConfigError
from stratatest.report.sarif import FINGERPRINT_KEY, NO_CONTROL_RULE, SRCROOT, render_sarif, source_path


def _obj(required: tuple[str, ...] = (), **props: Any) -> dict[str, Any]:
    """A SARIF object: only the listed properties plus a property bag, as the schema's additionalProperties=false."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(required),
        "properties": {**props, "properties": BAG},
    }


def _array(items: dict[str, Any], unique: bool = True) -> dict[str, Any]:
    return {"type": "array", "uniqueItems": unique, "items": items}


BAG = {"type": "object", "properties": {"tags": _array({"type": "string"})}}
STR = {"type": "string"}
LINE = {"type": "integer", "minimum": 1}
INDEX = {"type": "integer", "minimum": -1}
LEVEL = {"enum": ["none", "note", "warning", "error"]}
TEXT = _obj(("text",), text=STR, markdown=STR)  # message / multiformatMessageString as written here
ARTIFACT = _obj(uri=STR, uriBaseId=STR, index=INDEX, description=TEXT)
LOCATION = _obj(
    physicalLocation=_obj(("artifactLocation",), artifactLocation=ARTIFACT, region=_obj(startLine=LINE, endLine=LINE)),
    logicalLocations=_array(_obj(name=STR, fullyQualifiedName=STR, kind=STR)),
)
SUPPRESSION = _obj(
    ("kind",),
    kind={"enum": ["inSource", "external"]},
    status={"enum": ["accepted", "underReview", "rejected"]},
    justification=STR,
)
RESULT = _obj(
    ("message",),
    ruleId=STR,
    ruleIndex=INDEX,
    rule=_obj(id=STR, index=INDEX, toolComponent=_obj(name=STR, index=INDEX)),
    kind={"enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]},
    level=LEVEL,
    message=TEXT,
    locations=_array(LOCATION, unique=False),
    partialFingerprints={"type": "object", "additionalProperties": STR},
    suppressions=_array(SUPPRESSION),
)
DESCRIPTOR = _obj(
    ("id",),
    id=STR,
    name=STR,
    shortDescription=TEXT,
    fullDescription=TEXT,
    help=TEXT,
    defaultConfiguration=_obj(enabled={"type": "boolean"}, level=LEVEL),
)
COMPONENT = _obj(("name",), name=STR, version=STR, informationUri=STR, rules=_array(DESCRIPTOR))
RUN = _obj(
    ("tool",),
    tool=_obj(("driver",), driver=COMPONENT, extensions=_array(COMPONENT)),
    automationDetails=_obj(id=STR),
    originalUriBaseIds={"type": "object", "additionalProperties": ARTIFACT},
    invocations=_array(
        _obj(
            ("executionSuccessful",),
            executionSuccessful={"type": "boolean"},
            startTimeUtc=STR,
            endTimeUtc=STR,
            commandLine=STR,
        )
    ),
    results=_array(RESULT, unique=False),
)
LOG_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "runs"],
    "properties": {"$schema": STR, "version": {"enum": ["2.1.0"]}, "runs": _array(RUN, unique=False)},
}


def sarif(record: RunRecord) -> dict[str, Any]:
    """The log, checked against the schema's constraints and for internal consistency before any test reads it."""
    log = json.loads(render_sarif(record))
    jsonschema.validate(log, LOG_SCHEMA)
    run = log["runs"][0]
    tool = run["tool"]
    for result in run["results"]:
        if "ruleIndex" in result:  # a driver rule
            assert tool["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        else:  # an extension's rule
            component = tool["extensions"][result["rule"]["toolComponent"]["index"]]
            assert component["rules"][result["rule"]["index"]]["id"] == result["ruleId"] == result["rule"]["id"]
        for location in result["locations"]:
            artifact = location["physicalLocation"]["artifactLocation"]
            assert artifact["uriBaseId"] in run["originalUriBaseIds"]
            assert not artifact["uri"].startswith("/")
            region = location["physicalLocation"].get("region")
            assert region is None or region["startLine"] <= region["endLine"]
    for time in run["invocations"][0]["startTimeUtc"], run["invocations"][0]["endTimeUtc"]:
        assert time.endswith("Z") and datetime.fromisoformat(time)
    fingerprints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints)
    return log


def results_by_rule(record: RunRecord) -> dict[str, dict[str, Any]]:
    return {r["ruleId"]: r for r in sarif(record)["runs"][0]["results"]}


def test_log_shape_and_tool(record: RunRecord) -> None:
    log = sarif(record)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    run = log["runs"][0]
    assert run["tool"]["driver"] == {"name": "stratatest", "version": "0.1.0", "rules": []}
    checkov = run["tool"]["extensions"][0]
    assert (checkov["name"], checkov["version"]) == ("checkov", "3.3.0")
    assert run["automationDetails"]["id"] == "stratatest/st0a1b2c"
    assert run["invocations"][0]["startTimeUtc"] == "2026-11-26T16:49:58.000Z"
    assert run["properties"]["commit"] == record.commit


def test_only_failed_waived_and_skipped_findings_on_files_are_results(record: RunRecord) -> None:
    plan = next(f for f in record.findings if f.framework == "terraform_plan")
    plan.result = "failed"  # a failing plan finding still names no file
    record.findings.append(plan)
    rules = results_by_rule(record)
    assert set(rules) == {"CKV_AWS_53", "CKV_K8S_21", "CKV_AWS_18"}  # CKV_AWS_19 passed; CKV_AWS_145 has no file
    checkov_rules = sarif(record)["runs"][0]["tool"]["extensions"][0]["rules"]
    assert [r["id"] for r in checkov_rules] == ["CKV_AWS_53", "CKV_K8S_21", "CKV_AWS_18"]
    assert "(plan)" not in render_sarif(record)


def test_a_finding_on_a_file_outside_the_repository_is_not_a_result(record: RunRecord) -> None:
    """A Checkov finding on a render (a temporary file) has no place a code-scanning tool could show."""
    for finding in record.findings:
        finding.in_repo = False
    assert not [r for r in sarif(record)["runs"][0]["results"] if r.get("ruleId", "").startswith("CKV")]


def test_failed_finding_is_located_at_its_file_lines_and_resource(record: RunRecord) -> None:
    result = results_by_rule(record)["CKV_AWS_53"]
    location = result["locations"][0]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "terraform/modules/security-baseline/trail.tf", "uriBaseId": SRCROOT},
        "region": {"startLine": 40, "endLine": 47},
    }
    assert location["logicalLocations"] == [
        {"fullyQualifiedName": "aws_s3_bucket_public_access_block.logs", "kind": "resource"}
    ]
    assert result["level"] == "error"  # STRATA-S3-002 is critical
    assert "suppressions" not in result
    assert result["properties"]["controls"] == ["STRATA-S3-002"]


def test_waived_finding_is_an_accepted_external_suppression_with_the_waiver(record: RunRecord) -> None:
    (suppression,) = results_by_rule(record)["CKV_K8S_21"]["suppressions"]
    assert suppression == {
        "kind": "external",
        "status": "accepted",
        "justification": "Checkov's helm render has no namespace",
        "properties": {
            "waiver": "W-002",
            "owner": "platform-team",
            "ticket": "PLAT-7",
            "approver": "security-lead",
            "expires": "2027-05-01",
        },
    }


def test_inline_skip_is_an_in_source_suppression_with_its_reason(record: RunRecord) -> None:
    result = results_by_rule(record)["CKV_AWS_18"]
    assert result["suppressions"] == [
        {"kind": "inSource", "justification": "the trail bucket is the log destination; logging it to itself loops"}
    ]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "endLine": 9}


def test_finding_without_lines_has_a_file_but_no_region(record: RunRecord) -> None:
    next(f for f in record.findings if f.check_id == "CKV_AWS_53").lines = [0, 0]
    physical = results_by_rule(record)["CKV_AWS_53"]["locations"][0]["physicalLocation"]
    assert physical == {
        "artifactLocation": {"uri": "terraform/modules/security-baseline/trail.tf", "uriBaseId": SRCROOT}
    }


@pytest.mark.parametrize(
    ("severities", "level"),
    [
        (["low", "critical"], "error"),
        (["high"], "error"),
        (["medium", "low"], "warning"),
        (["low"], "note"),
        ([], "warning"),  # mapped to no control
    ],
)
def test_check_level_is_the_highest_severity_of_its_controls(
    record: RunRecord, severities: list[str], level: str
) -> None:
    controls = record.controls[5 : 5 + len(severities)]
    for control, severity in zip(controls, severities, strict=True):
        control.severity = severity
    next(f for f in record.findings if f.check_id == "CKV_AWS_53").controls = [c.id for c in controls]
    log = sarif(record)
    rule = next(r for r in log["runs"][0]["tool"]["extensions"][0]["rules"] if r["id"] == "CKV_AWS_53")
    assert rule["defaultConfiguration"]["level"] == level
    assert [c["id"] for c in rule["properties"]["controls"]] == [c.id for c in controls]
    assert rule["properties"]["severity"] == (
        min(severities, key=["critical", "high", "medium", "low"].index) if severities else "unmapped"
    )
    assert results_by_rule(record)["CKV_AWS_53"]["level"] == level


def test_failed_static_tests_are_results_at_the_test_file_one_per_control(record: RunRecord) -> None:
    c = [control.id for control in record.controls]
    record.results += [
        TestResult(
            "tests/unit/charts/test_k8s.py::test_policy[prod]",
            "test_policy[prod]",
            "static",
            "failed",
            [c[1], c[6]],
            message="AssertionError: runAsNonRoot missing",
        ),
        TestResult(
            "tests/unit/modules/test_checkov.py::test_no_failed_check",
            "test_no_failed_check",
            "static",
            "error",
            [],
            message="ScanFailed: checkov crashed",
        ),
        TestResult("tests/unit/charts/test_k8s.py::test_ok", "test_ok", "static", "passed", [c[1]]),
        TestResult("tests/unit/modules/test_x.py::test_plan", "test_plan", "plan", "failed", [c[1]]),
    ]
    log = sarif(record)
    run = log["runs"][0]
    tests = [r for r in run["results"] if "ruleIndex" in r]
    assert [(r["ruleId"], r["properties"]["nodeid"]) for r in tests] == [
        (c[1], "tests/unit/charts/test_k8s.py::test_policy[prod]"),
        (c[6], "tests/unit/charts/test_k8s.py::test_policy[prod]"),
        (NO_CONTROL_RULE, "tests/unit/modules/test_checkov.py::test_no_failed_check"),
    ]
    first = tests[0]
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "tests/unit/charts/test_k8s.py", "uriBaseId": SRCROOT}
    }
    assert first["message"]["text"].endswith("failed: AssertionError: runAsNonRoot missing")
    driver_rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    s3_002 = record.controls[1]
    assert driver_rules[c[1]]["shortDescription"]["text"] == s3_002.title
    assert driver_rules[c[1]]["help"]["text"] == s3_002.remediation
    assert driver_rules[c[1]]["properties"]["frameworks"] == s3_002.mappings
    assert driver_rules[c[1]]["defaultConfiguration"]["level"] == "error"  # critical
    assert driver_rules[NO_CONTROL_RULE]["defaultConfiguration"]["level"] == "error"


def test_waived_static_test_is_suppressed_by_its_waiver(record: RunRecord) -> None:
    waived = next(r for r in record.results if r.outcome == "waived")
    waived.layer = "static"
    (result,) = [r for r in sarif(record)["runs"][0]["results"] if "ruleIndex" in r]
    assert result["suppressions"][0]["kind"] == "external"
    assert result["suppressions"][0]["justification"] == "legacy bucket migrates in Q1"
    assert result["suppressions"][0]["properties"]["waiver"] == "W-001"


def test_fingerprints_are_stable_across_runs_and_lines(record: RunRecord) -> None:
    first = {r["ruleId"]: r["partialFingerprints"] for r in sarif(record)["runs"][0]["results"]}
    record.run_id, record.started = "st99", "2027-01-01T00:00:00.000+00:00"
    next(f for f in record.findings if f.check_id == "CKV_AWS_53").lines = [41, 48]  # an edit above it
    assert {r["ruleId"]: r["partialFingerprints"] for r in sarif(record)["runs"][0]["results"]} == first


def test_paths_outside_the_repository_are_not_located() -> None:
    assert source_path("terraform/envs/dev (plan)") is None
    assert source_path("/etc/passwd") is None
    assert source_path("../elsewhere/main.tf") is None
    assert source_path("charts/my chart/values.yaml") == "charts/my chart/values.yaml"


def test_uri_is_percent_encoded(record: RunRecord) -> None:
    next(f for f in record.findings if f.check_id == "CKV_AWS_53").file = "terraform/my module/main#1.tf"
    artifact = results_by_rule(record)["CKV_AWS_53"]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact["uri"] == "terraform/my%20module/main%231.tf"


@pytest.mark.parametrize("started", ["yesterday", "2026-11-26T16:49:58"])
def test_a_time_that_is_not_utc_iso_8601_is_a_config_error(record: RunRecord, started: str) -> None:
    record.started = started
    with pytest.raises(ConfigError, match="'started'"):
        render_sarif(record)
