"""JUnit XML from the results record, one <testsuite> per layer, for CI systems' test views.

The layout is pytest's `junit_family=xunit2` (a <testsuites> root; per suite tests/failures/errors/skipped
counts and a timestamp), plus what GitLab, Jenkins and Azure DevOps read and strict xunit2 lacks: a `file`
attribute and <properties> (layer, control ids, waiver) on each <testcase>, so a CI view links a test to the
controls it assesses.

JUnit has no "waived" state. A waived test (a failure an active waiver covers) is written as <skipped> with
the message "waived by <id>: <reason>" and the failure text inside, so it neither fails the CI job nor vanishes;
the record and the controls reports keep it distinct from a real skip. xfailed tests are <skipped> too, as
pytest writes them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable

from stratatest.compliance.results import NO_LAYER, RunRecord, TestResult, WaiverStatus

SUITE_PREFIX = "stratatest."
# Characters XML 1.0 cannot carry at all (ANSI colour codes in tool output are the usual ones); ElementTree
# would write them and produce a file no parser reads, so they are shown as \xNN instead.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render_junit(record: RunRecord) -> str:
    """The XML document as text, with its declaration; counts per suite match `record.summary()["layers"]`."""
    outcomes = Counter(t.outcome for t in record.results)
    root = ET.Element("testsuites", name="stratatest", **_counts(outcomes, len(record.results)))
    waivers = {w.id: w for w in record.waivers}
    suites = _by_layer(record.results)
    for layer in record.summary()["layers"]:  # the summary's layer order: cheapest first
        root.append(_suite(layer, suites[layer], record, waivers))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _by_layer(results: Iterable[TestResult]) -> dict[str, list[TestResult]]:
    suites: dict[str, list[TestResult]] = {}
    for result in results:
        suites.setdefault(result.layer or NO_LAYER, []).append(result)
    return suites


def _suite(layer: str, tests: list[TestResult], record: RunRecord, waivers: dict[str, WaiverStatus]) -> ET.Element:
    suite = ET.Element(
        "testsuite",
        name=SUITE_PREFIX + layer,
        **_counts(Counter(t.outcome for t in tests), len(tests)),
        time=_seconds(sum(t.duration for t in tests)),  # test time, not wall time: layers run interleaved
        timestamp=min((t.started for t in tests if t.started), default=record.started),
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (("run_id", record.run_id), ("commit", record.commit)):
        if value:
            ET.SubElement(properties, "property", name=name, value=_text(value))
    for test in tests:
        suite.append(_testcase(test, waivers))
    return suite


def _counts(outcomes: Counter[str], total: int) -> dict[str, str]:
    skipped = outcomes["skipped"] + outcomes["xfailed"] + outcomes["waived"]
    return {
        "tests": str(total),
        "failures": str(outcomes["failed"]),
        "errors": str(outcomes["error"]),
        "skipped": str(skipped),
    }


def _testcase(test: TestResult, waivers: dict[str, WaiverStatus]) -> ET.Element:
    file = test.nodeid.split("::", 1)[0]
    case = ET.Element(
        "testcase", classname=_classname(test), name=_text(test.name), time=_seconds(test.duration), file=_text(file)
    )
    properties = [("layer", test.layer or NO_LAYER), *(("control", c) for c in test.controls)]
    if test.waiver:
        properties.append(("waiver", test.waiver))
    props = ET.SubElement(case, "properties")
    for name, value in properties:
        ET.SubElement(props, "property", name=name, value=_text(value))

    message = test.message or ""
    if test.outcome == "failed":
        _child(case, "failure", _first_line(message) or "failed", message)
    elif test.outcome == "error":
        _child(case, "error", _first_line(message) or "error", message)
    elif test.outcome == "skipped":
        _child(case, "skipped", test.skip_reason or "skipped", "", type="pytest.skip")
    elif test.outcome == "xfailed":
        _child(case, "skipped", f"xfail: {test.skip_reason or 'expected failure'}", message, type="pytest.xfail")
    elif test.outcome == "waived":
        waiver = waivers.get(test.waiver or "")
        reason = waiver.reason if waiver and waiver.reason else "no reason recorded"
        _child(case, "skipped", f"waived by {test.waiver}: {reason}", message, type="stratatest.waived")
    return case


def _child(case: ET.Element, tag: str, message: str, text: str, **attrs: str) -> None:
    element = ET.SubElement(case, tag, message=_text(message), **attrs)
    if text:
        element.text = _text(text)


def _classname(test: TestResult) -> str:
    """pytest's classname: the module path dotted, then any classes; the name (with its params) is cut first,
    as a parameter id may itself contain "::" or "/"."""
    nodeid = test.nodeid
    prefix = nodeid[: -len(test.name) - 2] if nodeid.endswith("::" + test.name) else nodeid.rsplit("::", 1)[0]
    path, *classes = prefix.split("::")
    module = path.removesuffix(".py").replace("/", ".")
    return _text(".".join([module, *classes]))


def _text(value: str) -> str:
    return _ILLEGAL_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _seconds(value: float) -> str:
    return f"{value:.3f}"
