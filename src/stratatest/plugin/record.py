"""The results record: registered once per process, written by the controller; each report shaped first.

Shaping happens in the process that ran the test, before anything prints or records the report: a
StratatestError becomes its one line, a failure an active waiver covers becomes an expected failure naming
the waiver, and known secrets are masked in the failure text and captured output.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from stratatest.errors import NotAssessable, StratatestError
from stratatest.paths import file_from_env


def register_results(config: pytest.Config, target: Any) -> None:
    """The catalogue, the waivers and, when there is a record to write, the collector that writes it.

    The catalogue is optional: `--catalogue`, $STRATATEST_CATALOGUE, the repository's settings, or
    controls/catalogue.yaml at its root; without one no test may carry a control mark. `target` is None for a run
    that does not use stratatest: no catalogue, no record, no tool probing (the fixtures still work).
    """
    from stratatest.compliance.catalogue import CATALOGUE_ENV, Catalogue, load_catalogue
    from stratatest.compliance.waivers import Waivers, default_waivers_path, load_waivers

    found = config.stratatest_settings  # type: ignore[attr-defined]
    config.stratatest_catalogue = Catalogue([])  # type: ignore[attr-defined]
    config.stratatest_waivers = Waivers([], [])  # type: ignore[attr-defined]
    if target is None:
        return
    try:  # the command line, then the environment, then the repository's settings
        path = config.getoption("catalogue") or file_from_env(CATALOGUE_ENV) or found.catalogue
        catalogue = load_catalogue(Path(path)) if path else Catalogue([])
        waivers_path = config.getoption("waivers") or default_waivers_path(catalogue, found.waivers)
        waivers = load_waivers(Path(waivers_path) if waivers_path else None, catalogue)
    except StratatestError as err:
        raise pytest.UsageError(str(err)) from None
    config.stratatest_catalogue = catalogue  # type: ignore[attr-defined]
    config.stratatest_waivers = waivers  # type: ignore[attr-defined]
    results = config.getoption("results")
    if not path and not results:
        return  # nothing to record against, and nowhere asked to write it
    from stratatest.compliance.collector import ResultsCollector

    controller = not hasattr(config, "workerinput")  # only the controller writes the record
    facts = {k: v for k, v in target.describe().items() if v is not None} if controller else {}
    collector = ResultsCollector(
        config,
        catalogue,
        run_id=config.stratatest_run_id,  # type: ignore[attr-defined]
        target=facts,
        tool_versions=tool_versions() if controller else {},
        results_path=Path(results) if results else None,
        shared_dir=config.stratatest_shared,  # type: ignore[attr-defined]
        waivers=waivers,
    )
    config.pluginmanager.register(collector, "stratatest-results")


@cache
def tool_versions() -> dict[str, str]:
    """The versions of what judged the run (recorded; part of the results cache's key), probed once."""
    import importlib.metadata as md

    from stratatest.toolchain import find_helm, find_mirror, find_prometheus_tools, find_terraform

    # The target's own version is in the target facts, from the target itself.
    packages = ("stratatest", "pytest", "boto3", "tftest", "checkov", "compliance-trestle", "py-ocsf-models")
    versions = {pkg: md.version(pkg) for pkg in packages}
    versions["terraform"] = find_terraform().version or "missing"
    try:
        versions["aws provider"] = ", ".join(find_mirror()[1]) or "from the registry"
    except StratatestError:
        versions["aws provider"] = "missing"
    for tool in (find_helm(), *find_prometheus_tools()):
        found = re.search(r"\d+\.\d+[\w.+-]*", tool.version or "")  # "promtool, version 2.42.0+ds (branch…"
        versions[tool.name] = found.group(0) if found else tool.version or "not found"
    return versions


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """Shape each report before anything prints or records it, in the process that ran the test.

    A StratatestError is the user's to act on: its one line, not a traceback. A failure that an active waiver
    covers becomes an expected failure naming the waiver (the collector records it as "waived"). Known secrets
    and secret-looking text are masked in the test's id, the failure and captured output: this is what the
    terminal, JUnit and the results record all read.
    """
    from stratatest.compliance.collector import WAIVER_PROPERTY, item_controls
    from stratatest.secrets import redact

    report = yield
    _mask_test_id(item, report)
    if call.excinfo is not None and isinstance(call.excinfo.value, NotAssessable):
        # The target cannot serve what the test needs (a service, a plain-HTTP endpoint): not assessed, not failed.
        report.outcome = "skipped"
        report.longrepr = (str(item.path), (item.location[1] or 0) + 1, f"not assessed: {call.excinfo.value}")
        return report
    if call.excinfo is not None and (errors := _stratatest_errors(call.excinfo.value)):
        report.longrepr = "\n".join(f"{type(err).__name__}: {err}" for err in errors)
    if report.failed:
        text = str(report.longrepr)
        if redact(text) != text:
            report.longrepr = redact(text)
    report.sections = [(title, redact(content)) for title, content in report.sections]  # `-rA` prints passes' too
    waivers = getattr(item.config, "stratatest_waivers", None)
    if report.failed and report.when == "call" and waivers is not None:
        waiver = waivers.for_test(item.nodeid, item_controls(item))
        if waiver is not None:
            report.outcome = "skipped"
            report.wasxfail = waiver.summary
            report.user_properties.append((WAIVER_PROPERTY, waiver.id))
    return report


def _stratatest_errors(exc: BaseException) -> list[StratatestError]:
    """The StratatestErrors `exc` is made of, in the order they were raised: itself, or every leaf of an exception
    group (pytest raises one when several teardown finalizers fail, e.g. a failed destroy and the leak check after
    it); empty when anything else is in it, which keeps its traceback."""
    if isinstance(exc, StratatestError):
        return [exc]
    if not isinstance(exc, BaseExceptionGroup):
        return []
    leaves = [_stratatest_errors(inner) for inner in exc.exceptions]
    if not all(leaves):
        return []
    return [err for group in reversed(leaves) for err in group]  # pytest lists a group's errors last-raised first


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """A value of a secret-named argument (`db_password`) never becomes part of a test id: the id is the argument's
    name (pytest numbers repeats: db_password0, db_password1). `_mask_test_id` registers the value itself."""
    from stratatest.secrets import is_secret_name

    return argname if is_secret_name(argname) else None


def _mask_test_id(item: pytest.Item, report: pytest.TestReport) -> None:
    """Mask secrets in the report's test id, where the test's process knows them; under pytest-xdist only the report
    crosses to the controller.

    A secret-named argument's value is registered first, whatever its id came from (an explicit `ids=` too). The
    item's own nodeid is masked with the report's: xdist's worker checks that they are equal.
    """
    from stratatest.secrets import is_secret_name, register_secret

    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        register_secret([value for name, value in callspec.params.items() if is_secret_name(name)])
    nodeid = _masked_id(item, item.nodeid)
    if nodeid != item.nodeid:
        item._nodeid = nodeid  # type: ignore[attr-defined]
    report.nodeid = nodeid
    path, line, domain = report.location
    report.location = (path, line, _masked_id(item, domain))


def _masked_id(item: pytest.Item, text: str) -> str:
    """`text` redacted; when that masked a parameter id, the parameter indices keep two such tests apart (two
    different secrets would otherwise give one id, and their results would merge)."""
    from stratatest.secrets import redact

    masked = redact(text)
    callspec = getattr(item, "callspec", None)
    if masked == text or callspec is None or not masked.endswith("]"):
        return masked
    return f"{masked[:-1]}#{'-'.join(map(str, callspec.indices.values()))}]"
