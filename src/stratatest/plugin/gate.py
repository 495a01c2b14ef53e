"""The gate in a pytest run: `--changed-since REF` runs only the tests a change touches, and the results cache
reuses a test that passed on the same inputs (`--no-reuse` turns it off). Both are recorded: each selected test
with the reason, each reused one as *reused from run X*, and the terminal says how many of each."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from stratatest.errors import StratatestError
from stratatest.gate.cache import Digests, Entry, ResultsCache, context_key, default_folder, item_key
from stratatest.gate.decisions import Decisions, Reused
from stratatest.gate.inputs import INPUTS_MARKER, InputMap
from stratatest.gate.selection import change, global_inputs, reason
from stratatest.plugin.options import previous_release_ref, region, target_spec
from stratatest.shared import uses

#: `STRATATEST_REUSE=off` turns the cache off for every run of an environment (a CI job, a test's inner runs).
REUSE_ENV = "STRATATEST_REUSE"
#: Layers whose passes may be reused: what they judge is all in the repository and the emulator.
REUSABLE_LAYERS = ("static", "plan", "emulator")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stratatest")
    group.addoption(
        "--changed-since",
        default=None,
        metavar="REF",
        help="run only the tests whose inputs changed since the merge base of REF and HEAD (committed, staged, "
        "unstaged and untracked changes); a change to stratatest, the settings, the catalogue or the waivers runs all",
    )
    group.addoption(
        "--no-reuse",
        action="store_true",
        help="run every selected test, even one that passed on the same inputs before (the results cache is on "
        f"by default on emulator targets; ${REUSE_ENV}=off turns it off too)",
    )
    group.addoption(
        "--results-cache",
        default=None,
        metavar="DIR",
        help="the results cache's folder (default: $STRATATEST_RESULTS_CACHE, else results/ in the cache folder)",
    )


@pytest.hookimpl(trylast=True)  # after the session's: the settings are read
def pytest_configure(config: pytest.Config) -> None:
    """The marker; and a `--changed-since` ref that names no commit is a usage error before any worker starts."""
    from stratatest import git

    config.addinivalue_line(
        "markers", f"{INPUTS_MARKER}(*paths): files or folders the test reads that its file does not name"
    )
    ref = config.getoption("changed_since")
    if ref and not hasattr(config, "workerinput"):
        try:
            git.resolve(Path(config.stratatest_settings.root), ref)  # type: ignore[attr-defined]
        except StratatestError as err:
            raise pytest.UsageError(f"--changed-since: {err}") from None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker keys the cache with the controller's context (tool versions probed once)."""
    node.workerinput["stratatest_gate_context"] = _context(node.config)


@pytest.hookimpl(trylast=True)  # after the layer and control filters: the gate sees what the run would run
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not getattr(config, "stratatest_eager", False) or not items:
        return
    from stratatest.compliance.collector import item_controls
    from stratatest.layers import item_layer

    settings = config.stratatest_settings  # type: ignore[attr-defined]
    apply_layer: str = config.stratatest_apply_layer  # type: ignore[attr-defined]
    root = Path(settings.root).resolve()
    inputs = InputMap(settings)
    inputs_of = {id(item): _item_inputs(inputs, item) for item in items}
    decisions = Decisions(cache=_cache_state(config, apply_layer))
    keep = list(items)
    ref = config.getoption("changed_since")
    if ref:
        keep = _select(config, keep, inputs_of, root, decisions, ref)
    if decisions.cache == "on":
        cache = ResultsCache(_cache_folder(config))
        digests = Digests()
        context = _context(config)
        reused = []
        for item in keep:
            layer = item_layer(item, apply_layer)
            if layer not in REUSABLE_LAYERS:
                continue
            key = item_key(item.nodeid, inputs_of[id(item)], root, digests, context)
            decisions.keys[item.nodeid] = key
            entry = cache.get(key, item.nodeid)
            if entry is not None and cache.restore_files(config.stratatest_shared, entry.files):  # type: ignore[attr-defined]
                name = item.nodeid.rsplit("::", 1)[-1]
                controls = item_controls(item)
                reused.append(Reused(item.nodeid, name, layer, controls, entry.run_id, entry.started, entry.duration))
        decisions.reused = reused
        gone = {r.nodeid for r in reused}
        keep = [item for item in keep if item.nodeid not in gone]
    if len(keep) < len(items):
        kept = set(map(id, keep))
        config.hook.pytest_deselected(items=[item for item in items if id(item) not in kept])
        items[:] = keep
    decisions.write(config.stratatest_shared)  # type: ignore[attr-defined]


def _select(
    config: pytest.Config,
    items: list[pytest.Item],
    inputs_of: dict[int, dict[Path, str]],
    root: Path,
    decisions: Decisions,
    ref: str,
) -> list[pytest.Item]:
    from stratatest import git
    from stratatest.compliance.catalogue import Catalogue

    settings = config.stratatest_settings  # type: ignore[attr-defined]
    catalogue: Catalogue = config.stratatest_catalogue  # type: ignore[attr-defined]
    waivers = config.stratatest_waivers  # type: ignore[attr-defined]
    try:
        base, files = git.changed_files(root, ref)
    except StratatestError as err:
        raise pytest.UsageError(f"--changed-since: {err}") from None
    named = {
        "the stratatest settings": settings.source,
        "the controls catalogue": getattr(catalogue, "path", None),
        "the waivers": getattr(waivers, "path", None),
    }
    import stratatest

    globals_ = global_inputs(root, named, Path(stratatest.__file__).parent)
    touched = change(root, ref, base, files, globals_)
    decisions.changed_since, decisions.base, decisions.changed = ref, base, list(files)
    keep = []
    for item in items:
        why = reason(inputs_of[id(item)], touched, root)
        if why is not None:
            decisions.selected[item.nodeid] = why
            keep.append(item)
    decisions.not_selected = len(items) - len(keep)
    return keep


def _item_inputs(inputs: InputMap, item: pytest.Item) -> dict[Path, str]:
    marked = [str(arg) for marker in item.iter_markers(INPUTS_MARKER) for arg in marker.args]
    callspec = getattr(item, "callspec", None)
    params = list(callspec.params.values()) if callspec is not None else []
    return inputs.inputs(Path(item.path), getattr(item, "fixturenames", ()), marked, params)


def _cache_state(config: pytest.Config, apply_layer: str) -> str:
    import os

    if config.getoption("no_reuse"):
        return "off: --no-reuse"
    if os.environ.get(REUSE_ENV, "on").lower() in ("off", "0", "no", "false"):
        return f"off: {REUSE_ENV}={os.environ[REUSE_ENV]}"
    if config.option.collectonly:  # a listing shows what the run selects; the cache only decides what it runs
        return "off: --collect-only"
    if apply_layer != "emulator":
        return f"off: the target is at the {apply_layer} layer, whose results a later run must see for itself"
    return "on"


def _cache_folder(config: pytest.Config) -> Path:
    chosen = config.getoption("results_cache")
    return Path(chosen) if chosen else default_folder()


def _context(config: pytest.Config) -> str:
    """The cache context (stratatest, tools, target, region): from the controller, or computed here once."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput and "stratatest_gate_context" in workerinput:
        return str(workerinput["stratatest_gate_context"])
    cached = getattr(config, "stratatest_gate_context", None)
    if cached:
        return str(cached)
    import stratatest
    from stratatest.plugin.record import tool_versions
    from stratatest.targets import make_target

    shared: Path = config.stratatest_shared  # type: ignore[attr-defined]
    target = make_target(target_spec(config), workdir=shared, region=region(config), run_id="gate")
    facts = {
        "target": target.describe(),
        "region": region(config),
        "tools": tool_versions(),
        "previous release": _previous_release_commit(config),
    }
    package = [p for p in Path(stratatest.__file__).parent.rglob("*.py") if "__pycache__" not in p.parts]
    context = context_key(package, Digests(), facts)
    config.stratatest_gate_context = context  # type: ignore[attr-defined]
    return context


def _previous_release_commit(config: pytest.Config) -> str | None:
    """The commit upgrade tests start from: part of every key, so `--previous-release` can never reuse another's."""
    from stratatest import git

    root = Path(config.stratatest_settings.root)  # type: ignore[attr-defined]
    try:
        return git.resolve(root, previous_release_ref(config, root))
    except StratatestError:  # no git, no tag: the upgrade tests say so themselves
        return None


class _Passes:
    """The controller's tally of each test's phases: a test is a pass when every phase passed."""

    def __init__(self) -> None:
        self.outcomes: dict[str, set[str]] = {}
        self.started: dict[str, str] = {}
        self.duration: Counter[str] = Counter()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        from stratatest.compliance.results import iso_from_timestamp

        self.outcomes.setdefault(report.nodeid, set()).add(report.outcome)
        if report.nodeid not in self.started and getattr(report, "start", None):
            self.started[report.nodeid] = iso_from_timestamp(report.start)
        self.duration[report.nodeid] += report.duration or 0.0


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):
        session.config.pluginmanager.register(_Passes(), "stratatest-gate-passes")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Keep this run's passes in the cache; a run the gate emptied is not a run that found no tests."""
    from stratatest import interrupts

    config = session.config
    decisions = _controller_decisions(config)
    if decisions is None:
        return
    if session.exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and (decisions.reused or decisions.not_selected):
        session.exitstatus = pytest.ExitCode.OK
    passes = config.pluginmanager.get_plugin("stratatest-gate-passes")
    if decisions.cache != "on" or passes is None or interrupts.reason() or session.shouldstop:
        return
    cache = ResultsCache(_cache_folder(config))
    try:
        _keep_passes(cache, passes, decisions, config)
    except OSError as err:  # the run's own results stand; only their reuse by a later run is lost
        from stratatest.notices import notice

        where = f"{err.filename}: " if err.filename else ""
        notice(
            f"the results cache {cache.folder} could not be written ({where}{err.strerror or err}): this run's "
            "passes will not be reused; give a folder that can be with --results-cache or STRATATEST_RESULTS_CACHE"
        )


def _keep_passes(cache: ResultsCache, passes: _Passes, decisions: Decisions, config: pytest.Config) -> None:
    """Every test that passed all its phases, under the key it was collected with, with the files it used."""
    run_id: str = config.stratatest_run_id  # type: ignore[attr-defined]
    shared: Path = config.stratatest_shared  # type: ignore[attr-defined]
    used = uses(shared)
    for nodeid, outcomes in passes.outcomes.items():
        key = decisions.keys.get(nodeid)
        if key is not None and outcomes == {"passed"}:
            duration = round(passes.duration[nodeid], 6)
            files = cache.keep_files(shared, used.get(nodeid, set()))
            cache.put(key, Entry(run_id, nodeid, passes.started.get(nodeid), duration, files))
    cache.prune()


def _controller_decisions(config: pytest.Config) -> Decisions | None:
    """What the gate decided, read where the run ends (the controller, or the only process)."""
    if hasattr(config, "workerinput"):
        return None
    return Decisions.read(getattr(config, "stratatest_shared", None))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    decisions = _controller_decisions(terminalreporter.config)
    if decisions is None:
        return
    for line in summary_lines(decisions):
        terminalreporter.write_line(f"stratatest: {line}")


def summary_lines(decisions: Decisions) -> list[str]:
    """What the gate did, in the words the terminal and the run summary share."""
    lines = []
    if decisions.changed_since:
        total = len(decisions.selected) + decisions.not_selected
        lines.append(
            f"changed since {decisions.changed_since} (merge base {(decisions.base or '?')[:12]}): "
            f"{len(decisions.changed)} file(s) changed, {len(decisions.selected)} of {total} tests selected"
        )
    if decisions.reused:
        runs = Counter(r.run_id for r in decisions.reused)
        which = ", ".join(f"run {run} ({n})" for run, n in runs.most_common(3))
        more = f" and {len(runs) - 3} more runs" if len(runs) > 3 else ""
        lines.append(
            f"{len(decisions.reused)} test(s) reused from earlier passing runs on the same inputs: {which}{more}; "
            "--no-reuse runs them"
        )
    return lines
