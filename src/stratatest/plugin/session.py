"""The run: its id and folders, the target's preflight before anything is created, interrupts and notices.

The controller (or the only process without xdist) decides the run id and the shared folder and passes them
to every worker. A real account's guard (`Target.preflight`) runs here, once, before any worker starts: a
refusal ends the run with one line and exit code 6, having created nothing.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from stratatest.errors import EXIT_ERROR, EXIT_REFUSED, SandboxRefused, StratatestError
from stratatest.plugin.options import check_region, region, selected_controls, selected_layers, target_spec


def pytest_configure(config: pytest.Config) -> None:
    """Decide the run id and run folder; in a repository that uses stratatest, start the run at once.

    A pytest run that never uses stratatest (no stratatest settings, option or environment variable) is left
    alone: nothing is claimed, created or installed until a test asks for a stratatest fixture (`activate`).
    """
    from stratatest.plugin.record import register_results
    from stratatest.runs import claim_run_id, new_run_id, unclaimed_run_id

    config.stratatest_settings = _settings(config)  # type: ignore[attr-defined]
    workerinput = getattr(config, "workerinput", None)
    if workerinput:
        config.stratatest_run_id = workerinput["stratatest_run_id"]  # type: ignore[attr-defined]
        config.stratatest_shared = Path(workerinput["stratatest_shared"])  # type: ignore[attr-defined]
        eager = bool(workerinput["stratatest_eager"])
    else:
        selected_layers(config)  # usage errors first: a run that cannot start claims nothing
        check_region(config)
        eager = _in_use(config)
        chosen = config.getoption("run_id")
        try:
            run_id = claim_run_id(chosen) if chosen else new_run_id() if eager else unclaimed_run_id()
        except StratatestError as err:
            raise pytest.UsageError(f"--run-id: {err}") from None
        config.stratatest_run_id = run_id  # type: ignore[attr-defined]
        config.stratatest_shared = Path(  # type: ignore[attr-defined]
            tempfile.mkdtemp(prefix=f"stratatest-{run_id}-") if eager else _folder_for(run_id)
        )
    config.stratatest_eager = eager  # type: ignore[attr-defined]
    config.stratatest_apply_layer = _apply_layer(config)  # type: ignore[attr-defined]
    if eager:
        activate(config)
        register_results(config, _checked_target(config))
        selected_controls(config, config.stratatest_catalogue)  # type: ignore[attr-defined]  # likewise --control
    else:
        register_results(config, None)


def _settings(config: pytest.Config) -> Any:
    from stratatest import settings

    try:
        return settings.read(Path(config.rootpath), Path(config.inipath) if config.inipath else None)
    except StratatestError as err:
        raise pytest.UsageError(str(err)) from None


#: Options that say a run is a stratatest run, whatever the repository's settings.
_OPTIONS = ("target", "region", "layer", "control", "run_id", "results", "catalogue", "waivers", "changed_since",
            "previous_release")  # fmt: skip
#: Environment variables that do the same.
_ENV = ("STRATATEST_TARGET", "STRATATEST_CATALOGUE")


def _in_use(config: pytest.Config) -> bool:
    """The repository has stratatest settings or a catalogue, or the command line or environment names stratatest."""
    found = config.stratatest_settings  # type: ignore[attr-defined]
    return (
        found.source is not None
        or found.catalogue is not None
        or any(config.getoption(name) for name in _OPTIONS)
        or any(os.environ.get(name) for name in _ENV)
    )


def _folder_for(run_id: str) -> Path:
    """The run folder's name, decided now (workers are told it) and created by the first process that needs it."""
    return Path(tempfile.gettempdir()) / f"stratatest-{run_id}-{os.getpid()}"


def _apply_layer(config: pytest.Config) -> str:
    from stratatest.targets import target_class

    try:
        return target_class(target_spec(config)).layer
    except StratatestError as err:
        raise pytest.UsageError(f"--target: {err}") from None


def activate(config: pytest.Config) -> Path:
    """Start the run in this process (once): its folder, interrupt handling, the exit guard and notices.

    At configure time in a repository that uses stratatest; otherwise when a test first asks for a stratatest
    fixture. Returns the run folder.
    """
    from stratatest import interrupts
    from stratatest.notices import notice, set_notifier
    from stratatest.terraform.stack import install_guards

    shared: Path = config.stratatest_shared  # type: ignore[attr-defined]
    if getattr(config, "stratatest_active", False):
        return shared
    config.stratatest_active = True  # type: ignore[attr-defined]
    shared.mkdir(parents=True, exist_ok=True)
    if hasattr(config, "workerinput"):
        interrupts.register_worker(shared)
        interrupts.install(shared=shared, say=None)
        # Nobody sees a worker's output: its notices reach the controller's summary through a file.
        set_notifier(lambda text: _append_notice(shared, text))
    else:
        (shared / "pid").write_text(str(os.getpid()))
        run_id: str = config.stratatest_run_id  # type: ignore[attr-defined]
        interrupts.install(  # with xdist workers, the interrupt is passed on to them (none: it stops this process)
            shared=shared,
            say=notice,
            forward=lambda: interrupts.worker_pids(shared),
            cleanup_hint=f", and `stratatest cleanup {run_id}` finishes it later",
        )
        set_notifier(lambda text: _write_past_capture(config, text))
    install_guards()
    return shared


def _checked_target(config: pytest.Config) -> Any:
    """The run's target, built (not started) so its options are checked now; its guard runs on the controller."""
    from stratatest.targets import make_target

    shared: Path = config.stratatest_shared  # type: ignore[attr-defined]
    try:
        target = make_target(
            target_spec(config), workdir=shared, region=region(config), run_id=config.stratatest_run_id
        )  # type: ignore[attr-defined]
    except StratatestError as err:
        raise pytest.UsageError(f"--target: {err}") from None
    if not hasattr(config, "workerinput"):
        try:
            target.preflight()
        except SandboxRefused as err:
            pytest.exit(f"stratatest: refused: {err}", returncode=EXIT_REFUSED)
        except StratatestError as err:
            pytest.exit(f"stratatest: {err}", returncode=EXIT_ERROR)
    return target


def _write_past_capture(config: pytest.Config, text: str) -> None:
    """Harness notices (interrupts, kept state) must reach the terminal even while output is captured."""
    capture = config.pluginmanager.getplugin("capturemanager")
    reporter = config.pluginmanager.getplugin("terminalreporter")
    if capture is None or reporter is None:
        print(text, file=sys.stderr, flush=True)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(text)


WORKER_NOTICES = "worker-notices"


def _append_notice(shared: Path, text: str) -> None:
    with (shared / WORKER_NOTICES).open("a", encoding="utf-8") as out:  # one short append: lines do not mix
        out.write(text.removeprefix("stratatest: ").replace("\n", " ") + "\n")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from stratatest.notices import NOTICES

    shared: Path | None = getattr(terminalreporter.config, "stratatest_shared", None)
    relayed = []
    if shared is not None and (shared / WORKER_NOTICES).exists():
        relayed = (shared / WORKER_NOTICES).read_text(encoding="utf-8").splitlines()
    if NOTICES or relayed:
        terminalreporter.section("stratatest notices")
        for text in [*NOTICES, *relayed]:
            terminalreporter.write_line(text)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker shares the controller's run id and run folder."""
    node.workerinput["stratatest_run_id"] = node.config.stratatest_run_id
    node.workerinput["stratatest_shared"] = str(node.config.stratatest_shared)
    node.workerinput["stratatest_eager"] = node.config.stratatest_eager


def sweep_command(spec: str, region: str, run_id: str) -> str:
    return f"stratatest sweep --target {spec} --region {region} --run {run_id} --yes"


def check_nothing_left(tgt: Any, run_id: str, shared: Path | None = None) -> list[Any]:
    """At the end of the run every resource tagged with the run id must be gone; returns (and tells) what is not.

    Listed as a sweep lists them (`targets.sweep`): the tagging API plus what it does not return (IAM roles and
    OIDC providers, elastic IPs, launch templates), in the target's region and every other one the run's provider
    blocks used (aliases): those this process noted on the target, and those in the run folder `shared` when
    given. Each region's leak is named with the `stratatest sweep` command that removes it.
    """
    from stratatest.notices import notice
    from stratatest.targets.leftovers import regions_used
    from stratatest.targets.sweep import sweep

    found = sweep(tgt, run_id=run_id, expired=False, regions=regions_used(tgt, shared))
    if found:
        what = f"run {run_id} left {len(found)} resource(s) in {tgt.name}: {', '.join(c.arn for c in found)}"
        if not tgt.outlives_run:  # a sweep could not reach it afterwards; the leak is a test's to fix
            notice(f"{what}; they end with the {tgt.name} target, but on a real account they would stay")
            return found
        commands = " and ".join(sweep_command(tgt.spec, r, run_id) for r in dict.fromkeys(c.region for c in found))
        notice(f"{what}; remove them with: {commands}")
    return found


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_setupnodes(config: pytest.Config, specs: list[Any]) -> None:
    """pytest-xdist, on the controller before any worker starts: every worker starts the target on its own, which a
    target may not allow (one embedded server on a fixed port). The options conflict: a usage error, one line
    (`pytest.exit` here would print its message twice, as an exit and as an interruption)."""
    from stratatest.targets import make_target

    if not config.stratatest_eager:  # type: ignore[attr-defined]
        return
    shared: Path = config.stratatest_shared  # type: ignore[attr-defined]
    run_id: str = config.stratatest_run_id  # type: ignore[attr-defined]
    try:
        make_target(target_spec(config), workdir=shared, region=region(config), run_id=run_id).check_processes(
            len(specs)
        )
    except StratatestError as err:
        raise pytest.UsageError(f"--target: {err}") from None


@pytest.hookimpl(tryfirst=True)  # before the record is written, so a leak fails the run it is recorded in
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from stratatest.compliance.collector import TARGET_FACTS_FILE

    config = session.config
    if _worker_usage_error(config):
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
    shared: Path | None = getattr(config, "stratatest_shared", None)
    if _xdist_controller(config) and shared is not None and (shared / TARGET_FACTS_FILE).exists():  # a worker used it
        _check_shared_target(session)
    config.stratatest_failed = session.exitstatus not in (0, 5)  # type: ignore[attr-defined]


def _worker_usage_error(config: pytest.Config) -> bool:
    """Under xdist a worker's usage error (an unknown control id) stops the run as an interruption; the reason the
    controller stopped for says it was one."""
    from stratatest.compliance.collector import USAGE_ERROR_PREFIX

    dsession = config.pluginmanager.getplugin("dsession") if not hasattr(config, "workerinput") else None
    return USAGE_ERROR_PREFIX in str(getattr(dsession, "shouldstop", "") or "")


def _xdist_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput") and config.pluginmanager.getplugin("dsession") is not None


def _check_shared_target(session: pytest.Session) -> None:
    """The workers shared a target that outlives them: now that all are done, look for what the run left."""
    from stratatest.notices import notice
    from stratatest.targets import make_target

    config = session.config
    shared: Path = config.stratatest_shared  # type: ignore[attr-defined]
    run_id: str = config.stratatest_run_id  # type: ignore[attr-defined]
    try:
        target = make_target(target_spec(config), workdir=shared, region=region(config), run_id=run_id)
        if not target.outlives_run:
            return
        with target:
            leftovers = check_nothing_left(target, run_id, shared)
            if leftovers:  # for the record: each with the command that removes it
                config.stratatest_leftovers = [  # type: ignore[attr-defined]
                    (c.arn, f"{target.spec} {c.region}", sweep_command(target.spec, c.region, run_id))
                    for c in leftovers
                ]
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
    except StratatestError as err:
        notice(f"could not check what run {run_id} left on {target_spec(config)}: {err}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    """The run folder goes, unless the run failed after starting a target: then its logs (the emulator's
    requests and answers, its server log) are what explains the failure, so it is kept and named."""
    if hasattr(config, "workerinput") or not hasattr(config, "stratatest_shared"):
        return
    from stratatest.runs import release_run_id

    release_run_id(config.stratatest_run_id)  # type: ignore[attr-defined]
    shared: Path = config.stratatest_shared  # type: ignore[attr-defined]
    if getattr(config, "stratatest_failed", False) and any(shared.glob("target-*")):
        from stratatest.notices import notice

        notice(f"the run failed; its folder is kept for the logs: {shared}")
        return
    shutil.rmtree(shared, ignore_errors=True)
