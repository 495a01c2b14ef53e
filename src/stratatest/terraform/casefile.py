"""Case files: a `stratatest.yaml` beside a module is a table of its tests, for cases that need no Python.

    module: .                                  # optional: the module's folder, relative to this file
    cases:
      default:                                 # the test id
        inventory: inventory/default.yaml      # plan with its variables; the plan must match it
      bad-input:
        variables_from: inventory/default.yaml # the base variables only; nothing is compared
        variables: {alias: aws/mine}           # over the base, shallowly (a variable given replaces it whole)
        rejects: [alias]                       # exactly these variables fail terraform's validation
      applied:
        variables_from: inventory/default.yaml
        layer: apply                           # apply into the run's target, check idempotency, destroy
        controls: [STRATA-KMS-001]             # the catalogue controls the case assesses

A case with neither an inventory nor `rejects` passes when the plan succeeds. Every mistake in the file is one
line naming the file, the key and what is allowed there, before any test runs. This is the model only; the
pytest plugin (`plugin/yaml_cases.py`) makes each case a test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stratatest.errors import ConfigError
from stratatest.paths import display_path
from stratatest.strictyaml import StrictLoader, yaml_location
from stratatest.terraform import inventory

FILE_NAME = "stratatest.yaml"
FILE_KEYS = ("module", "cases")
CASE_KEYS = ("inventory", "variables_from", "variables", "rejects", "layer", "controls")
#: `plan` and `apply` are also the names of the layer markers the cases get.
CASE_LAYERS = ("plan", "apply")
#: A case id becomes the last part of a test id: nothing pytest or a shell would read specially.
CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


@dataclass(frozen=True)
class Case:
    name: str
    line: int  # of the case's id in the file, from 1
    module: Path
    variables: dict[str, Any]
    layer: str = "plan"
    inventory: Path | None = None
    rejects: frozenset[str] | None = None
    controls: tuple[str, ...] = ()


def _kind(value: Any) -> str:
    kinds = ((bool, "a boolean"), (dict, "a mapping"), (list, "a list"), (str, "a string"), (int | float, "a number"))
    return next((name for types, name in kinds if isinstance(value, types)), "nothing" if value is None else "?")


class _Reader:
    """Checks one file's data, each error one line: `FILE: cases.ID.KEY: problem`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, where: str, problem: str) -> ConfigError:
        return ConfigError(f"{display_path(self.path)}: {where}: {problem}")

    def mapping(self, value: Any, where: str, allowed: tuple[str, ...] | None = None) -> dict[Any, Any]:
        if not isinstance(value, dict):
            return self._wrong(value, where, "a mapping" + (f" of {', '.join(allowed)}" if allowed else ""))
        unknown = [key for key in value if allowed is not None and key not in allowed]
        if unknown:
            raise self.error(where, f"unknown key {unknown[0]!r}; allowed: {', '.join(allowed or ())}")
        return value

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            return self._wrong(value, where, "a non-empty string")
        return value

    def strings(self, value: Any, where: str) -> list[str]:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            return self._wrong(value, where, "a non-empty list of strings")
        twice = [v for i, v in enumerate(value) if v in value[:i]]
        if twice:
            raise self.error(where, f"{twice[0]!r} is listed twice")
        return value

    def file(self, value: Any, where: str) -> Path:
        path = (self.path.parent / self.string(value, where)).resolve()
        if not path.is_file():
            raise self.error(where, f"no such file {display_path(path)} (paths are relative to this file)")
        return path

    def _wrong(self, value: Any, where: str, expected: str) -> Any:
        raise self.error(where, f"expected {expected}, got {_kind(value)}")


def load(path: Path) -> list[Case]:
    """The cases of one case file, checked; ConfigError (one line) on anything wrong in it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{display_path(path)}: cannot read: {getattr(err, 'strerror', None) or err}") from None
    loader = StrictLoader(text)  # a key given twice is an error, not last-one-wins
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as err:
        raise ConfigError(f"{display_path(path)}: invalid YAML{yaml_location(err, text)}") from None
    finally:
        loader.dispose()
    read = _Reader(path)
    top = read.mapping(data, "top level", FILE_KEYS)
    if "cases" not in top:
        raise read.error("top level", "no cases: a case file lists its tests under `cases`")
    module = (path.parent / read.string(top.get("module", "."), "module")).resolve()
    if not module.is_dir():
        raise read.error("module", f"no such folder {display_path(module)} (paths are relative to this file)")
    cases = read.mapping(top["cases"], "cases")
    if not cases:
        raise read.error("cases", "expected at least one case")
    lines = _case_lines(node)
    return [_case(read, name, value, module, lines.get(str(name), 1)) for name, value in cases.items()]


def _case_lines(node: yaml.Node | None) -> dict[str, int]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "cases" and isinstance(value, yaml.MappingNode):
                return {k.value: k.start_mark.line + 1 for k, _ in value.value}
    return {}


def _case(read: _Reader, name: Any, value: Any, module: Path, line: int) -> Case:
    where = f"cases.{name}"
    if not isinstance(name, str) or not CASE_ID.match(name):
        raise read.error(where, "a case id is letters, digits, '.', '_' and '-', and starts with a letter or digit")
    spec = read.mapping(value, where, CASE_KEYS)
    layer = spec.get("layer", "plan")
    if layer not in CASE_LAYERS:
        raise read.error(f"{where}.layer", f"expected one of {', '.join(CASE_LAYERS)}, got {layer!r}")
    if "inventory" in spec and "variables_from" in spec:
        raise read.error(where, "inventory and variables_from both give the base variables; keep one")
    if "inventory" in spec and ("rejects" in spec or layer == "apply"):
        which = "a case that rejects" if "rejects" in spec else "an apply case"
        raise read.error(where, f"{which} has no plan to compare with an inventory; name it with variables_from")
    if "rejects" in spec and layer == "apply":
        raise read.error(where, "rejects is checked on a plan; an apply case cannot have it")
    base_key = next((k for k in ("inventory", "variables_from") if k in spec), None)
    base_file = read.file(spec[base_key], f"{where}.{base_key}") if base_key else None
    base = (inventory.load(base_file).get("variables") or {}) if base_file else {}
    if not isinstance(base, dict):
        raise ConfigError(f"{display_path(base_file)}: variables: expected a mapping, got {_kind(base)}")
    overrides = read.mapping(spec.get("variables", {}), f"{where}.variables")
    if not all(isinstance(k, str) for k in overrides):
        raise read.error(f"{where}.variables", "variable names are strings")
    return Case(
        name=name,
        line=line,
        module=module,
        variables={**base, **overrides},
        layer=layer,
        inventory=base_file if base_key == "inventory" else None,
        rejects=frozenset(read.strings(spec["rejects"], f"{where}.rejects")) if "rejects" in spec else None,
        controls=tuple(read.strings(spec["controls"], f"{where}.controls")) if "controls" in spec else (),
    )
