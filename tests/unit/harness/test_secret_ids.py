"""A secret used as a parametrized test's value or id never reaches the console, JUnit or the results record.

Run through pytest-xdist in a pytester subprocess: the worker masks the report (only reports cross to the
controller) and must keep running with a masked nodeid; two tests whose ids mask alike stay two results.
"""

from __future__ import annotations

import json

import pytest

TIMEOUT = 300
BY_NAME = ("Arg-Secret-One-4c1", "Arg-Secret-Two-9d7")
REGISTERED = ("Registered-Id-A-77e", "Registered-Id-B-31f")

TESTS = f"""
import pytest
from stratatest.secrets import register_secret


@pytest.fixture
def registered():
    register_secret({list(REGISTERED)!r})  # as the harness does when it plans with a secret


@pytest.mark.parametrize("db_password", {list(BY_NAME)!r})
def test_by_name(db_password):
    print("using", db_password)
    assert db_password.startswith("Arg-Secret-One")


@pytest.mark.parametrize("label", ["a", "b"], ids={list(REGISTERED)!r})
def test_explicit_id(registered, label):
    assert label == "a"
"""


def test_secret_ids_are_masked_and_xdist_keeps_running(project: pytest.Pytester) -> None:
    project.makepyfile(test_ids=TESTS)
    results, junit = project.path / "results.json", project.path / "junit.xml"
    run = project.runpytest_subprocess("-n", "2", "-rA", f"--results={results}", f"--junitxml={junit}", timeout=TIMEOUT)
    console = run.stdout.str() + run.stderr.str()
    run.assert_outcomes(passed=2, failed=2)
    record = json.loads(results.read_text())
    ids = sorted(r["nodeid"] for r in record["results"])
    assert ids == [
        "test_ids.py::test_by_name[db_password0]",
        "test_ids.py::test_by_name[db_password1]",
        "test_ids.py::test_explicit_id[[REDACTED]#0]",
        "test_ids.py::test_explicit_id[[REDACTED]#1]",
    ], console
    outcomes = {r["nodeid"]: r["outcome"] for r in record["results"]}
    assert outcomes["test_ids.py::test_explicit_id[[REDACTED]#0]"] == "passed"
    assert outcomes["test_ids.py::test_explicit_id[[REDACTED]#1]"] == "failed"
    assert "using [REDACTED]" in console  # the failing test's captured output, masked, still there
    for secret in (*BY_NAME, *REGISTERED):
        for where, text in (("console", console), ("record", results.read_text()), ("junit", junit.read_text())):
            assert secret not in text, f"{secret!r} leaked to the {where}"


def test_a_secret_named_argument_gets_a_neutral_id(project: pytest.Pytester) -> None:
    project.makepyfile(test_ids=TESTS)
    collected = project.runpytest_subprocess("--collect-only", "-q", "-k", "by_name", timeout=TIMEOUT).stdout.str()
    assert "test_ids.py::test_by_name[db_password0]" in collected
    assert "test_ids.py::test_by_name[db_password1]" in collected
    assert BY_NAME[0] not in collected and BY_NAME[1] not in collected
