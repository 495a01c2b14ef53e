"""YAML the suite reads from people (catalogue, waivers, the sandbox allowlist): safe, strict, located errors.

PyYAML resolves a key given twice as last-one-wins, silently; for files whose every entry is a decision (a
waiver, an allowed account) that is refused instead, and every error names the line and column.
"""

from __future__ import annotations

from typing import Any

import yaml


def yaml_location(err: yaml.YAMLError, text: str) -> str:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    if mark is None:
        return f": {problem}"
    lines = text.splitlines()
    source = lines[mark.line].strip() if mark.line < len(lines) else ""
    return f" at line {mark.line + 1}, column {mark.column + 1}: {problem}" + (f": {source!r}" if source else "")


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys, which PyYAML would silently resolve as last-one-wins."""


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
