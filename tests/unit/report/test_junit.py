"""JUnit XML from the record: one suite per layer whose counts are the summary's, every outcome represented."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from stratatest.compliance.results import RunRecord, TestResult
from stratatest.report.junit import render_junit


def parse(record: RunRecord) -> ET.Element:
    text = render_junit(record)
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n')
    return ET.fromstring(text)


def case(root: ET.Element, name: str) -> ET.Element:
    (found,) = [c for c in root.iter("testcase") if c.get("name") == name]
    return found


def properties(element: ET.Element) -> list[tuple[str, str]]:
    return [(p.get("name", ""), p.get("value", "")) for p in element.findall("properties/property")]


@pytest.fixture
def full(record: RunRecord) -> RunRecord:
    """The sample record plus an error, an xfail, an xpass and a test with no layer marker."""
    c = record.controls[0].id
    record.results += [
        TestResult("tests/unit/test_a.py::test_err", "test_err", "static", "error", [c], 1.25, message="boom"),
        TestResult("tests/unit/test_a.py::test_xf", "test_xf", "static", "xfailed", [c], skip_reason="moto gap"),
        TestResult("tests/unit/test_a.py::test_xp", "test_xp", "static", "xpassed", [c]),
        TestResult("tests/unit/test_lib.py::test_helper", "test_helper", None, "passed"),
    ]
    return record


def test_suites_per_layer_have_the_summary_counts(full: RunRecord) -> None:
    root = parse(full)
    layers = full.summary()["layers"]
    assert [s.get("name") for s in root] == [f"stratatest.{name}" for name in layers]
    for suite, counts in zip(root, layers.values(), strict=True):
        got = {k: int(suite.get(k, "-1")) for k in ("tests", "failures", "errors", "skipped")}
        assert got == {
            "tests": sum(counts.values()),
            "failures": counts["failed"],
            "errors": counts["error"],
            "skipped": counts["skipped"] + counts["xfailed"] + counts["waived"],
        }
        assert len(suite.findall("testcase")) == got["tests"]
    outcomes = full.summary()["outcomes"]
    assert int(root.get("tests", "-1")) == full.summary()["tests"] == len(full.results)
    assert int(root.get("failures", "-1")) == outcomes["failed"] == 1
    assert int(root.get("errors", "-1")) == outcomes["error"] == 1
    assert int(root.get("skipped", "-1")) == outcomes["skipped"] + outcomes["xfailed"] + outcomes["waived"] == 3


def test_suite_time_and_timestamp(full: RunRecord) -> None:
    plan = next(s for s in parse(full) if s.get("name") == "stratatest.plan")
    assert plan.get("time") == "1.200"
    assert plan.get("timestamp") == "2026-11-26T16:50:00.000+00:00"  # its earliest test
    assert properties(plan) == [("run_id", "st0a1b2c"), ("commit", full.commit)]


def test_each_outcome_has_its_element(full: RunRecord) -> None:
    root = parse(full)
    failed = case(root, "test_public_access_blocked")
    assert [e.tag for e in failed if e.tag != "properties"] == ["failure"]
    assert failed.find("failure").get("message") == "AssertionError: block_public_acls is False for aws_s3_bucket.logs"
    error = case(root, "test_err").find("error")
    assert (error.get("message"), error.text) == ("boom", "boom")
    skipped = case(root, "test_kms_on_cluster").find("skipped")
    assert skipped.get("message") == "no Kubernetes cluster on this machine"
    assert case(root, "test_xf").find("skipped").get("message") == "xfail: moto gap"
    for name in ("test_encrypted[dev]", "test_xp", "test_helper"):
        assert [e.tag for e in case(root, name)] == ["properties"]


def test_waived_test_is_skipped_with_the_waiver_and_keeps_its_failure_text(full: RunRecord) -> None:
    waived = case(parse(full), "test_tls_only")
    skipped = waived.find("skipped")
    assert skipped.get("message") == "waived by W-001: legacy bucket migrates in Q1"
    assert skipped.text == "AssertionError: no SecureTransport deny on aws_s3_bucket.legacy"
    assert waived.find("failure") is None
    assert ("waiver", "W-001") in properties(waived)


def test_testcase_names_file_classname_layer_and_controls(full: RunRecord) -> None:
    root = parse(full)
    first = case(root, "test_encrypted[dev]")
    assert first.get("classname") == "tests.unit.modules.test_s3"
    assert first.get("file") == "tests/unit/modules/test_s3.py"
    assert first.get("time") == "0.500"
    assert properties(first) == [("layer", "plan"), ("control", full.controls[0].id)]
    assert properties(case(root, "test_helper")) == [("layer", "none")]


def test_classname_keeps_classes_and_ignores_separators_inside_params(record: RunRecord) -> None:
    name = "test_y[a::b/c]"
    record.results = [TestResult(f"tests/unit/test_x.py::TestK::{name}", name, "plan", "passed")]
    assert case(parse(record), name).get("classname") == "tests.unit.test_x.TestK"


def test_xml_special_and_control_characters_survive(record: RunRecord) -> None:
    message = 'expected <tag a="1"> & ]]> got \x1b[31mred\x1b[0m\x00'
    failed = next(r for r in record.results if r.outcome == "failed")
    failed.message = message
    failed.name = failed.nodeid.rsplit("::", 1)[1] + '[<&">]'
    failed.nodeid += '[<&">]'
    element = case(parse(record), failed.name).find("failure")
    assert element.text == 'expected <tag a="1"> & ]]> got \\x1b[31mred\\x1b[0m\\x00'
    assert element.get("message") == element.text
