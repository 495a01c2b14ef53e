"""The PromQL queries of a Grafana dashboard JSON, with its template variables, for checks against a real Prometheus.

Panels nest inside rows (`panels[].panels[]`; old schema: `rows[].panels[]`); each Prometheus target carries its
query in `expr`. Template variables come from `templating.list`: constants, custom and interval variables have
their value in the JSON; query variables (e.g. `$job`) get theirs from the caller, who knows what is live.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stratatest.errors import ConfigError
from stratatest.metrics.promql import expand_variables


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str  # file name
    panel: str  # panel title (not unique: a stat and a graph may share one)
    panel_id: str
    ref_id: str
    expr: str

    @property
    def id(self) -> str:
        return f"{self.dashboard}#{self.panel_id} {self.panel} {self.ref_id}"


def load(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ConfigError(f"dashboard {path} is not readable JSON: {err}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"dashboard {path} is not a JSON object")
    inner = document.get("dashboard")
    return inner if isinstance(inner, dict) else document  # the HTTP API's export wraps it in {"dashboard": ...}


def _panels(container: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in [*(container.get("panels") or []), *(container.get("rows") or [])]:
        yield panel
        yield from _panels(panel)


def queries(path: Path) -> list[PanelQuery]:
    """Every non-hidden target with an `expr` in the dashboard, in panel order."""
    document = load(path)
    found = []
    for panel in _panels(document):
        for target in panel.get("targets") or []:
            expr = (target.get("expr") or "").strip()
            if expr and not target.get("hide"):
                title = str(panel.get("title") or f"panel {panel.get('id', '?')}")
                ids = (str(panel.get("id", "?")), str(target.get("refId", "")))
                found.append(PanelQuery(path.name, title, *ids, expr))
    return found


def variables(path: Path, live: Mapping[str, str]) -> dict[str, str]:
    """Values for every template variable: `live` first, then the dashboard's own constant/custom/interval values.

    A query variable without a live value is a ConfigError naming it (guessing a value would test another query).
    """
    values: dict[str, str] = {}
    for variable in (load(path).get("templating") or {}).get("list") or []:
        name, kind = variable.get("name"), variable.get("type")
        if name in live:
            values[name] = live[name]
        elif kind == "datasource":
            continue  # selects the Prometheus; never part of an expression
        elif kind == "constant":
            values[name] = str(variable.get("query", ""))
        elif kind in ("custom", "interval", "textbox"):
            current = (variable.get("current") or {}).get("value")
            if isinstance(current, list):
                current = "|".join(current)
            values[name] = str(current if current is not None else variable.get("query", ""))
        else:
            raise ConfigError(f"{path.name}: template variable ${name} ({kind}) needs a live value")
    return {**values, **live}


def expanded(query: PanelQuery, values: Mapping[str, str]) -> str:
    return expand_variables(query.expr, values)


@dataclass(frozen=True)
class VariableQuery:
    """A query variable `label_values(<selector>, <label>)`: the dashboard offers `label`'s values of `selector`."""

    name: str
    selector: str
    label: str


_LABEL_VALUES = re.compile(
    r"^\s*label_values\(\s*(?P<selector>.+?)\s*,\s*(?P<label>[A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$", re.S
)


def variable_queries(path: Path) -> list[VariableQuery]:
    """The `label_values(selector, label)` query variables; any other query-variable form is a ConfigError."""
    found = []
    for variable in (load(path).get("templating") or {}).get("list") or []:
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else str(query or variable.get("definition", ""))
        match = _LABEL_VALUES.match(text)
        if not match:
            raise ConfigError(f"{path.name}: variable ${variable.get('name')} query {text!r} is not label_values(x, y)")
        found.append(VariableQuery(str(variable.get("name")), match["selector"], match["label"]))
    return found
