"""Collects `stratatest.yaml` case files (`terraform/casefile.py`): one test per case, no Python needed.

A case file is collected as a module with nothing to import, so module-scoped fixtures work as for a Python test
file (`stacks` destroys a file's applied cases when its last case is done) and `--dist loadscope` keeps a file's
cases on one worker. Each case is a `pytest.Function` over one of the bodies below, carrying its layer and control
markers like a decorated test: `--layer`, `--control`, waivers and the results record treat it the same. A file
with another name is never collected, so the plugin does nothing in a project without case files.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stratatest.errors import ConfigError
from stratatest.paths import display_path
from stratatest.terraform import casefile, inventory
from stratatest.terraform.casefile import Case


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name == casefile.FILE_NAME:
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.Module):
    """One `stratatest.yaml`; a mistake in it is one line, reported as this file's collection error."""

    def _getobj(self) -> types.ModuleType:
        return types.ModuleType(display_path(self.path))

    def collect(self) -> Iterator[pytest.Item]:
        try:
            cases = casefile.load(self.path)
        except ConfigError as err:
            raise self.CollectError(str(err)) from None
        for case in cases:
            yield CaseItem.from_parent(self, name=case.name, callobj=_marked(_body(case), case), case=case)


class CaseItem(pytest.Function):
    """A case: located at its line in the case file, so reports point there rather than at this module."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, f"{self.path.parent.name}: {self.case.name}"

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:
        """A case's assertion (an inventory's differences, a plan after apply) is the whole story: no traceback
        through the plugin's code, which the case file's author never wrote."""
        if isinstance(excinfo.value, AssertionError) and not self.config.getoption("fulltrace", False):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


def _marked(body: Callable[..., None], case: Case) -> Callable[..., None]:
    marked = getattr(pytest.mark, case.layer)(body)
    return pytest.mark.control(*case.controls)(marked) if case.controls else marked


def _body(case: Case) -> Callable[..., None]:
    """The test of one case; its parameters are the fixtures it uses."""
    if case.rejects is not None:
        expected = case.rejects

        def rejects(harness: Any) -> None:
            rejected = harness.rejected_variables(case.module, case.variables)
            missed, extra = sorted(expected - rejected), sorted(rejected - expected)
            if missed or extra:
                pytest.fail(
                    f"terraform's validation should reject exactly {sorted(expected)}"
                    + (f"; not rejected: {missed}" if missed else "")
                    + (f"; rejected as well: {extra}" if extra else ""),
                    pytrace=False,
                )

        return rejects
    if case.layer == "apply":

        def apply(stacks: Any) -> None:
            stacks(case.module, **case.variables).assert_idempotent()  # destroyed when the file's cases are done

        return apply

    def plan(harness: Any) -> None:
        planned = harness.plan(case.module, case.variables)  # as plan_of: once per run, shared with Python tests
        if case.inventory is not None:
            inventory.assert_matches(planned, Path(display_path(case.inventory)), Path(display_path(case.module)))

    return plan
