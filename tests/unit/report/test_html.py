"""The HTML report, read back through a real HTML parser: what a person sees must match the record."""

from __future__ import annotations

import dataclasses
import html
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from stratatest.compliance.catalogue import SEVERITIES, load_catalogue
from stratatest.compliance.results import (
    CONTROL_STATUSES,
    LAYERS,
    OUTCOMES,
    Finding,
    RunRecord,
    TestResult,
    WaiverStatus,
    rollup,
)
from stratatest.report.html import FOLD_PASSED_OVER, render_html

ROOT = Path(__file__).resolve().parents[3]
XSS = "<script>alert(1)</script>"
_VOID = frozenset({"meta", "link", "br", "input", "img", "hr", "wbr", "col", "source"})


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def all(self, attr: str, value: str | None = None) -> list[Node]:
        return [n for n in self.iter() if attr in n.attrs and (value is None or n.attrs[attr] == value)]

    def one(self, attr: str, value: str | None = None) -> Node:
        found = self.all(attr, value)
        assert len(found) == 1, f"expected one element with {attr}={value!r}, found {len(found)}"
        return found[0]

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _TreeBuilder(HTMLParser):
    """A strict tree: every non-void element must be closed, in order, so unbalanced markup fails the test."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], f"unclosed: {[n.tag for n in builder.stack[1:]]}"
    return builder.root


def counts(doc: Node) -> dict[str, int]:
    return {n.attrs["data-count"]: int(n.text()) for n in doc.all("data-count")}


def cells_by_status(row: Node) -> dict[str, int]:
    return {c.attrs["data-status"]: int(c.text()) for c in row.all("data-status")}


def controls_in_page(doc: Node) -> list[Node]:
    return [n for n in doc.all("data-control") if n.tag == "article"]


def large_record(tests: int = 1300) -> RunRecord:
    """~1300 tests over 40 of the catalogue's controls, every outcome and layer, counts all different."""
    catalogue = load_catalogue(ROOT / "controls" / "catalogue.yaml")
    ids = catalogue.ids[:40]
    results = []
    for i in range(tests):
        k = i % len(ids)
        outcome = "passed"
        if k % 10 == 0 and i < len(ids):
            outcome = "failed"
        elif k % 10 == 1:
            outcome = "waived"
        elif k % 10 == 2:
            outcome = "skipped"
        elif k == 3 and i < len(ids):
            outcome = "error"
        elif k == 4 and i < len(ids):
            outcome = "xfailed"
        layer = LAYERS[i % 5]
        message = f"AssertionError: check {i} failed" if outcome in ("failed", "error", "waived") else None
        results.append(
            TestResult(
                f"tests/unit/test_big.py::test_{i}[{layer}]",
                f"test_{i}",
                layer,
                outcome,
                [ids[k]],
                0.01 * (i % 7),
                skip_reason="not here" if outcome == "skipped" else None,
                message=message,
                waiver="W-001" if outcome == "waived" else None,
            )
        )
    findings = [
        Finding("checkov", "terraform", f"CKV_AWS_{n}", "a check", result, f"aws_s3_bucket.b{n}", "main.tf", [n, n],
                "static", [ids[n % 40]] if n % 4 else [], waiver="W-002" if result == "waived" else None)
        for n, result in enumerate(["passed"] * 9 + ["failed"] * 4 + ["waived"] * 2 + ["skipped"])
    ]  # fmt: skip
    return RunRecord(
        run_id="stbig",
        started="2026-11-26T16:00:00.000+00:00",
        finished="2026-11-26T16:20:00.000+00:00",
        results=results,
        controls=rollup(results, catalogue, findings),
        findings=findings,
        waivers=[WaiverStatus("W-001", "active", reason="r", expires="2027-01-01", age_days=3)],
        commit="f" * 40,
        dirty=True,
    )


# --- document ----------------------------------------------------------------------------------------------------


def test_one_self_contained_balanced_document(record: RunRecord) -> None:
    page = render_html(record)
    doc = parse(page)  # asserts every element is closed in order
    assert page.startswith("<!DOCTYPE html>")
    assert [n.text() for n in doc.iter() if n.tag == "title"] == ["stratatest st0a1b2c: FAILED"]
    for node in doc.iter():
        for name in ("src", "href", "action"):
            value = node.attrs.get(name, "")
            assert not value or value.startswith(("#", "data:")), f"<{node.tag} {name}={value!r}> leaves the file"
    assert [n.tag for n in doc.iter() if n.tag in ("style", "script")] == ["style", "script"]
    assert "@import" not in page and "url(" not in page


def test_sections_in_the_agreed_order(record: RunRecord) -> None:
    page = render_html(record)
    marks = ['data-verdict="failed"', 'id="summary"', 'id="frameworks"', 'id="layers"', 'id="controls"']
    marks += ['id="waivers"', 'id="evidence"', 'id="unmapped"']
    positions = [page.index(m) for m in marks]
    assert positions == sorted(positions)


def test_header_names_run_commit_target_times_tools_catalogue(record: RunRecord) -> None:
    header = next(n for n in parse(render_html(record)).iter() if n.tag == "header")
    text = " ".join(header.text().split())
    assert header.one("data-verdict").text().endswith("FAILED")
    for expected in (
        "st0a1b2c",
        record.commit,
        "name moto",
        "account_id 123456789012",
        "region eu-west-1",
        "2026-11-26 16:49:58 UTC",
        "2026-11-26 17:00:00 UTC (10 min 2 s)",
        "terraform 1.11.4",
        "checkov 3.3.0",
        "controls/catalogue.yaml sha256:dddddddddddd",
        "--layer=static --layer=plan",
        "corrections 13",
    ):
        assert expected in text
    assert "uncommitted changes" not in text
    record.dirty = True
    header = next(n for n in parse(render_html(record)).iter() if n.tag == "header")
    assert f"{record.commit} uncommitted changes" in header.text()


@pytest.mark.parametrize(
    ("outcomes", "verdict", "label"),
    [(["passed"], "passed", "PASSED"), (["passed", "error"], "failed", "FAILED"), ([], "empty", "NO TESTS")],
)
def test_verdict_labels(outcomes: list[str], verdict: str, label: str) -> None:
    results = [TestResult(f"t.py::t{i}", f"t{i}", "unit", o) for i, o in enumerate(outcomes)]
    record = RunRecord("strun", "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:01+00:00", results=results)
    node = parse(render_html(record)).one("data-verdict")
    assert node.attrs["data-verdict"] == verdict
    assert node.text() == f"Verdict{label}"


def test_command_line_is_redacted(record: RunRecord) -> None:
    record.command_line = "pytest tests --db-password hunter2"
    page = render_html(record)
    assert "hunter2" not in page
    assert "--db-password [REDACTED]" in page


# --- summary, frameworks, layers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("build", ["sample", "large"])
def test_summary_numbers_equal_the_record(record: RunRecord, build: str) -> None:
    if build == "large":
        record = large_record()
    summary = record.summary()
    expected = {f"controls-{s.replace('_', '-')}": n for s, n in summary["controls"].items()}
    expected |= {f"tests-{o}": n for o, n in summary["outcomes"].items()}
    expected |= {f"findings-{r}": n for r, n in summary["findings"].items()}
    expected |= {
        "controls-total": len(record.controls),
        "tests-total": summary["tests"],
        "findings-total": len(record.findings),
    }
    assert counts(parse(render_html(record))) == expected
    if build == "large":  # a swapped label would go unnoticed if two counts were equal
        assert len(set(summary["controls"].values())) == len(CONTROL_STATUSES)


def test_framework_table_counts_each_mapped_control_once_per_framework_version() -> None:
    record = large_record()
    expected: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for control in record.controls:
        for key in {(m["framework"], m["version"]) for m in control.mappings}:
            expected[key][control.status] += 1
    rows = [n for n in parse(render_html(record)).all("data-framework") if n.tag == "tr"]
    got = {(r.attrs["data-framework"], r.attrs["data-version"]): cells_by_status(r) for r in rows}
    assert got == {key: {s: statuses[s] for s in CONTROL_STATUSES} for key, statuses in expected.items()}
    assert len(got) >= 3  # the real catalogue maps several frameworks


def test_layer_table_has_outcomes_per_layer_and_controls_assessed(record: RunRecord) -> None:
    summary = record.summary()
    rows = {n.attrs["data-layer"]: n for n in parse(render_html(record)).all("data-layer") if n.tag == "tr"}
    assert list(rows) == ["static", "plan", "emulator", "cluster"]  # LAYERS order; static has findings only
    for name, row in rows.items():
        assert cells_by_status(row) == summary["layers"].get(name, dict.fromkeys(OUTCOMES, 0))
        assert int(row.one("data-assessed").text()) == summary["assessed_by_layer"].get(name, 0)
    assert int(rows["static"].one("data-assessed").text()) == 2


# --- controls ------------------------------------------------------------------------------------------------------


def test_controls_failed_first_then_waived_not_assessed_passed_by_severity(record: RunRecord) -> None:
    cards = controls_in_page(parse(render_html(large_record())))
    keys = [(c.attrs["data-status"], c.attrs["data-severity"], c.attrs["data-control"]) for c in cards]
    assert keys == sorted(keys, key=lambda k: (CONTROL_STATUSES.index(k[0]), SEVERITIES.index(k[1]), k[2]))
    assert {k[0] for k in keys} == set(CONTROL_STATUSES)
    sample = [c.attrs["data-status"] for c in controls_in_page(parse(render_html(record)))]
    assert sample[:2] == ["failed", "waived"] and sample[-1] == "passed"
    assert len(sample) == len(record.controls)


def test_failed_control_shows_test_finding_waiver_trouble_and_remediation(record: RunRecord) -> None:
    failed = next(c for c in record.controls if c.status == "failed")
    card = parse(render_html(record)).one("data-control", failed.id)
    text = " ".join(card.text().split())
    assert card.one("class", "badge st-failed").text() == "Failed"
    assert "tests/unit/modules/test_s3.py::test_public_access_blocked" in text
    assert "AssertionError: block_public_acls is False for aws_s3_bucket.logs" in text
    assert "aws_s3_bucket_public_access_block.logs" in text
    assert "terraform/modules/security-baseline/trail.tf:40-47" in text
    assert "W-003" in text and "expired on 2026-06-30" in text  # the lapsed waiver that no longer covers it
    assert f"Remediation: {failed.remediation}" in text
    for mapping in failed.mappings:
        assert f"{mapping['framework']} {mapping['version']}" in text


def test_waived_control_names_the_waiver_that_applied(record: RunRecord) -> None:
    waived = next(c for c in record.controls if c.status == "waived")
    text = " ".join(parse(render_html(record)).one("data-control", waived.id).text().split())
    assert "W-001 applied (owner platform-team, ticket PLAT-123, expires 2027-01-31)" in text
    assert "waiver W-001" in text  # on the test row too
    assert "Remediation:" in text


def test_passed_tests_fold_under_a_summary_when_many_and_failures_stay_open(record: RunRecord) -> None:
    sample = parse(render_html(record)).one("data-control", record.controls[0].id)  # 2 passed tests
    (small,) = [n for n in sample.iter() if n.tag == "details"]
    assert "open" in small.attrs and small.children[0].text() == "2 passed tests"
    big = large_record()
    failed = next(c for c in big.controls if c.status == "failed" and c.passed > FOLD_PASSED_OVER)
    card = parse(render_html(big)).one("data-control", failed.id)
    (folded,) = [n for n in card.iter() if n.tag == "details"]
    assert "open" not in folded.attrs and folded.children[0].text() == f"{failed.passed} passed tests"
    outside = [n.attrs["data-outcome"] for n in card.all("data-outcome") if n not in list(folded.iter())]
    assert outside and "passed" not in outside  # what failed is outside the fold


def test_not_assessed_is_never_labelled_passed(record: RunRecord) -> None:
    doc = parse(render_html(record))
    skipped_only = doc.one("data-control", record.controls[3].id)
    assert record.controls[3].status == "not_assessed"
    assert "no Kubernetes cluster on this machine" in skipped_only.text()
    for card in controls_in_page(doc):
        badge = next(n for n in card.iter() if "badge" in n.classes)
        if card.attrs["data-status"] == "not_assessed":
            assert badge.text() == "Not assessed"
            assert "st-passed" not in card.classes | badge.classes
            assert "Remediation:" not in card.text()
    passed = [c for c in controls_in_page(doc) if c.attrs["data-status"] == "passed"]
    assert [next(n for n in c.iter() if "badge" in n.classes).text() for c in passed] == ["Passed"]


def test_history_cells_run_oldest_to_newest_then_this_run(record: RunRecord, history: list[RunRecord]) -> None:
    older = history[0]
    older.controls = [dataclasses.replace(c, status="passed") for c in older.controls[1:]]  # first control absent
    doc = parse(render_html(record, [*reversed(history), record]))  # any order; this run not repeated
    by_run = [{c.id: c.status for c in run.controls} for run in history]
    for card in controls_in_page(doc):
        cells = card.all("data-run")
        assert [c.attrs["data-run"] for c in cells] == ["st000000", "st000001", "st000002", "this run"]
        expected = [statuses.get(card.attrs["data-control"], "absent") for statuses in by_run]
        assert [c.attrs["data-status"] for c in cells] == [*expected, card.attrs["data-status"]]
    first = doc.one("data-control", record.controls[0].id).all("data-run")
    assert (first[0].attrs["data-status"], first[0].text()) == ("absent", "—")
    second = doc.one("data-control", record.controls[1].id).all("data-run")
    assert [(c.attrs["data-status"], c.text()) for c in second] == [
        ("passed", "PASS"),
        ("failed", "FAIL"),
        ("failed", "FAIL"),
        ("failed", "FAIL"),
    ]


def test_without_history_each_control_has_only_this_run(record: RunRecord) -> None:
    for card in controls_in_page(parse(render_html(record))):
        assert [c.attrs["data-run"] for c in card.all("data-run")] == ["this run"]


# --- waivers, evidence, unmapped ------------------------------------------------------------------------------------


def test_waivers_active_with_age_and_expiry_and_problems_in_a_warning(record: RunRecord) -> None:
    doc = parse(render_html(record))
    section = doc.one("id", "waivers")
    active = {n.attrs["data-waiver"]: n for n in section.all("data-waiver") if n.tag == "tr"}
    assert list(active) == ["W-001", "W-002"]
    assert active["W-001"].one("data-age").text() == "56"
    assert "2027-01-31in 66 days" in active["W-001"].text()  # days left from the run's finish
    assert "PLAT-123" in active["W-001"].text()
    warning = section.one("id", "waiver-problems")
    problems = {n.attrs["data-waiver"]: (n.attrs["data-state"], n.text()) for n in warning.all("data-state")}
    assert problems.keys() == {"W-003", "W-004"}
    assert problems["W-003"][0] == "expired" and "expired on 2026-06-30" in problems["W-003"][1]
    assert problems["W-004"][0] == "invalid" and "missing field 'approver'" in problems["W-004"][1]


def test_no_warning_section_when_every_waiver_is_active(record: RunRecord) -> None:
    record.waivers = [w for w in record.waivers if w.state == "active"]
    assert 'id="waiver-problems"' not in render_html(record)


def test_evidence_lists_each_artefact_with_its_digest(record: RunRecord) -> None:
    rows = [n for n in parse(render_html(record)).one("id", "evidence").all("data-kind") if n.tag == "tr"]
    got = [(r.attrs["data-kind"], [c.text() for c in r.children if isinstance(c, Node)][:3]) for r in rows]
    assert got == [
        ("catalogue", ["catalogue", "controls/catalogue.yaml", "d" * 64]),
        ("plan", ["plan", "terraform/envs/dev", "a" * 64]),
        ("manifests", ["manifests", "charts/microservice prod", "c" * 64]),
    ]


def test_unmapped_findings_have_their_own_section(record: RunRecord) -> None:
    section = parse(render_html(record)).one("id", "unmapped")
    results = [(n.attrs["data-result"], " ".join(n.text().split())) for n in section.all("data-result")]
    assert [r for r, _ in results] == ["waived", "skipped"]
    assert "CKV_K8S_21" in results[0][1] and "charts/microservice/templates/deployment.yaml:1-80" in results[0][1]
    assert "CKV_AWS_18" in results[1][1] and "logging it to itself loops" in results[1][1]
    record.findings = [f for f in record.findings if f.controls]
    assert 'id="unmapped"' not in render_html(record)


# --- robustness ------------------------------------------------------------------------------------------------------


def test_everything_from_the_record_is_escaped(record: RunRecord) -> None:
    record.results[2].message = XSS
    record.controls[0].title = XSS
    record.target["name"] = XSS
    record.waivers[0].reason = XSS
    record.evidence[0].name = XSS
    record.findings[1].resource = XSS
    record.tool_versions['x" onmouseover="alert(1)'] = XSS
    record.run_id = 'st"><b>'
    page = render_html(record)
    assert "<script>alert" not in page
    assert page.count("<script>") == 1  # the filter, ours
    assert page.count(html.escape(XSS)) >= 7
    doc = parse(page)
    assert all("onmouseover" not in n.attrs for n in doc.iter())
    assert not [n for n in doc.iter() if n.tag == "b" and not n.text()]
    assert doc.one("data-control", record.controls[0].id).text().count(XSS) == 1  # shown as text


def test_empty_record_renders_every_section_with_zeros() -> None:
    record = RunRecord("stempty", "2026-11-26T16:00:00+00:00", "2026-11-26T16:00:01+00:00")
    doc = parse(render_html(record, [record]))
    assert doc.one("data-verdict").attrs["data-verdict"] == "empty"
    assert set(counts(doc).values()) == {0}
    text = doc.text()
    assert "No controls in this record." in text
    assert "no active waiver" in text and "no artefact recorded" in text
    assert "no control maps to a public framework" in text
    assert 'id="unmapped"' not in render_html(record)


def test_large_record_lists_every_test_under_its_control() -> None:
    record = large_record()
    doc = parse(render_html(record))
    rows = [n for n in doc.all("data-outcome") if n.tag == "tr"]
    assert len(rows) == len(record.results) == 1300
    assert Counter(r.attrs["data-outcome"] for r in rows) == Counter(r.outcome for r in record.results)
