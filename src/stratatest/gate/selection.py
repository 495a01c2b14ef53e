"""`--changed-since REF`: the tests whose inputs the change touches, each with the reason it was selected.

A change to a global input (stratatest itself, the settings, the catalogue, the waivers) selects every test:
each of them reads it. A deleted file selects the tests that read its folder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Change:
    """The files a change touched (relative to the root) and the global inputs among them, with what each is."""

    ref: str
    base: str
    files: tuple[str, ...]
    global_hits: tuple[tuple[str, str], ...]  # (file, what it is), e.g. ("controls/catalogue.yaml", "the catalogue")


def global_inputs(root: Path, named: dict[str, Path | None], package: Path) -> dict[Path, str]:
    """The files every test reads: the named ones (settings, catalogue, waivers) and, when stratatest is installed
    from inside this repository, its own source."""
    found = {path.resolve(): what for what, path in named.items() if path is not None and path.exists()}
    package = package.resolve()
    if package.is_relative_to(root.resolve()):
        for path in package.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                found[path] = "stratatest's own source"
    return found


def change(root: Path, ref: str, base: str, files: Iterable[str], globals_: dict[Path, str]) -> Change:
    files = tuple(files)
    hits = tuple((f, globals_[(root / f).resolve()]) for f in files if (root / f).resolve() in globals_)
    return Change(ref, base, files, hits)


def reason(inputs: dict[Path, str], change: Change, root: Path) -> str | None:
    """Why a test with these inputs is selected by `change`, or None when the change does not touch it."""
    if change.global_hits:
        file, what = change.global_hits[0]
        return f"{file} changed ({what}: every test reads it)"
    folders = {path.parent for path in inputs}
    touched = []
    for file in change.files:
        path = (root / file).resolve()
        if path in inputs:
            touched.append((file, inputs[path]))
        elif not path.exists() and path.parent in folders:
            touched.append((file, "deleted from a folder the test reads"))
    if not touched:
        return None
    file, why = touched[0]
    more = f" and {len(touched) - 1} more of its inputs" if len(touched) > 1 else ""
    return f"{file} changed{more}; {why}"
