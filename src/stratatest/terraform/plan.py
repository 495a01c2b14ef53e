"""A small typed view of `terraform show -json` plan output: resources, actions, values, outputs.

Built once per (module, variables) and shared by every assertion, so fifty checks cost one plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

NOOP_ACTIONS = (("no-op",), ("read",))


def _any_unknown(marker: Any) -> bool:
    if isinstance(marker, dict):
        return any(_any_unknown(v) for v in marker.values())
    if isinstance(marker, list):
        return any(_any_unknown(v) for v in marker)
    return marker is True


@dataclass(frozen=True)
class PlannedResource:
    """One resource instance in the plan, with what terraform intends to do to it."""

    address: str
    type: str
    name: str
    mode: str
    module: str | None
    actions: tuple[str, ...]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    after_unknown: dict[str, Any] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, Any]:
        """Planned values (after the change); unknown-until-apply attributes are absent."""
        return self.after or {}

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def is_unknown(self, key: str) -> bool:
        """True when any part of the attribute is only known after apply (terraform nests the markers)."""
        return _any_unknown(self.after_unknown.get(key))

    @property
    def creates(self) -> bool:
        return "create" in self.actions

    @property
    def deletes(self) -> bool:
        return "delete" in self.actions

    @property
    def replaces(self) -> bool:
        return "create" in self.actions and "delete" in self.actions

    @property
    def changes(self) -> bool:
        return self.actions not in NOOP_ACTIONS

    def diff(self) -> list[str]:
        """Attribute-level differences, for messages such as a failed idempotency check."""
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after) | set(self.after_unknown))
        lines = []
        for key in keys:
            if _any_unknown(self.after_unknown.get(key)):
                if before.get(key) is not None:
                    lines.append(f"    {key}: {json.dumps(before.get(key))} -> (known after apply)")
            elif before.get(key) != after.get(key):
                lines.append(f"    {key}: {json.dumps(before.get(key))} -> {json.dumps(after.get(key))}")
        return lines

    def __repr__(self) -> str:
        return f"<resource {self.address} {'/'.join(self.actions)}>"


@dataclass(frozen=True)
class PlannedOutput:
    name: str
    value: Any
    known: bool
    sensitive: bool


class Plan:
    """Resources by address and by type, outputs, and helpers that keep assertions short."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.resources: dict[str, PlannedResource] = {}
        for rc in raw.get("resource_changes", []):
            change = rc.get("change", {})
            self.resources[rc["address"]] = PlannedResource(
                address=rc["address"],
                type=rc["type"],
                name=rc["name"],
                mode=rc.get("mode", "managed"),
                module=rc.get("module_address"),
                actions=tuple(change.get("actions", ())),
                before=change.get("before"),
                after=change.get("after"),
                after_unknown=change.get("after_unknown") or {},
            )
        changes = raw.get("output_changes", {})
        self.outputs: dict[str, PlannedOutput] = {
            name: PlannedOutput(
                name,
                change.get("after"),
                known=not change.get("after_unknown"),
                sensitive=bool(change.get("after_sensitive")),
            )
            for name, change in changes.items()
        }
        self.variables: dict[str, Any] = {k: v.get("value") for k, v in raw.get("variables", {}).items()}

    @classmethod
    def from_json(cls, text: str) -> Plan:
        return cls(json.loads(text))

    @property
    def resource_types(self) -> set[str]:
        """Every resource and data source type the plan touches (what a target must serve to apply it)."""
        types = {r.type for r in self.resources.values()}
        modules = [self.raw.get("prior_state", {}).get("values", {}).get("root_module", {})]
        while modules:
            module = modules.pop()
            types.update(r.get("type", "") for r in module.get("resources", []))
            modules.extend(module.get("child_modules", []))
        return types - {""}

    @property
    def managed(self) -> list[PlannedResource]:
        return [r for r in self.resources.values() if r.mode == "managed"]

    def of_type(self, resource_type: str) -> list[PlannedResource]:
        return [r for r in self.managed if r.type == resource_type]

    def one(self, resource_type: str) -> PlannedResource:
        """The single resource of a type; a clear assertion error when there are none or several."""
        found = self.of_type(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, plan has {[r.address for r in found]}"
        return found[0]

    def __getitem__(self, address: str) -> PlannedResource:
        try:
            return self.resources[address]
        except KeyError:
            raise KeyError(f"{address} is not in the plan; it has {sorted(self.resources)}") from None

    def __contains__(self, address: str) -> bool:
        return address in self.resources

    def counts(self) -> dict[str, int]:
        """Managed resources per type."""
        out: dict[str, int] = {}
        for r in self.managed:
            out[r.type] = out.get(r.type, 0) + 1
        return dict(sorted(out.items()))

    def references(self, address: str, path: str) -> list[str]:
        """What an attribute refers to in the configuration, e.g. `references(addr, "rule.x.kms_key")`.

        Values such as a key ARN are unknown until apply; the reference proves the wiring at plan time.
        Root-module resources only; `path` is dot-separated, nested blocks are searched at every index.
        """
        config = self.raw.get("configuration", {}).get("root_module", {}).get("resources", [])
        resource = next((r for r in config if r.get("address") == address.split("[")[0]), None)
        if resource is None:
            raise KeyError(f"{address} is not in the configuration")
        nodes: list[Any] = [resource.get("expressions", {})]
        for part in path.split("."):
            step: list[Any] = []
            for node in nodes:
                value = node.get(part) if isinstance(node, dict) else None
                step += value if isinstance(value, list) else [value] if value is not None else []
            nodes = step
        return sorted({ref for node in nodes if isinstance(node, dict) for ref in node.get("references", [])})

    def output(self, name: str) -> Any:
        return self.outputs[name].value

    @property
    def changes(self) -> list[PlannedResource]:
        return [r for r in self.managed if r.changes]

    @property
    def is_empty(self) -> bool:
        """No managed resource would change: what a plan right after apply must be."""
        return not self.changes

    def diff_text(self) -> str:
        """Each pending change with its attributes, the way a failing idempotency check reports it."""
        lines = []
        for r in self.changes:
            lines.append(f"  {r.address}: {' + '.join(r.actions)}")
            lines.extend(r.diff())
        return "\n".join(lines) or "  (no changes)"

    def __repr__(self) -> str:
        return f"<plan {len(self.managed)} resources, {len(self.changes)} changes>"
