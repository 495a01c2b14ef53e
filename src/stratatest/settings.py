"""A repository's stratatest settings: where its modules, charts, tests and catalogue are.

Read from `[tool.stratatest]` in pyproject.toml, or a `[stratatest]` section in pytest.ini, tox.ini or setup.cfg
(the files pytest reads its own settings from), in the repository root: pytest's rootdir, or for the CLI the
nearest folder up from the working directory that has one of those files. Every path is relative to that root,
never to the working directory, so `pytest` run from `tests/` finds what `pytest` run from the root finds.

    [tool.stratatest]
    modules = ["stacks", "modules"]   # where `plan_of("vpc")` / `stacks("vpc")` look, in order
    charts = ["charts"]               # where `chart("web")` looks
    tests = ["tests"]                 # what `stratatest run` runs (default: pytest's own testpaths)
    catalogue = "controls/catalogue.yaml"   # optional: controls to assess; none, no control marks
    waivers = "controls/waivers.yaml"       # optional
    previous-release = "v1.4.0"   # optional: the git ref upgrade tests start from (default: the newest tag)

`previous-release` is for a repository whose clones carry no tags (a CI that fetches one branch): a commit's full
sha there; `--previous-release` and $STRATATEST_PREVIOUS_RELEASE still come first.
"""

from __future__ import annotations

import configparser
import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stratatest.errors import ConfigError

#: Files read, in pytest's order of precedence, and the section each keeps stratatest's settings in.
SOURCES = (("pytest.ini", "stratatest"), ("pyproject.toml", "tool.stratatest"), ("tox.ini", "stratatest"),
           ("setup.cfg", "stratatest"))  # fmt: skip
LISTS = {"modules": ("terraform/modules", "terraform"), "charts": ("charts",), "tests": ()}
FILES = ("catalogue", "waivers")
REFS = ("previous-release",)
#: Where a catalogue is looked for when the settings name none.
DEFAULT_CATALOGUE = Path("controls") / "catalogue.yaml"


@dataclass(frozen=True)
class Settings:
    root: Path
    source: Path | None  # the file the settings came from; None: defaults
    modules: tuple[Path, ...]
    charts: tuple[Path, ...]
    tests: tuple[Path, ...]
    catalogue: Path | None
    waivers: Path | None
    previous_release: str | None = None  # a git ref, as written

    def module(self, name: str) -> Path:
        """A module by name: the first module root holding it, else the path from the root."""
        return _first(name, self.modules, self.root)

    def chart(self, name: str) -> Path:
        return _first(name, self.charts, self.root)

    def path(self, relative: str | Path) -> Path:
        """A path a test or a case file names relative to the repository: resolved from the root."""
        return relative if Path(relative).is_absolute() else self.root / relative  # type: ignore[return-value]


def _first(name: str, roots: tuple[Path, ...], root: Path) -> Path:
    """Where `name` is (a module or chart folder): under each root in turn, then the repository root and its parents
    (pytest without an ini file takes the tests' folder as its rootdir). A name found nowhere resolves to where it
    was looked for first, and whoever uses it says what is wrong with that path (missing, a file, no *.tf)."""
    candidates = [*(r / name for r in roots), *(folder / name for folder in (root, *root.parents))]
    return next((c for c in candidates if c.exists()), root / name if "/" in name else candidates[0])


def _section(path: Path, section: str) -> dict[str, Any] | None:
    """The stratatest section of one file, or None when the file has none."""
    try:
        if path.suffix == ".toml":
            data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
            for part in section.split("."):
                data = data.get(part) if isinstance(data, dict) else None
            if data is not None and not isinstance(data, dict):
                raise ConfigError(f"{path}: [{section}] must be a table")
            return data
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (tomllib.TOMLDecodeError, configparser.Error, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot be read: {str(err).splitlines()[0]}") from None
    if not parser.has_section(section):
        return None
    return {key: value.split() for key, value in parser.items(section)}  # ini values: whitespace-separated


def _strings(path: Path, key: str, value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
        raise ConfigError(f"{path}: stratatest setting {key!r} must be a path or a list of paths, not {value!r}")
    return items


def locate(root: Path, source: Path | None = None) -> tuple[Path | None, dict[str, Any]]:
    """The file holding the stratatest section of the repository at `root`, and that section: `source` first when
    given (pytest's ini file), then the files of SOURCES in `root`, in pytest's order; (None, {}) when none has one.
    A file that cannot be parsed is a ConfigError naming it."""
    given = [(source, s) for n, s in SOURCES if source is not None and source.name == n]
    for path, section in [*given, *((root / n, s) for n, s in SOURCES)]:
        if path.is_file() and (found := _section(path, section)) is not None:
            return path, found
    return None, {}


def read(root: Path, source: Path | None = None) -> Settings:
    """The settings of the repository at `root` (see `locate`); defaults where they name nothing."""
    root = root.resolve()
    source, values = locate(root, source)
    known = [*LISTS, *FILES, *REFS]
    unknown = sorted(set(values) - set(known))
    if unknown:
        near = difflib.get_close_matches(unknown[0], known, n=1)
        raise ConfigError(
            f"{source}: unknown stratatest setting {unknown[0]!r}" + (f"; did you mean {near[0]!r}?" if near else ""),
            hint=f"the settings are {', '.join(known)}",
        )
    lists = {
        key: tuple(root / p for p in (_strings(source, key, values[key]) if key in values else default))  # type: ignore[arg-type]
        for key, default in LISTS.items()
    }
    files: dict[str, Path | None] = {}
    for key in FILES:
        given = _strings(source, key, values[key]) if key in values else None  # type: ignore[arg-type]
        if given is not None and len(given) != 1:
            raise ConfigError(f"{source}: stratatest setting {key!r} is one file, not {given!r}")
        files[key] = root / given[0] if given else None
    if files["catalogue"] is None and (root / DEFAULT_CATALOGUE).is_file():
        files["catalogue"] = root / DEFAULT_CATALOGUE
    for key in FILES:
        if files[key] is not None and not files[key].is_file():  # type: ignore[union-attr]
            raise ConfigError(f"{source}: stratatest setting {key!r}: {files[key]} is not a file")
    refs = {key: _ref(source, key, values[key]) if key in values else None for key in REFS}  # type: ignore[arg-type]
    return Settings(
        root, source, lists["modules"], lists["charts"], lists["tests"], files["catalogue"], files["waivers"],
        refs["previous-release"],
    )  # fmt: skip


def _ref(path: Path, key: str, value: Any) -> str:
    """A git ref setting: one word (an ini value arrives split into words)."""
    words = value if isinstance(value, list) else [value]
    if len(words) != 1 or not isinstance(words[0], str) or not words[0] or any(c.isspace() for c in words[0]):
        raise ConfigError(f"{path}: stratatest setting {key!r} is one git ref (a tag, branch or sha), not {value!r}")
    return words[0]


def find(start: Path) -> Settings:
    """For the CLI: the settings of the repository `start` is in, its root being the nearest folder up with a file
    pytest reads settings from (pytest's own rule for its rootdir), else `start` itself."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / name).is_file() for name, _ in SOURCES):
            return read(folder)
    return read(start)
