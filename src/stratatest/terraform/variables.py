"""The variables a module declares, read from its own files with bc-python-hcl2 (the parser Checkov uses).

Terraform only warns about a tfvars value for a variable the module does not declare, so a misspelt name
(`versoned=True`) would quietly test the default: the harness refuses it before terraform runs. Which declared
variables are `sensitive` says which given values to mask before terraform can print one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stratatest.errors import ConfigError
from stratatest.paths import display_path
from stratatest.secrets import is_secret_name
from stratatest.terraform import hcl
from stratatest.terraform.workdir import configuration_files


@dataclass(frozen=True)
class Declarations:
    """One module's variables: every declared name, and those declared `sensitive = true`.

    `complete` is False when a file could not be parsed: terraform then fails on it with its own, better message,
    and no name is refused on a partial list.
    """

    module: Path
    names: frozenset[str]
    sensitive: frozenset[str]
    complete: bool = True
    #: Variables with no default (a plan needs a value for each), with their type as written ("" when none).
    required: tuple[tuple[str, str], ...] = ()

    def refuse_undeclared(self, values: Mapping[str, Any]) -> None:
        """ConfigError naming each value the module has no variable for, with the closest declared name."""
        unknown = [name for name in values if name not in self.names]
        if not unknown or not self.complete:
            return
        noun = "variable" if len(unknown) == 1 else "variables"
        declared = ", ".join(sorted(self.names)) or "none"
        raise ConfigError(
            f"{display_path(self.module)} has no {noun} {', '.join(map(self._suggest, unknown))}; "
            f"it declares: {declared}"
        )

    def secret_values(self, values: Mapping[str, Any]) -> list[Any]:
        """The values given to variables the module declares sensitive or whose names are secret-like."""
        return [value for name, value in values.items() if name in self.sensitive or is_secret_name(name)]

    def _suggest(self, name: str) -> str:
        close = difflib.get_close_matches(name, sorted(self.names), n=1)
        return f'"{name}" (did you mean "{close[0]}"?)' if close else f'"{name}"'


def declarations(module: Path) -> Declarations:
    """The variables `module` declares; ConfigError when `module` is not a Terraform module folder."""
    blocks: list[tuple[str, dict[str, Any]]] = []
    complete = True
    for path in configuration_files(module):
        try:
            document = hcl.parse(path.read_text(encoding="utf-8"), json_syntax=path.name.endswith(".json"))
        except hcl.ParseError:  # malformed: terraform init names the file, line and problem
            complete = False
            continue
        blocks += _variable_blocks(document)
    return Declarations(
        module,
        frozenset(name for name, _ in blocks),
        frozenset(name for name, spec in blocks if hcl.first(spec.get("sensitive")) is True),
        complete,
        tuple(sorted((name, _type_text(spec)) for name, spec in blocks if "default" not in spec)),
    )


def _type_text(spec: dict[str, Any]) -> str:
    """A variable's type as written (`list(string)`); hcl2 gives it as an interpolation (`${list(string)}`)."""
    written = hcl.first(spec.get("type"))
    return str(written).removeprefix("${").removesuffix("}") if written else ""


def _variable_blocks(document: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """hcl2 gives a list of one-block mappings; the JSON syntax a mapping (or a list of them)."""
    blocks = document.get("variable", []) if isinstance(document, dict) else []
    for block in blocks if isinstance(blocks, list) else [blocks]:
        for name, spec in block.items():
            yield name, spec if isinstance(spec, dict) else {}
