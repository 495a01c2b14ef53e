"""`stratatest init`: a repository's settings, an optional catalogue stub, one example test per module and chart.

Modules are the folders holding `*.tf` that no other folder found calls by a local path (a module called by
`source = "./modules/x"` is tested through its caller); charts are the folders holding a `Chart.yaml`. Nothing
the repository already has is overwritten: each file is written, or kept as it was, and says which.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stratatest import settings
from stratatest.paths import TOOL_FOLDERS
from stratatest.settings import DEFAULT_CATALOGUE
from stratatest.terraform.graph import local_calls
from stratatest.terraform.variables import declarations

#: Placeholder values by the start of a variable's type (a plan needs a value for each required variable).
_PLACEHOLDERS: tuple[tuple[str, Any], ...] = (
    ("number", 1), ("bool", False), ("list", []), ("set", []), ("tuple", []), ("map", {}), ("object", {}),
)  # fmt: skip

CATALOGUE_STUB = """\
# Controls this repository's tests assess: tests name them with @pytest.mark.control("EXAMPLE-001").
# Every field is checked when a run starts (`stratatest run`); the reports roll test outcomes up to each control.
version: 1
controls:
  - id: EXAMPLE-001
    title: Every module plans and applies cleanly, and a second plan after apply changes nothing
    severity: medium
    rationale: Drift between code and infrastructure hides changes nobody reviewed
    remediation: Fix the resource whose attributes the second plan wants to change
    mappings: []
    notes: A house rule; no public framework names it
"""


@dataclass
class Found:
    modules: list[Path] = field(default_factory=list)
    charts: list[Path] = field(default_factory=list)


def _folders(root: Path) -> list[Path]:
    found, stack = [], [root]
    while stack:
        folder = stack.pop()
        found.append(folder)
        stack += sorted(
            (p for p in folder.iterdir() if p.is_dir() and p.name not in TOOL_FOLDERS and not p.name.startswith(".")),
            reverse=True,
        )
    return found


def discover(root: Path) -> Found:
    """The modules (entry points only) and charts under `root`, in path order."""
    found, called = Found(), set()
    for folder in _folders(root):
        if (folder / "Chart.yaml").is_file():
            found.charts.append(folder)
        if any(folder.glob("*.tf")):
            found.modules.append(folder)
            called.update(local_calls(folder))
    found.modules = [m for m in found.modules if m.resolve() not in called]
    return found


def _placeholder(type_text: str) -> Any:
    return next((value for prefix, value in _PLACEHOLDERS if type_text.startswith(prefix)), "example")


def _slug(relative: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", relative.lower()).strip("_") or "root"


def module_test(root: Path, module: Path) -> str:
    relative = module.relative_to(root).as_posix()
    required = {name: _placeholder(kind) for name, kind in declarations(module).required}
    variables = json.dumps(required).replace("false", "False").replace("true", "True")
    name = module.name if module != root else "."  # found in the module roots the settings name
    note = "placeholders for the variables it requires: put real values here" if required else "none required"
    return f'''"""{relative}: planned, applied into the run's target, checked for drift, destroyed.

Written by `stratatest init`; edit freely. `plan_of` plans once per run and shares the plan with every test;
`stacks` applies and destroys the stack when this file's tests are done, whatever happens.
"""

MODULE = "{name}"
#: Variables ({note}).
VARIABLES = {variables}


def test_plan(plan_of):
    plan = plan_of(MODULE, **VARIABLES)
    assert plan.managed, "the module plans no resource"


def test_apply_is_idempotent(stacks):
    stack = stacks(MODULE, **VARIABLES)
    stack.assert_idempotent()  # a second plan after apply changes nothing
    assert isinstance(stack.outputs(), dict)  # read back from the state; the `aws` fixture reads the target
'''


def chart_test(root: Path, chart: Path) -> str:
    relative = chart.relative_to(root).as_posix()
    return f'''"""{relative}: linted and rendered by helm. Written by `stratatest init`; edit freely."""

import pytest

pytestmark = pytest.mark.static


def test_lints_and_renders(chart):
    rendered = chart({chart.name!r})
    lint = rendered.lint()
    assert lint.ok, lint.output
    assert rendered.render().items, "the chart renders nothing"
'''


def _settings_lines(root: Path, found: Found) -> list[tuple[str, list[str]]]:
    roots = sorted({m.parent.relative_to(root).as_posix() for m in found.modules if m != root}) or ["."]
    charts = sorted({c.parent.relative_to(root).as_posix() for c in found.charts}) or ["charts"]
    return [("modules", roots), ("charts", charts), ("tests", ["tests"])]


def _write_settings(root: Path, found: Found) -> str:
    """`[tool.stratatest]` into pyproject.toml when there is one, else `[stratatest]` into pytest.ini; nothing when
    any file pytest reads settings from already has a stratatest section (it is the one `settings` would read)."""
    existing, _ = settings.locate(root)  # a file that cannot be parsed is one line, before anything is written
    if existing is not None:
        return f"kept    {existing.name} (it has stratatest settings)"
    entries = _settings_lines(root, found)
    pyproject, ini = root / "pyproject.toml", root / "pytest.ini"
    if pyproject.is_file():
        body = "".join(f"{key} = {json.dumps(values)}\n" for key, values in entries)
        _append(pyproject, f"[tool.stratatest]\n{body}")
        return f"updated {pyproject.name}: [tool.stratatest]"
    body = "".join(f"{key} = {' '.join(values)}\n" for key, values in entries)
    if ini.is_file():
        _append(ini, f"[stratatest]\n{body}")
        return f"updated {ini.name}: [stratatest]"
    ini.write_text(f"[pytest]\ntestpaths = tests\n\n[stratatest]\n{body}", encoding="utf-8")
    return f"wrote   {ini.name}"


def _append(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text + ("" if text.endswith("\n") or not text else "\n") + "\n" + section, encoding="utf-8")


def _write_new(path: Path, text: str, root: Path) -> str:
    shown = path.relative_to(root).as_posix()
    if path.exists():
        return f"kept    {shown}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return f"wrote   {shown}"


def init(root: Path, *, catalogue: bool = False) -> list[str]:
    """Scaffold `root`; one line per file: written, updated or kept."""
    root = root.resolve()
    found = discover(root)
    lines = [_write_settings(root, found)]
    if catalogue:
        lines.append(_write_new(root / DEFAULT_CATALOGUE, CATALOGUE_STUB, root))
    tests = root / "tests"
    for module in found.modules:
        name = _slug(module.relative_to(root).as_posix())
        lines.append(_write_new(tests / f"test_{name}.py", module_test(root, module), root))
    for chart in found.charts:
        name = _slug(chart.relative_to(root).as_posix())
        lines.append(_write_new(tests / f"test_{name}_chart.py", chart_test(root, chart), root))
    lines.append(f"found {len(found.modules)} module(s) and {len(found.charts)} chart(s) under {root}")
    return lines
