"""A small typed view of `terraform show -json` plan output: resources, actions, values, outputs.

Built once per (module, variables) and shared by every assertion, so fifty checks cost one plan. Resources in
module calls keep terraform's full address (`module.vpc[0].aws_vpc.this`), and `plan.module("vpc")` narrows the
lookups to one call. A value terraform learns only at apply reads as UNKNOWN, never as None or a KeyError.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

NOOP_ACTIONS = (("no-op",), ("read",))
#: An instance key in an address: `[0]` or `["name"]`.
_KEY = r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]'
#: One module call at the start of an address (`module.vpc[0].`); what follows the last one is a resource.
_CALL = re.compile(rf"module\.([\w-]+)({_KEY})?(?:\.|$)")
#: One step of a name given to `module()`: `vpc`, `vpc[0]` or `module.vpc`, dot-separated.
_NAME_STEP = re.compile(rf"(?:module\.)?([\w-]+)({_KEY})?(?:\.|$)")

#: A module call in an address: its name and instance key ("" stands for every instance).
Call = tuple[str, str]


class _Unknown:
    """The type of UNKNOWN."""

    def __repr__(self) -> str:
        return "(known after apply)"

    def __bool__(self) -> bool:
        raise TypeError("a value known only after apply is neither true nor false; test `is UNKNOWN` instead")

    def __reduce__(self) -> str:
        return "UNKNOWN"  # a copy or a pickle is the one instance


#: A planned value terraform learns only at apply (`(known after apply)` in its plan output). Equal to nothing
#: but itself and neither true nor false, so `assert r["encrypted"]` on it raises instead of passing on a guess.
UNKNOWN = _Unknown()


def _any_unknown(marker: Any) -> bool:
    if isinstance(marker, dict):
        return any(_any_unknown(v) for v in marker.values())
    if isinstance(marker, list):
        return any(_any_unknown(v) for v in marker)
    return marker is True


def _calls(pattern: re.Pattern[str], text: str) -> tuple[tuple[Call, ...], str]:
    """The module calls `text` starts with, and what follows them."""
    calls, pos = [], 0
    while pos < len(text) and (match := pattern.match(text, pos)):
        calls.append((match[1], match[2] or ""))
        pos = match.end()
    return tuple(calls), text[pos:]


def _call_address(call: tuple[Call, ...]) -> str:
    return ".".join(f"module.{name}{key}" for name, key in call)


def _under(module_address: str | None, call: tuple[Call, ...]) -> bool:
    """True when a resource of `module_address` lies under `call`, in any instance where `call` names no key."""
    steps, _ = _calls(_CALL, module_address or "")
    return len(steps) >= len(call) and all(
        name == wanted and wanted_key in ("", key)
        for (name, key), (wanted, wanted_key) in zip(steps[: len(call)], call, strict=True)
    )


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

    @property
    def attributes(self) -> dict[str, Any]:
        """Every planned attribute: its value, or UNKNOWN where the whole value is known only after apply."""
        return {**{k: UNKNOWN for k, marker in self.after_unknown.items() if marker is True}, **self.values}

    def __getitem__(self, key: str) -> Any:
        """The attribute's planned value, UNKNOWN when known only after apply; a block with some unknown parts
        holds its known parts (`is_unknown` says whether any part is unknown)."""
        attributes = self.attributes
        if key not in attributes:
            raise KeyError(f"{self.address} has no attribute {key!r}; it has {sorted(attributes)}")
        return attributes[key]

    def get(self, key: str, default: Any = None) -> Any:
        """The attribute's known value, or `default` when it is absent or known only after apply."""
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
    """An output's planned value: UNKNOWN when terraform learns it only at apply (`known` is False then too)."""

    name: str
    value: Any
    known: bool
    sensitive: bool


class Resources:
    """Lookups by address and type, shared by a whole plan and the part of it under one module call."""

    resources: dict[str, PlannedResource]
    call: tuple[Call, ...] = ()

    @property
    def label(self) -> str:
        """What messages call these resources: `plan`, or the module call's address."""
        return _call_address(self.call) or "plan"

    @property
    def managed(self) -> list[PlannedResource]:
        return [r for r in self.resources.values() if r.mode == "managed"]

    def of_type(self, resource_type: str) -> list[PlannedResource]:
        return [r for r in self.managed if r.type == resource_type]

    def one(self, resource_type: str) -> PlannedResource:
        """The single resource of a type; a clear assertion error when there are none or several."""
        found = self.of_type(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, {self.label} has {[r.address for r in found]}"
        return found[0]

    def __getitem__(self, address: str) -> PlannedResource:
        """A resource by its full address, e.g. `module.vpc[0].aws_subnet.private["a"]`."""
        try:
            return self.resources[address]
        except KeyError:
            where = _call_address(self.call) or "the plan"
            raise KeyError(f"{address} is not in {where}; it has {sorted(self.resources)}") from None

    def __contains__(self, address: str) -> bool:
        return address in self.resources

    def counts(self) -> dict[str, int]:
        """Managed resources per type."""
        out: dict[str, int] = {}
        for r in self.managed:
            out[r.type] = out.get(r.type, 0) + 1
        return dict(sorted(out.items()))

    def module(self, name: str) -> ModuleView:
        """The resources under a module call, its nested calls included: `module("vpc")`, `module("a.b")` or
        `module("a").module("b")`; with an instance key (`module("vpc[0]")`) only that instance's."""
        steps, rest = _calls(_NAME_STEP, name)
        if rest or not steps:
            raise ValueError(f"{name!r} is not a module call name, such as 'vpc', 'vpc[0]' or 'a.b'")
        call = (*self.call, *steps)
        found = {address: r for address, r in self.resources.items() if _under(r.module, call)}
        if not found:
            calls = sorted({r.module for r in self.resources.values() if r.module})
            raise KeyError(f"nothing is planned under {_call_address(call)}; {self.label} has module calls {calls}")
        return ModuleView(found, call)


class ModuleView(Resources):
    """The resources under one module call, by their full addresses; from `Plan.module()`."""

    def __init__(self, resources: dict[str, PlannedResource], call: tuple[Call, ...]) -> None:
        self.resources = resources
        self.call = call

    def __repr__(self) -> str:
        return f"<{self.label}: {len(self.managed)} resources>"


class Plan(Resources):
    """Resources by address and by type, outputs, and helpers that keep assertions short.

    `raw` is `terraform show -json` output, or a function returning it, called when the plan is first read: the
    harness passes one so that a plan nobody reads never pays for `show` (it starts the provider, ≈ 2 s).
    """

    def __init__(self, raw: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        self._load = raw if callable(raw) else lambda: raw

    @classmethod
    def from_json(cls, text: str) -> Plan:
        return cls(json.loads(text))

    @cached_property
    def raw(self) -> dict[str, Any]:
        return self._load()

    @cached_property
    def resources(self) -> dict[str, PlannedResource]:
        found = {}
        for rc in self.raw.get("resource_changes", []):
            change = rc.get("change", {})
            found[rc["address"]] = PlannedResource(
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
        return found

    @cached_property
    def outputs(self) -> dict[str, PlannedOutput]:
        return {
            name: PlannedOutput(
                name,
                UNKNOWN if change.get("after_unknown") is True else change.get("after"),
                known=not change.get("after_unknown"),
                sensitive=bool(change.get("after_sensitive")),
            )
            for name, change in self.raw.get("output_changes", {}).items()
        }

    @cached_property
    def variables(self) -> dict[str, Any]:
        return {k: v.get("value") for k, v in self.raw.get("variables", {}).items()}

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

    def references(self, address: str, path: str) -> list[str]:
        """What an attribute refers to in the configuration, e.g. `references(addr, "rule.x.kms_key")`.

        Values such as a key ARN are unknown until apply; the reference proves the wiring at plan time. `address`
        is a resource at any depth (instance keys do not matter: the configuration has one entry for them all),
        or a module call, whose input arguments `path` then names (`references("module.vpc", "cidr")`). `path`
        is dot-separated; nested blocks are searched at every index. Another module's output reads
        `module.kms.key_arn`.
        """
        calls, resource = _calls(_CALL, address)
        resource = re.sub(rf"{_KEY}$", "", resource)
        module = self.raw.get("configuration", {}).get("root_module", {})
        for name, _ in calls if resource else calls[:-1]:
            module = module.get("module_calls", {}).get(name, {}).get("module", {})
        if resource:
            found = next((r for r in module.get("resources", []) if r.get("address") == resource), None)
        else:
            found = module.get("module_calls", {}).get(calls[-1][0]) if calls else None
        if found is None:
            raise KeyError(f"{address} is not in the configuration")
        nodes: list[Any] = [found.get("expressions", {})]
        for part in path.split("."):
            step: list[Any] = []
            for node in nodes:
                value = node.get(part) if isinstance(node, dict) else None
                step += value if isinstance(value, list) else [value] if value is not None else []
            nodes = step
        return sorted({ref for node in nodes if isinstance(node, dict) for ref in node.get("references", [])})

    def output(self, name: str) -> Any:
        """The output's planned value; UNKNOWN when it is known only after apply."""
        if name not in self.outputs:
            raise KeyError(f"the plan has no output {name!r}; it has {sorted(self.outputs)}")
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
