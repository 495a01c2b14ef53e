"""Paths as users see them in messages and reports, and files written so no reader sees half of one."""

from __future__ import annotations

import os
from pathlib import Path

from stratatest.errors import ConfigError

#: Folders of tools' caches, virtual environments and dependencies: never the repository's own modules or inputs.
TOOL_FOLDERS = frozenset(
    {".git", ".terraform", ".venv", "venv", "node_modules", ".tox", "__pycache__", ".pytest_cache", "build", "dist"}
)


def display_path(path: Path | str) -> str:
    """The path relative to the working directory when it is under it (what the user typed), else absolute."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def file_from_env(variable: str) -> Path | None:
    """The file an environment variable names (`~` expanded); None when it is unset; ConfigError when it names
    no file, so a typo cannot silently fall back to the default."""
    value = os.environ.get(variable)
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(f"{variable}={value}: no such file")
    return path


def write_atomic(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write through a temp file and a rename: another process reads the old content or the new, never a part.
    A write that fails (disk full) leaves the old file and no temp file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding=encoding)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
