"""Several teardown finalizers that fail with StratatestError are several one-line errors, not a traceback.

pytest raises an exception group when more than one finalizer fails (nested when one fixture has several); the
report shows each StratatestError as its line, in the order they were raised. A group holding anything else is a
bug somewhere and keeps its traceback.
"""

from __future__ import annotations

import pytest

TIMEOUT = 120

FIXTURES = """
import pytest

from stratatest.errors import StratatestError, TerraformFailed


@pytest.fixture(scope="module")
def first():
    yield
    raise TerraformFailed("terraform destroy failed in first: Error: BucketNotEmpty")


@pytest.fixture
def second(request):
    request.addfinalizer(lambda: (_ for _ in ()).throw(StratatestError("second, finalizer one")))
    request.addfinalizer(lambda: (_ for _ in ()).throw(StratatestError("second, finalizer two")))


@pytest.fixture
def broken():
    yield
    raise RuntimeError("a bug, not the user's to act on")
"""


def test_each_error_is_one_line_in_the_order_raised(project: pytest.Pytester) -> None:
    project.makeconftest(FIXTURES)
    project.makepyfile(test_teardown="def test_both(first, second):\n    pass\n")
    result = project.runpytest_subprocess(timeout=TIMEOUT)
    result.assert_outcomes(passed=1, errors=1)
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output and "ExceptionGroup" not in output, output
    lines = result.stdout.lines
    start = lines.index("StratatestError: second, finalizer two")
    assert lines[start : start + 3] == [
        "StratatestError: second, finalizer two",  # the last finalizer added runs first
        "StratatestError: second, finalizer one",
        "TerraformFailed: terraform destroy failed in first: Error: BucketNotEmpty",  # the module's, after the test's
    ], output


def test_a_group_with_another_error_keeps_its_traceback(project: pytest.Pytester) -> None:
    project.makeconftest(FIXTURES)
    project.makepyfile(test_teardown="def test_mixed(first, broken):\n    pass\n")
    result = project.runpytest_subprocess(timeout=TIMEOUT)
    result.assert_outcomes(passed=1, errors=1)
    output = result.stdout.str()
    assert "ExceptionGroup" in output and "RuntimeError: a bug, not the user's to act on" in output, output
