"""Reading panel queries and template variables out of Grafana dashboard JSON (what STRATA-OBS-004 checks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stratatest.errors import ConfigError
from stratatest.metrics import grafana

pytestmark = pytest.mark.static

DASHBOARD: dict[str, Any] = {
    "panels": [
        {"id": 1, "title": "Top", "targets": [{"refId": "A", "expr": "up"}, {"refId": "B", "expr": "x", "hide": True}]},
        {
            "id": 2,
            "type": "row",
            "title": "Collapsed",
            "panels": [{"id": 3, "title": "Inner", "targets": [{"refId": "A", "expr": 'rate(a{job="$job"}[$w])'}]}],
        },
        {"id": 4, "title": "Text", "type": "text"},
    ],
    "templating": {
        "list": [
            {"name": "ds", "type": "datasource"},
            {"name": "job", "type": "query", "query": {"query": 'label_values(up{namespace="$ns"}, job)'}},
            {"name": "ns", "type": "constant", "query": "sample"},
            {"name": "w", "type": "interval", "current": {"value": "1m"}},
            {"name": "route", "type": "custom", "current": {"value": ["/a", "/b"]}},
        ]
    },
}


def write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "d.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.control("STRATA-OBS-004")
def test_queries_include_nested_panels_and_skip_hidden_targets(tmp_path: Path) -> None:
    found = grafana.queries(write(tmp_path, DASHBOARD))
    assert [(q.panel_id, q.panel, q.ref_id, q.expr) for q in found] == [
        ("1", "Top", "A", "up"),
        ("3", "Inner", "A", 'rate(a{job="$job"}[$w])'),
    ]
    wrapped = grafana.queries(write(tmp_path, {"dashboard": DASHBOARD}))  # the HTTP API's export format
    assert [q.expr for q in wrapped] == [q.expr for q in found]


@pytest.mark.control("STRATA-OBS-004")
def test_variables_take_live_values_then_the_dashboards_own(tmp_path: Path) -> None:
    path = write(tmp_path, DASHBOARD)
    values = grafana.variables(path, {"job": "sample"})
    assert values == {"job": "sample", "ns": "sample", "w": "1m", "route": "/a|/b"}
    (query,) = [q for q in grafana.queries(path) if q.panel == "Inner"]
    assert grafana.expanded(query, values) == 'rate(a{job="sample"}[1m])'
    with pytest.raises(ConfigError, match=r"\$job"):
        grafana.variables(path, {})


@pytest.mark.control("STRATA-OBS-004")
def test_variable_queries(tmp_path: Path) -> None:
    (query,) = grafana.variable_queries(write(tmp_path, DASHBOARD))
    assert (query.name, query.selector, query.label) == ("job", 'up{namespace="$ns"}', "job")
    odd = {"templating": {"list": [{"name": "m", "type": "query", "query": "metrics(http_.*)"}]}}
    with pytest.raises(ConfigError, match="not label_values"):
        grafana.variable_queries(write(tmp_path, odd))
