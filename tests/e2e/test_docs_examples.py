"""Every fenced code block of README.md and docs/*.md is run or checked for real, so the documents cannot drift.

- `python`: written to a file in a temp folder and run by pytest in a child process whose rootdir is this
  repository, so its module and chart names resolve as a user's would; every test in it must pass, none skipped.
- `sh`: each command line is checked: `stratatest ...` parses with the real parser (the subcommand and every flag
  exist), its target spec names a target and options that exist (their values checked where not placeholders),
  paths it names exist, pytest arguments it passes on select tests; `make` targets resolve (`make -n`); `pytest`
  collects; scripts take the subcommand. The read-only ones (`doctor`, `targets`, `cleanup --list`) run.
- `yaml`: loaded by the suite's own loader for its format; a case file runs as tests in a copy of its module.
- `json`: parsed.
- A marked block (docs_examples.py): `skip` is reported as skipped with its reason; `tree` paths must exist;
  `adopt` commands must be ones tests/e2e/test_adopt.py runs (it runs them for real in a scratch repository).
A block of any other kind fails: add a docs-test marker or make it checkable here.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from stratatest.cli import build_parser
from stratatest.layers import LAYERS
from stratatest.targets import make_target, target_class
from stratatest.targets.aws.guard import load_allowlist
from stratatest.targets.spec import parse_spec
from stratatest.terraform import casefile

from .docs_examples import DOCS, MARKER_KINDS, ROOT, Block, adopt_commands, blocks, commands, is_subsequence, tree_paths

CATALOGUE = ROOT / "controls" / "catalogue.yaml"
ADOPT_TEST = ROOT / "tests" / "e2e" / "test_adopt.py"
#: A target option value that stands for the reader's own (`account=ID`, `role_arn=...`): only its name is checked.
PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]*|\.\.\.")
#: stratatest commands cheap and read-only enough to run for real.
RUN_FOR_REAL = (["doctor"], ["targets"], ["cleanup", "--list"])
PYTHON_TIMEOUT_S = 600
CHECK_TIMEOUT_S = 120
BLOCKS = blocks()


def _env() -> dict[str, str]:
    """This machine's environment without the outer pytest's own variables, with this repository's catalogue."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return env | {"STRATATEST_CATALOGUE": str(CATALOGUE)}


def _run(argv: list[str], cwd: Path, timeout: float = CHECK_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)


def _pytest_passes(path: Path, what: str) -> None:
    """Run one test file (or case file) as its own pytest session rooted at this repository: all pass, none skip."""
    argv = [sys.executable, "-m", "pytest", f"--rootdir={ROOT}", "-p", "no:cacheprovider", "-n", "0", "-q"]
    run = _run([*argv, "--strict-markers", "-rA", path.name], cwd=path.parent, timeout=PYTHON_TIMEOUT_S)
    out = run.stdout + run.stderr
    summary = out.strip().splitlines()[-1] if out.strip() else ""
    assert run.returncode == 0 and " passed" in summary, f"{what} failed:\n{out}"
    assert not re.search(r"skipped|xfail|xpass|deselected", summary), f"{what} did not run every test:\n{out}"


# ---------------------------------------------------------------------------------------------- python and yaml


def check_python(block: Block, tmp: Path) -> None:
    test_file = tmp / f"test_{block.doc.stem.lower()}_{block.line}.py"
    test_file.write_text(block.text, encoding="utf-8")
    _pytest_passes(test_file, block.id)


def check_case_file(block: Block, tmp: Path) -> None:
    """The example, as the `stratatest.yaml` of a copy of the module it names (its test id), loaded and run."""
    named = re.search(r"(\S+)/" + re.escape(casefile.FILE_NAME), block.text)
    assert named, f"{block.id}: a case file example names its module's {casefile.FILE_NAME} (as a test id)"
    module = tmp / Path(named[1]).name
    shutil.copytree(ROOT / named[1], module, ignore=shutil.ignore_patterns(".terraform*", casefile.FILE_NAME))
    path = module / casefile.FILE_NAME
    path.write_text(block.text, encoding="utf-8")
    assert casefile.load(path), f"{block.id}: no cases"
    _pytest_passes(path, block.id)


def check_allowlist(block: Block, tmp: Path) -> None:
    path = tmp / "sandbox-accounts.yaml"
    path.write_text(block.text, encoding="utf-8")
    assert load_allowlist(path).allow, f"{block.id}: allows no account"


#: The suite's YAML formats, told apart by their top-level keys.
YAML_FORMATS = ((set(casefile.FILE_KEYS), check_case_file), ({"allow", "deny"}, check_allowlist))


def check_yaml(block: Block, tmp: Path) -> None:
    data = yaml.safe_load(block.text)
    keys = set(data) if isinstance(data, dict) else set()
    check = next((check for format_keys, check in YAML_FORMATS if keys and keys <= format_keys), None)
    assert check, (
        f"{block.id}: YAML of no format the suite reads (top-level keys {sorted(keys)}): add a docs-test marker"
    )
    check(block, tmp)


def check_json(block: Block, tmp: Path) -> None:
    json.loads(block.text)


# ---------------------------------------------------------------------------------------------------- commands


def _parse_stratatest(args: list[str], where: str) -> tuple[argparse.Namespace, list[str]]:
    """The real parser's reading, as `stratatest` reads it (extra arguments only for `run`, which passes them on)."""
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            namespace, extra = build_parser().parse_known_args(args)
    except SystemExit:
        pytest.fail(f"{where}: stratatest cannot parse it: {errors.getvalue().strip()}")
    assert not extra or namespace.command == "run", f"{where}: stratatest {namespace.command} does not take {extra}"
    return namespace, extra


def _check_target(spec: str, region: str | None, where: str, tmp: Path) -> None:
    """The target and its options exist; built (not started) when no value is a placeholder, so values are checked."""
    name, options = parse_spec(spec)
    unknown = set(options) - set(target_class(spec).OPTIONS)
    assert not unknown, f"{where}: target {name!r} has no option {sorted(unknown)}"
    if not any(PLACEHOLDER.fullmatch(value) for value in options.values()):
        make_target(spec, workdir=tmp, region=region or "us-east-1", run_id="docs")


def _collects(args: list[str], where: str) -> None:
    """pytest, run from the repository root, accepts the arguments and selects at least one test."""
    run = _run([sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", *args], cwd=ROOT)
    assert run.returncode == 0, f"{where}: `pytest {shlex.join(args)}` collects nothing:\n{run.stdout}{run.stderr}"


def check_stratatest(args: list[str], where: str, tmp: Path) -> None:
    namespace, extra = _parse_stratatest(args, where)
    for dest, value in vars(namespace).items():  # the paths it was given (a target spec is no path)
        if dest != "target" and value in args and "/" in value:
            assert (ROOT / value).exists(), f"{where}: {value} does not exist"
    if "--target" in args:
        _check_target(namespace.target, namespace.region, where, tmp)
    if extra:  # what `stratatest run` passes on to pytest, with the layers it selects
        _collects([*(f"--layer={layer}" for layer in namespace.layer or LAYERS), "-n", "0", *extra], where)
    if any(args[: len(prefix)] == prefix for prefix in RUN_FOR_REAL):
        run = _run([sys.executable, "-m", "stratatest.cli", *args], cwd=tmp)
        assert run.returncode == 0, f"{where}: exit {run.returncode}\n{run.stdout}{run.stderr}"


def check_make(args: list[str], where: str, tmp: Path) -> None:
    """Each target is a rule of the Makefile (a folder of the same name would satisfy `make -n` alone) and resolves."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in args:
        assert re.search(rf"^{re.escape(target)}\s*:", makefile, re.MULTILINE), f"{where}: no rule {target!r}"
    run = _run(["make", "-n", *args], cwd=ROOT)
    assert run.returncode == 0, f"{where}: `make -n {shlex.join(args)}` fails:\n{run.stderr}"


def check_pytest(args: list[str], where: str, tmp: Path) -> None:
    for arg in args:
        if not arg.startswith("-") and "/" in arg:
            assert (ROOT / arg.split("::")[0]).exists(), f"{where}: {arg} does not exist"
    _collects(args, where)


def check_pip(args: list[str], where: str, tmp: Path) -> None:
    """`pip install PATH`, PATH a checkout of this repository: it is named as the package this repository builds."""
    assert args[:1] == ["install"] and len(args) == 2, f"{where}: expected `pip install PATH`"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    assert Path(args[1]).name == project, f"{where}: {args[1]} is not a checkout of {project}"


def check_script(program: str, args: list[str], where: str, tmp: Path) -> None:
    """A script of this repository: it exists, is executable and takes the subcommand (`--help` does nothing)."""
    script = ROOT / program
    assert script.is_file() and os.access(script, os.X_OK), f"{where}: {program} is not an executable script"
    run = _run([str(script), *args[:1], "--help"], cwd=tmp)
    assert run.returncode == 0, f"{where}: `{program} {args[0]}` is not a subcommand:\n{run.stderr}"


def check_docker(args: list[str], where: str, tmp: Path) -> None:
    """Docker is not on these machines: the compose file it names exists and declares services."""
    files = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "-f"]
    assert args[:1] == ["compose"] and files, f"{where}: expected `docker compose -f FILE ...`"
    for name in files:
        assert (ROOT / name).is_file(), f"{where}: {name} does not exist"
        assert yaml.safe_load((ROOT / name).read_text(encoding="utf-8")).get("services"), f"{where}: no services"


CHECKERS = {
    "stratatest": check_stratatest,
    ".venv/bin/stratatest": check_stratatest,
    "make": check_make,
    "pytest": check_pytest,
    ".venv/bin/pytest": check_pytest,
    "pip": check_pip,
    "docker": check_docker,
}


def check_sh(block: Block, tmp: Path) -> None:
    for program, *args in commands(block.text):
        where = f"{block.id}: `{shlex.join([program, *args])}`"
        if program.startswith("scripts/"):
            check_script(program, args, where, tmp)
            continue
        assert program in CHECKERS, f"{where}: no check for {program!r}: add a docs-test marker or a checker"
        CHECKERS[program](args, where, tmp)


def check_adopt(block: Block, tmp: Path) -> None:
    """Each command is one test_adopt.py runs (which may add options of its own), in the same order; both parse."""
    adopted = adopt_commands(ADOPT_TEST)
    for program, *args in adopted:
        if program == "stratatest":
            _parse_stratatest(args, f"{ADOPT_TEST.name}: `{shlex.join([program, *args])}`")
    for argv in commands(block.text):
        where = f"{block.id}: `{shlex.join(argv)}`"
        if argv[0] != "pytest":  # pytest runs in the adopting repository, with test_adopt.py: none to collect here
            CHECKERS[argv[0]](argv[1:], where, tmp)
        if argv[0] == "pip":  # test_adopt.py runs in the environment this repository is installed in
            continue
        ran = next((i for i, command in enumerate(adopted) if is_subsequence(argv, command)), None)
        assert ran is not None, f"{where} is not run by {ADOPT_TEST.name}, which runs {adopted}"
        adopted = adopted[ran + 1 :]


def check_tree(block: Block, tmp: Path) -> None:
    missing = [path for path in tree_paths(block.text) if not list(ROOT.glob(path.rstrip("/")))]
    assert not missing, f"{block.id}: the tree names paths that do not exist: {missing}"


BY_LANG = {"python": check_python, "sh": check_sh, "yaml": check_yaml, "json": check_json}
BY_MARKER = {"tree": check_tree, "adopt": check_adopt}


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_example(block: Block, tmp_path: Path) -> None:
    if block.marker == "skip":
        assert block.reason, f"{block.id}: a skip marker says why: <!-- docs-test: skip: REASON -->"
        pytest.skip(block.reason)
    assert block.marker is None or block.marker in MARKER_KINDS, f"{block.id}: unknown marker {block.marker!r}"
    check = BY_MARKER.get(block.marker or "") or BY_LANG.get(block.lang)
    assert check, f"{block.id}: a block of kind {block.lang or '(none)'!r}: add a docs-test marker or make it runnable"
    check(block, tmp_path)


def test_every_document_is_read() -> None:
    """The block finder sees every fence: as many blocks as opening fences counted by hand."""
    for doc in DOCS:
        fences = sum(1 for line in doc.read_text(encoding="utf-8").splitlines() if line.lstrip().startswith("```"))
        assert fences == 2 * sum(1 for b in BLOCKS if b.doc == doc), doc
