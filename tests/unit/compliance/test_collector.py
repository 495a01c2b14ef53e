"""The results collector, driven end to end through pytester subprocesses, with and without pytest-xdist; waivers
through the plugin's own report hook."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import textwrap
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from stratatest.compliance.catalogue import Catalogue, Control
from stratatest.compliance.collector import command_line, validate_items
from stratatest.compliance.waivers import today_utc

pytest_plugins = ["pytester"]

CATALOGUE_YAML = """\
version: 1
controls:
"""
for _cid in ("STRATA-S3-001", "STRATA-S3-002", "STRATA-KMS-001", "STRATA-DDB-001"):
    CATALOGUE_YAML += f"""\
  - id: {_cid}
    title: control {_cid}
    severity: high
    rationale: r
    remediation: m
    mappings: []
    notes: test control
"""
# One control assessed by a Checkov check, so a scan saved in the run's shared folder can decide it.
CATALOGUE_YAML = CATALOGUE_YAML.replace(
    "STRATA-DDB-001\n    severity: high\n    rationale: r\n    remediation: m\n    mappings: []",
    "STRATA-DDB-001\n    severity: high\n    rationale: r\n    remediation: m\n    mappings:\n"
    "      - framework: Checkov\n        version: '3.3'\n        ids: [CKV_AWS_18]",
)
CHECKOV_REPORT = Path(__file__).resolve().parents[1] / "static" / "data" / "terraform.json"  # a real Checkov report

# The project's main plugin does this registration; here a conftest stands in for it, so the test does not
# depend on the plugin's session setup (entry-point autoload is disabled below) and each process writes to its own
# file. The one plugin hook it takes is the report hook that turns a failure an active waiver covers into "waived".
CONFTEST = """\
from pathlib import Path

import pytest

from stratatest.compliance.catalogue import load_catalogue
from stratatest.compliance.collector import ResultsCollector, validate_items
from stratatest.compliance.waivers import load_waivers
from stratatest.plugin.record import pytest_runtest_makereport

HERE = Path(__file__).parent
CATALOGUE = load_catalogue(HERE / "catalogue.yaml")
WAIVERS = load_waivers(HERE / "waivers.yaml" if (HERE / "waivers.yaml").is_file() else None, CATALOGUE)


def pytest_configure(config):
    for name in ("control", "static", "plan", "emulator", "cluster", "sandbox"):
        config.addinivalue_line("markers", f"{name}: test marker")
    worker = getattr(config, "workerinput", {}).get("workerid", "controller")
    collector = ResultsCollector(
        config,
        CATALOGUE,
        run_id="st-test",
        target={"name": "moto", "region": "us-east-1"},
        tool_versions={"pytest": pytest.__version__},
        results_path=Path(str(config.rootpath)) / f"results-{worker}.json",
        shared_dir=HERE / "shared",
        waivers=WAIVERS,
    )
    config.pluginmanager.register(collector, "stratatest-results")
    config.stratatest_waivers = WAIVERS


def pytest_collection_modifyitems(items):
    validate_items(items, CATALOGUE)
"""

TESTS = """\
import pytest

pytestmark = pytest.mark.plan


@pytest.mark.control("STRATA-S3-001")
def test_passes():
    pass


@pytest.mark.control("STRATA-S3-001", "STRATA-S3-002")
def test_fails():
    key_id = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example key id
    assert key_id == "ASIA"


@pytest.mark.emulator
@pytest.mark.control("STRATA-KMS-001")
def test_skipped_imperatively():
    pytest.skip("emulator cannot rotate keys")


@pytest.mark.control("STRATA-KMS-001")
@pytest.mark.skip(reason="no sandbox account")
def test_skipped_by_mark():
    pass


@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")


@pytest.mark.control("STRATA-S3-002")
def test_setup_error(broken):
    pass


@pytest.fixture
def bad_teardown():
    yield
    raise RuntimeError("teardown exploded")


def test_teardown_error(bad_teardown):
    pass


@pytest.mark.xfail(reason="known moto gap")
def test_xfail():
    assert False


@pytest.mark.xfail(reason="fixed upstream")
def test_xpass():
    pass


class TestGroup:
    pytestmark = pytest.mark.control("STRATA-S3-002")

    @pytest.mark.control("STRATA-S3-001")
    def test_in_class(self):
        pass
"""

EXPECTED = {
    "test_sample.py::test_passes": ("passed", "plan", ["STRATA-S3-001"]),
    "test_sample.py::test_fails": ("failed", "plan", ["STRATA-S3-001", "STRATA-S3-002"]),
    "test_sample.py::test_skipped_imperatively": ("skipped", "emulator", ["STRATA-KMS-001"]),
    "test_sample.py::test_skipped_by_mark": ("skipped", "plan", ["STRATA-KMS-001"]),
    "test_sample.py::test_setup_error": ("error", "plan", ["STRATA-S3-002"]),
    "test_sample.py::test_teardown_error": ("error", "plan", []),
    "test_sample.py::test_xfail": ("xfailed", "plan", []),
    "test_sample.py::test_xpass": ("xpassed", "plan", []),
    "test_sample.py::TestGroup::test_in_class": ("passed", "plan", ["STRATA-S3-001", "STRATA-S3-002"]),
}


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # Isolation from the installed stratatest plugin: only what the conftest registers is active.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makefile(".yaml", catalogue=CATALOGUE_YAML)
    pytester.makeconftest(CONFTEST)
    return pytester


def run(project: pytest.Pytester, *args: str, xdist: bool = False) -> pytest.RunResult:
    extra = ("-p", "xdist.plugin", "-n", "2") if xdist else ()
    return project.runpytest_subprocess(*extra, "-p", "no:cacheprovider", *args)


def record_of(project: pytest.Pytester) -> dict[str, Any]:
    files = sorted(p.name for p in project.path.glob("results-*.json"))
    assert files == ["results-controller.json"], "only the controller writes the record"
    return json.loads((project.path / "results-controller.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_record_from_a_real_session(project: pytest.Pytester, xdist: bool) -> None:
    project.makepyfile(test_sample=TESTS)
    outcome = run(project, f"--junitxml={project.path / 'junit.xml'}", xdist=xdist)
    assert outcome.ret == pytest.ExitCode.TESTS_FAILED
    record = record_of(project)

    results = {r["nodeid"]: r for r in record["results"]}
    assert {n: (r["outcome"], r["layer"], r["controls"]) for n, r in results.items()} == EXPECTED

    skipped = results["test_sample.py::test_skipped_imperatively"]
    assert skipped["skip_reason"] == "emulator cannot rotate keys"
    assert results["test_sample.py::test_skipped_by_mark"]["skip_reason"] == "no sandbox account"
    assert results["test_sample.py::test_xfail"]["skip_reason"] == "known moto gap"
    assert "fixture exploded" in results["test_sample.py::test_setup_error"]["message"]
    assert "teardown exploded" in results["test_sample.py::test_teardown_error"]["message"]
    failure = results["test_sample.py::test_fails"]["message"]
    assert "AssertionError" in failure or "assert" in failure
    assert "AKIA[REDACTED]" in failure and "IOSFODNN7" not in failure, "failure text is redacted"
    assert results["test_sample.py::TestGroup::test_in_class"]["name"] == "TestGroup.test_in_class"
    assert all(r["started"] and r["duration"] >= 0 for r in record["results"])

    controls = {c["id"]: c for c in record["controls"]}
    assert {i: c["status"] for i, c in controls.items()} == {
        "STRATA-S3-001": "failed",
        "STRATA-S3-002": "failed",
        "STRATA-KMS-001": "not_assessed",
        "STRATA-DDB-001": "not_assessed",
    }
    assert controls["STRATA-KMS-001"]["reasons"] == ["emulator cannot rotate keys", "no sandbox account"]
    assert controls["STRATA-DDB-001"]["tests"] == []
    assert controls["STRATA-S3-001"]["passed"] == 2 and controls["STRATA-S3-001"]["failed"] == 1
    assert controls["STRATA-S3-001"]["layers"] == ["plan"]
    assert controls["STRATA-KMS-001"]["layers"] == [], "skipped tests assessed nothing"
    assert (controls["STRATA-S3-001"]["rationale"], controls["STRATA-S3-001"]["remediation"]) == ("r", "m")
    assert record["summary"]["assessed_by_layer"] == {"plan": 2}
    assert (record["waivers"], record["findings"], record["evidence"]) == ([], [], [])

    assert record["run_id"] == "st-test"
    assert record["target"] == {"name": "moto", "region": "us-east-1"}
    assert record["summary"]["outcomes"]["error"] == 2
    assert record["summary"]["layers"]["emulator"]["skipped"] == 1
    assert record["command_line"].startswith("pytest ")

    # layer and controls also reach JUnit XML as properties (through xdist workers too)
    junit = ET.parse(project.path / "junit.xml")
    props = {
        (case.get("name"), p.get("name")): p.get("value")
        for case in junit.iter("testcase")
        for p in case.iter("property")
    }
    assert props[("test_fails", "controls")] == "STRATA-S3-001,STRATA-S3-002"
    assert props[("test_fails", "layer")] == "plan"


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_unknown_control_id_is_a_one_line_usage_error(project: pytest.Pytester, xdist: bool) -> None:
    project.makepyfile(
        test_typo="""
        import pytest

        @pytest.mark.control("STRATA-S3-01")
        def test_typo():
            pass
        """
    )
    outcome = run(project, xdist=xdist)
    assert outcome.ret != pytest.ExitCode.OK
    output = outcome.stdout.str() + outcome.stderr.str()
    assert "Traceback" not in output
    assert "test_typo.py::test_typo: unknown control id 'STRATA-S3-01'" in output
    assert "did you mean STRATA-S3-001" in output
    # Serial: a usage error. Under xdist the workers stop the session, which the controller reports as an
    # interruption carrying the same line.
    assert outcome.ret == (pytest.ExitCode.INTERRUPTED if xdist else pytest.ExitCode.USAGE_ERROR)


def test_two_layer_markers_are_rejected(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_layers="""
        import pytest

        @pytest.mark.plan
        @pytest.mark.sandbox
        def test_both():
            pass
        """
    )
    outcome = run(project)
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    outcome.stderr.fnmatch_lines(["*test_both: more than one layer marker (sandbox, plan)*"])


def test_collection_error_is_recorded_not_silent(project: pytest.Pytester) -> None:
    project.makepyfile(test_broken="import nonexistent_module_xyz\n", test_ok="def test_ok():\n    pass\n")
    outcome = run(project)
    assert outcome.ret == pytest.ExitCode.INTERRUPTED
    results = {r["nodeid"]: r for r in record_of(project)["results"]}
    assert results["test_broken.py"]["outcome"] == "error"
    assert "nonexistent_module_xyz" in results["test_broken.py"]["message"]


def test_all_passing_run_writes_passed_and_not_assessed(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_ok="""
        import pytest

        @pytest.mark.static
        @pytest.mark.control("STRATA-S3-001")
        def test_ok():
            pass
        """
    )
    assert run(project).ret == pytest.ExitCode.OK
    record = record_of(project)
    statuses = {c["id"]: c["status"] for c in record["controls"]}
    assert statuses["STRATA-S3-001"] == "passed"
    assert statuses["STRATA-S3-002"] == "not_assessed"
    assert record["summary"]["verdict"] == "passed"


# -- waivers end to end -----------------------------------------------------------------------------------

WAIVED_TESTS = """\
import pytest

pytestmark = pytest.mark.plan


@pytest.mark.control("STRATA-S3-002")
@pytest.mark.parametrize("env", ["dev"])
def test_tls_legacy(env):
    assert "aws:SecureTransport" == f"deny on the {env} legacy bucket"


@pytest.mark.control("STRATA-S3-002")
def test_tls_new():
    pass


@pytest.mark.control("STRATA-S3-001")
def test_encrypted():
    pass
"""
WAIVED = "test_waived.py::test_tls_legacy[dev]"
WAIVED_LINE = WAIVED.replace("[", "[[]")  # as an fnmatch pattern: its brackets are literal


def waivers_yaml(state: str) -> str:
    """W-001 on STRATA-S3-002 over test_tls_legacy's cases (brackets are literal in a selector), as `state`."""
    today = today_utc()
    created, expires = today - timedelta(days=10), today + timedelta(days=30)
    if state == "expired":
        created, expires = today - timedelta(days=100), today - timedelta(days=1)
    approver = "" if state == "invalid" else "    approver: security-lead\n"
    return (
        "version: 1\nwaivers:\n"
        "  - id: W-001\n    control: STRATA-S3-002\n    resource: 'test_waived.py::test_tls_legacy[*]'\n"
        "    reason: the legacy bucket is replaced next quarter\n    owner: platform-team\n    ticket: PLAT-123\n"
        f"{approver}    created: {created}\n    expires: {expires}\n"
    )


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_an_active_waiver_turns_a_covered_failure_into_waived(project: pytest.Pytester, xdist: bool) -> None:
    project.makefile(".yaml", waivers=waivers_yaml("active"))
    project.makepyfile(test_waived=WAIVED_TESTS)
    outcome = run(project, "-rfxX", xdist=xdist)
    output = outcome.stdout.str()
    assert outcome.ret == pytest.ExitCode.OK, output
    outcome.stdout.fnmatch_lines(
        [f"XFAIL {WAIVED_LINE} - waived by W-001 (PLAT-123, owner platform-team, until *): the legacy bucket is*"]
    )
    record = record_of(project)

    results = {r["nodeid"]: r for r in record["results"]}
    waived = results[WAIVED]
    assert (waived["outcome"], waived["waiver"]) == ("waived", "W-001")
    assert "aws:SecureTransport" in waived["message"], "the failure it accepts stays in the record"
    assert waived["skip_reason"].startswith("waived by W-001 (PLAT-123")
    assert {r["outcome"] for n, r in results.items() if n != WAIVED} == {"passed"}

    controls = {c["id"]: c for c in record["controls"]}
    s3 = controls["STRATA-S3-002"]
    assert (s3["status"], s3["passed"], s3["waived"], s3["failed"], s3["waivers"]) == ("waived", 1, 1, 0, ["W-001"])
    assert controls["STRATA-S3-001"]["status"] == "passed"
    assert record["summary"]["verdict"] == "passed"
    assert record["summary"]["outcomes"]["waived"] == 1

    (listed,) = record["waivers"]
    assert (listed["id"], listed["state"], listed["problem"]) == ("W-001", "active", None)
    assert (listed["age_days"], listed["applied_to"]) == (10, [WAIVED])


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
@pytest.mark.parametrize(("state", "problem"), [("expired", "expired on *"), ("invalid", "missing field 'approver'")])
def test_an_expired_or_invalid_waiver_covers_nothing(
    project: pytest.Pytester, xdist: bool, state: str, problem: str
) -> None:
    project.makefile(".yaml", waivers=waivers_yaml(state))
    project.makepyfile(test_waived=WAIVED_TESTS)
    outcome = run(project, "-rfxX", xdist=xdist)
    assert outcome.ret == pytest.ExitCode.TESTS_FAILED
    outcome.stdout.fnmatch_lines([f"FAILED {WAIVED_LINE} - AssertionError*"])
    assert "waived by" not in outcome.stdout.str()
    record = record_of(project)

    waived = {r["nodeid"]: r for r in record["results"]}[WAIVED]
    assert (waived["outcome"], waived["waiver"]) == ("failed", None)
    controls = {c["id"]: c for c in record["controls"]}
    assert (controls["STRATA-S3-002"]["status"], controls["STRATA-S3-002"]["waivers"]) == ("failed", [])
    assert record["summary"]["verdict"] == "failed"

    (listed,) = record["waivers"]
    assert (listed["id"], listed["state"], listed["applied_to"]) == ("W-001", state, [])
    assert fnmatch.fnmatchcase(listed["problem"], problem)


# -- scans and evidence from the run's shared folder -------------------------------------------------------

EVIDENCE_TESTS = """\
from pathlib import Path

import pytest

from stratatest.compliance.evidence import record_evidence

pytestmark = pytest.mark.plan


@pytest.mark.control("STRATA-S3-001")
@pytest.mark.parametrize("case", ["a", "b", "c", "d"])
def test_planned(case):
    record_evidence(Path(__file__).parent / "shared", "plan", "terraform/envs/dev", "the dev plan")
"""


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_scans_and_evidence_in_the_shared_folder_reach_the_record(project: pytest.Pytester, xdist: bool) -> None:
    """Checkov saved its scan in the run folder and workers logged a plan: the controller folds both in, with a
    waiver applied to a finding."""
    saved = {
        "kind": "directory",
        "name": "tiny",
        "frameworks": ["terraform"],
        "extra_args": [],
        "returncode": 1,
        "stdout": CHECKOV_REPORT.read_text(encoding="utf-8"),
        "stderr": "",
    }
    (project.path / "shared" / "checkov").mkdir(parents=True)
    (project.path / "shared" / "checkov" / "0123.json").write_text(json.dumps(saved), encoding="utf-8")
    project.makefile(
        ".yaml",
        waivers=waivers_yaml("active")
        .replace("control: STRATA-S3-002", "check: CKV_AWS_18")
        .replace("'test_waived.py::test_tls_legacy[*]'", "'aws_s3_bucket.*'"),
    )
    project.makepyfile(test_evidence=EVIDENCE_TESTS)
    assert run(project, xdist=xdist).ret == pytest.ExitCode.OK
    record = record_of(project)

    findings = {(f["check_id"], f["resource"]): f for f in record["findings"]}
    assert len(findings) == 6
    logs = findings[("CKV_AWS_18", "aws_s3_bucket.logs")]
    assert (logs["result"], logs["waiver"], logs["controls"], logs["layer"]) == (
        "waived",
        "W-001",
        ["STRATA-DDB-001"],
        "static",
    )
    assert findings[("CKV_AWS_21", "aws_s3_bucket.logs")]["result"] == "failed", "mapped to no control"
    ddb = {c["id"]: c for c in record["controls"]}["STRATA-DDB-001"]
    assert (ddb["status"], ddb["findings"], ddb["layers"], ddb["waivers"]) == (
        "waived",
        {"waived": 1},
        ["static"],
        ["W-001"],
    )
    (listed,) = record["waivers"]
    assert listed["applied_to"] == ["checkov:terraform:CKV_AWS_18:aws_s3_bucket.logs:tiny/main.tf"]
    assert record["summary"]["findings"] == {"passed": 2, "failed": 1, "skipped": 2, "waived": 1}

    evidence = {(e["kind"], e["name"]): e["sha256"] for e in record["evidence"]}
    assert len(record["evidence"]) == 2, "each artefact once, whichever process logged it"
    assert evidence[("plan", "terraform/envs/dev")] == hashlib.sha256(b"the dev plan").hexdigest()
    assert ("checkov-scan", "tiny") in evidence


# -- validate_items without a pytest session --------------------------------------------------------------


class FakeItem:
    """Just what validate_items reads from a pytest.Item."""

    def __init__(self, *marks: pytest.MarkDecorator) -> None:
        self.nodeid = "test_x.py::test_x"
        self.config = SimpleNamespace()  # no `workerinput`: not an xdist worker
        self.user_properties: list[tuple[str, object]] = [("owner", "platform")]
        self._marks = [m.mark for m in marks]

    def iter_markers(self, name: str | None = None) -> Any:
        return (m for m in self._marks if name is None or m.name == name)

    def iter_markers_with_node(self, name: str | None = None) -> Any:
        return ((self, m) for m in self.iter_markers(name))


CATALOGUE = Catalogue([Control(i, "t", "low", "r", "m", notes="n") for i in ("A-1", "A-2")])


def test_validate_items_records_properties_once() -> None:
    item = FakeItem(pytest.mark.control("A-1", "A-2"), pytest.mark.control("A-1"), pytest.mark.cluster)
    validate_items([item], CATALOGUE)  # type: ignore[list-item]
    validate_items([item], CATALOGUE)  # type: ignore[list-item]
    assert item.user_properties == [("owner", "platform"), ("layer", "cluster"), ("controls", "A-1,A-2")]


@pytest.mark.parametrize(
    ("marks", "message"),
    [
        ((pytest.mark.control(),), "needs at least one control id"),
        ((pytest.mark.control(1),), "control ids must be strings"),
        ((pytest.mark.control("A-3"),), "unknown control id 'A-3'"),
    ],
)
def test_validate_items_errors(marks: tuple[pytest.MarkDecorator, ...], message: str) -> None:
    with pytest.raises(pytest.UsageError, match=message) as info:
        validate_items([FakeItem(*marks)], CATALOGUE)  # type: ignore[list-item]
    assert str(info.value).startswith("test_x.py::test_x: ")


def test_command_line_is_redacted() -> None:
    line = command_line(["-k", "s3", "--db-password", "hunter2"])
    assert line == "pytest -k s3 --db-password [REDACTED]"


def test_conftest_source_is_valid_python() -> None:
    compile(textwrap.dedent(CONFTEST), "conftest.py", "exec")
