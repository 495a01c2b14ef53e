"""What a test reads from the repository: its inputs, found from its file without running it.

A test's inputs are its own file (a Python test or a `stratatest.yaml` case file), the conftest.py files above
it, the repository-local Python modules it imports, and every path it names:

- a string with a `/` or a file suffix (`"services/sample/values.yaml"`), from the root or the test's folder;
- a path built with `/` (`ROOT / "terraform" / "modules" / "network"`), from the root or the test's folder, or a
  module or chart name at its end;
- the name given to a stratatest fixture (`plan_of("state-backend")`, `stacks(MODULE)`, `chart("microservice")`),
  looked up the way the fixture looks it up (the settings' module and chart roots);
- for a case file, the module beside it.

A folder stands for every file under it; a Terraform module for its closure (every module it calls by a local
path, `terraform.graph`). Naming a path too many only selects a test too often; a test that builds paths the
scan cannot see is caught by the global inputs (the suite, the settings, the catalogue) or named by a marker:
`@pytest.mark.inputs("path", ...)`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from stratatest.paths import TOOL_FOLDERS
from stratatest.settings import Settings
from stratatest.terraform.graph import closure

#: Fixtures (and settings methods) whose first argument names a module or a chart.
NAMING_CALLS = frozenset({"plan_of", "stacks", "module_path", "module", "chart", "upgrade_path"})
#: Fixtures that read a part of the repository the test file does not name.
FIXTURE_INPUTS = {"checkov": ("terraform",), "sample_service": ("services/sample",)}
INPUTS_MARKER = "inputs"


@dataclass(frozen=True)
class Mention:
    """A path a file names, and how it named it (for the record: why a test was selected)."""

    path: Path
    said: str


class InputMap:
    """The inputs of each test of one repository; every file is read and every folder listed once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.root.resolve()
        self._mentions: dict[Path, list[Mention]] = {}
        self._files: dict[Path, tuple[Path, ...]] = {}
        self._charts: dict[str, bool] = {}

    def inputs(
        self, test_file: Path, fixtures: Iterable[str] = (), marked: Iterable[str] = (), params: Iterable[object] = ()
    ) -> dict[Path, str]:
        """Every input file of a test in `test_file` (resolved) → the reason it is one.

        `params` are the test's parameter values: a test parametrized over folders (`MODULES`, one item per module)
        reads the folder of its own parameter, not every folder its file names, so a parameter that names a
        repository folder replaces the folders the file names (files it names stay).
        """
        test_file = test_file.resolve()
        found: dict[Path, str] = {test_file: "the test's own file"}
        mentions = list(self._mentions_of(test_file))
        own = [m for value in params if isinstance(value, str | Path) for m in self._param(value, test_file.parent)]
        if own:
            mentions = [m for m in mentions if not m.path.is_dir()] + own
        for conftest in self._conftests(test_file):  # its fixtures are the test's: what they name, the test reads
            found.setdefault(conftest, "a conftest.py above the test")
            mentions += self._mentions_of(conftest)
        mentions += [Mention(p, f"the {name} fixture reads it") for name in fixtures for p in self._fixture(name)]
        mentions += [Mention(p, "@pytest.mark.inputs") for p in self._marked(marked)]
        for mention in mentions:
            for path in self._expand(mention.path):
                found.setdefault(path, mention.said)
        return found

    # -- what a file names -----------------------------------------------------------------------------------

    def _mentions_of(self, path: Path, seen: frozenset[Path] = frozenset()) -> list[Mention]:
        """The paths `path` names, and those of the repository modules it imports (recursively)."""
        if path in self._mentions:
            return self._mentions[path]
        self._mentions[path] = []  # an import cycle stops here
        mentions: list[Mention] = []
        if path.suffix == ".py":
            mentions = self._python_mentions(path, seen | {path})
        elif path.suffix in (".yaml", ".yml"):
            mentions = self._yaml_mentions(path)
        self._mentions[path] = mentions
        return mentions

    def _python_mentions(self, path: Path, seen: frozenset[Path]) -> list[Mention]:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (OSError, SyntaxError, ValueError):
            return []  # pytest reports the file itself; its own file is still an input
        here = path.parent
        names = _module_names(tree)
        divs = [node for node in ast.walk(tree) if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)]
        inner = {id(node.left) for node in divs}  # `a / "b"` inside `a / "b" / "c"`: the whole chain names the path
        skipped = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
        skipped |= {id(value) for value in names.chains.values()}  # `BASE = ROOT / "x"`: its uses name the path
        mentions: list[Mention] = []
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _looks_like_path(node.value):
                mentions += self._named(node.value, here)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and self._is_chart(node.value):
                mentions.append(Mention(self.settings.chart(node.value).resolve(), f"it names chart {node.value!r}"))
            elif isinstance(node, ast.JoinedStr) and _looks_like_path(pattern := _fstring_pattern(node)):
                mentions += self._named(pattern, here)
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and id(node) not in inner:
                joined = _path_tail(node, names.bases)
                found = self._named(joined, here, by_name=True) if joined else []
                if not _known_base(node, names.bases):  # `tmp_path / "terraform"`: only a module, chart or file
                    found = [m for m in found if _is_unit(m.path)]
                mentions += found
            elif isinstance(node, ast.Name) and node.id in names.bases and id(node) not in inner:
                if isinstance(node.ctx, ast.Load) and names.bases[node.id]:  # the base path used on its own
                    mentions += self._named(names.bases[node.id], here, by_name=True)
            elif isinstance(node, ast.Call) and _call_name(node.func) in NAMING_CALLS and node.args:
                first = node.args[0]
                text = first.value if isinstance(first, ast.Constant) else names.strings.get(getattr(first, "id", ""))
                if isinstance(text, str):
                    mentions += self._named(text, here, by_name=True)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                for module in self._imported(node, here):
                    if module not in seen:
                        mentions.append(Mention(module, f"imported by {self._show(path)}"))
                        mentions += self._mentions_of(module, seen | {module})
        return mentions

    def _yaml_mentions(self, path: Path) -> list[Mention]:
        """A case file: the module beside it, and every path-like string in it (`variables_from: ...`)."""
        mentions = (
            [Mention(path.parent, f"the module beside {self._show(path)}")] if any(path.parent.glob("*.tf")) else []
        )
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except Exception:  # the case file's own test reports what is wrong with it
            return mentions
        for text in _strings(data):
            if _looks_like_path(text):
                mentions += self._named(text, path.parent)
        return mentions

    def _named(self, text: str, here: Path, *, by_name: bool = False) -> list[Mention]:
        """The repository path `text` names, from the root or `here` (and as a module or chart name when `by_name`):
        none when it names nothing, the root itself, or a folder holding the test (that would be every test)."""
        if "*" in text:  # a pattern: every path it matches, from the root or `here`
            matches = [*self.root.glob(text), *here.glob(text)] if not text.startswith("*") else []
            return [m for path in dict.fromkeys(matches) for m in self._named(str(path), here)]
        candidates = [self.root / text, here / text]
        if by_name:
            candidates += [self.settings.module(text), self.settings.chart(text)]
        for candidate in candidates:
            try:
                resolved = candidate.resolve()
                resolved.relative_to(self.root)
            except (OSError, ValueError):
                continue
            if resolved.exists() and resolved != self.root and not here.is_relative_to(resolved):
                shown = resolved.relative_to(self.root).as_posix()
                return [Mention(resolved, f"it names {shown!r}")]
        return []

    def _param(self, value: str | Path, here: Path) -> list[Mention]:
        """The repository folder a parameter value names (a module path, or a module or chart name)."""
        text = str(value)
        if not 0 < len(text) < 300 or "\n" in text:
            return []
        named = self._named(text, here, by_name=True)
        return [Mention(m.path, f"its parameter is {m.path.relative_to(self.root).as_posix()!r}") for m in named
                if m.path.is_dir()]  # fmt: skip

    def _is_chart(self, text: str) -> bool:
        """A chart's name (a folder with Chart.yaml in the chart roots): distinctive enough to count wherever it
        appears (`{"chart": "microservice"}`), unlike a module name such as "network"."""
        if text not in self._charts:
            plain = 2 < len(text) < 64 and text.replace("-", "").replace("_", "").isalnum()
            self._charts[text] = plain and any((r / text / "Chart.yaml").is_file() for r in self.settings.charts)
        return self._charts[text]

    def _imported(self, node: ast.Import | ast.ImportFrom, here: Path) -> list[Path]:
        """Repository files an import statement loads: relative, from the test's folder, or from the root."""
        if isinstance(node, ast.ImportFrom):
            base = here
            for _ in range(max(node.level - 1, 0)):
                base = base.parent
            prefixes = [base] if node.level else [here, self.root]
            package = node.module or ""
            dotted = [package, *(f"{package}.{alias.name}".lstrip(".") for alias in node.names)]
        else:
            prefixes, dotted = [here, self.root], [alias.name for alias in node.names]
        found = []
        for name in filter(None, dotted):
            relative = Path(*name.split("."))
            for prefix in prefixes:
                for candidate in (prefix / relative.with_suffix(".py"), prefix / relative / "__init__.py"):
                    if candidate.is_file() and candidate.resolve().is_relative_to(self.root):
                        found.append(candidate.resolve())
        return found

    def _fixture(self, name: str) -> list[Path]:
        return [self.root / part for part in FIXTURE_INPUTS.get(name, ()) if (self.root / part).exists()]

    def _marked(self, marked: Iterable[str]) -> list[Path]:
        return [self.settings.path(text).resolve() for text in marked]

    def _conftests(self, test_file: Path) -> list[Path]:
        folders = [test_file.parent, *test_file.parent.parents]
        upto = [f for f in folders if f.is_relative_to(self.root)]
        return [f / "conftest.py" for f in upto if (f / "conftest.py").is_file()]

    # -- a mention's files -----------------------------------------------------------------------------------

    def _expand(self, path: Path) -> tuple[Path, ...]:
        """A file is itself; a folder every file under it; a Terraform module its closure's files too."""
        if path in self._files:
            return self._files[path]
        files: list[Path] = []
        if path.is_file():
            files = [path]
        elif path.is_dir():
            for folder in _walk(path):
                files += sorted(p for p in folder.iterdir() if p.is_file())
                if any(folder.glob("*.tf")):
                    for module in closure(folder)[1:]:
                        if not module.is_relative_to(path):
                            files += self._expand(module)
        self._files[path] = tuple(dict.fromkeys(files))
        return self._files[path]

    def _show(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)


def _walk(folder: Path) -> list[Path]:
    found, stack = [], [folder]
    while stack:
        current = stack.pop()
        found.append(current)
        stack += [p for p in current.iterdir() if p.is_dir() and p.name not in TOOL_FOLDERS]
    return found


def _looks_like_path(text: str) -> bool:
    """`"charts/microservice"` or `"values-prod.yaml"`, not prose, a URL or a regular expression."""
    if not 2 < len(text) < 200 or any(c in text for c in "\n :?<>|{}()[]$\\,") or text.startswith("/"):
        return False
    return "/" in text or Path(text).suffix in (".yaml", ".yml", ".json", ".tf", ".tfvars", ".py", ".tpl")


@dataclass
class _Names:
    """A file's module-level names: strings (`MODULE = "vpc"`), and path chains (`BASE = ROOT / "terraform"`)
    with the pattern each stands for."""

    strings: dict[str, str]
    chains: dict[str, ast.BinOp]
    bases: dict[str, str]


def _module_names(tree: ast.Module) -> _Names:
    names = _Names({}, {}, {})
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        name, value = node.targets[0].id, node.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            names.strings[name] = value.value
        elif isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div):
            names.chains[name] = value
            names.bases[name] = _path_tail(value, names.bases)
        elif _is_file_anchor(value):  # REPO = Path(__file__).parents[2]: a known base in the repository
            names.bases[name] = ""
    return names


def _path_tail(node: ast.BinOp, bases: dict[str, str]) -> str:
    """`X / "a" / name / "b.tf"` → "a/*/b.tf": what a `/` chain adds to a base path, a computed part as `*`.
    A base bound at module level to a chain (`bases`) adds its own pattern; any other base is unknown, so the
    pattern starts at its first constant."""
    parts: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.BinOp) and isinstance(current.op, ast.Div):
        parts.insert(0, _constant_or_star(current.right))
        current = current.left
    if isinstance(current, ast.Constant) and isinstance(current.value, str):
        parts.insert(0, current.value)
    elif isinstance(current, ast.Name) and bases.get(current.id):
        parts.insert(0, bases[current.id])
    while parts and parts[0] == "*":
        parts.pop(0)
    return "/".join(parts)


def _known_base(node: ast.BinOp, bases: dict[str, str]) -> bool:
    """Whether a `/` chain starts from a string or a module-level path the file defines (`ROOT / "x"` where
    ROOT = Path(__file__).parents[1] / ...), rather than from a name bound elsewhere (`tmp_path / "terraform"`)."""
    current: ast.expr = node
    while isinstance(current, ast.BinOp) and isinstance(current.op, ast.Div):
        current = current.left
    if isinstance(current, ast.Name):
        return current.id in bases
    return isinstance(current, ast.Constant) or _is_file_anchor(current)


def _is_file_anchor(node: ast.expr) -> bool:
    """`Path(__file__)...`: a path from the test's own file."""
    return any(isinstance(n, ast.Name) and n.id == "__file__" for n in ast.walk(node))


def _is_unit(path: Path) -> bool:
    """A file, a Terraform module or a chart: what a path from an unknown base can name without naming a tree."""
    return path.is_file() or any(path.glob("*.tf")) or (path / "Chart.yaml").is_file()


def _constant_or_star(node: ast.expr) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else "*"


def _fstring_pattern(node: ast.JoinedStr) -> str:
    """`f"terraform/envs/{env}/main.tf"` → "terraform/envs/*/main.tf"."""
    return "".join(_constant_or_star(value) if isinstance(value, ast.Constant) else "*" for value in node.values)


def _call_name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _strings(data: object) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for value in data.values() for s in _strings(value)]
    if isinstance(data, list):
        return [s for value in data for s in _strings(value)]
    return []
