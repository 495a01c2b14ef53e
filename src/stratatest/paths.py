"""Paths as users see them in messages and reports."""

from __future__ import annotations

import os
from pathlib import Path

from stratatest.errors import ConfigError


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
