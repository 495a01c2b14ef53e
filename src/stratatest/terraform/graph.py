"""Which modules a module calls by a local path (`source = "../kms-key"`), and its closure: everything a change
can reach it through. Registry and git sources are not followed: their content is not in the repository."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_LOCAL_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.\.?/[^"]+)"', re.MULTILINE)


def local_calls(module: Path) -> list[Path]:
    """The folders `module`'s *.tf files call by a local path, resolved, in file order."""
    called: list[Path] = []
    for path in sorted(module.glob("*.tf")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for source in _LOCAL_SOURCE.findall(text):
            folder = (module / source).resolve()
            if folder not in called:
                called.append(folder)
    return called


@cache
def closure(module: Path) -> tuple[Path, ...]:
    """`module` (resolved) and every module it reaches through local calls, each once, callers first."""
    seen: list[Path] = []
    pending = [module.resolve()]
    while pending:
        folder = pending.pop(0)
        if folder in seen or not folder.is_dir():
            continue
        seen.append(folder)
        pending += local_calls(folder)
    return tuple(seen)
