"""Argo Rollouts objects against the typed models from npm: valid, invalid with the field named (a misspelt field
too, which the generated schemas alone accept), or not validated with the reason where node cannot be had."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from stratatest.charts import Manifest, argo_schema
from stratatest.charts.schema import Status, validate

ROLLOUT = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Rollout",
    "metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "web"}},
    "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "scaleDown": "progressively"},
        "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {"duration": "1m"}}]}},
    },
}
TEMPLATE = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "AnalysisTemplate",
    "metadata": {"name": "web"},
    "spec": {
        "args": [{"name": "job"}],
        "metrics": [
            {
                "name": "errors",
                "interval": "1m",
                "count": 3,
                "successCondition": "result[0] < 0.01",
                "provider": {"prometheus": {"address": "http://prom:9090", "query": "up"}},
            }
        ],
    },
}

needs_node = pytest.mark.skipif(
    not (shutil.which("node") and shutil.which("npm")), reason="needs node and npm (Debian: nodejs npm)"
)


@needs_node
@pytest.mark.parametrize("body", [ROLLOUT, TEMPLATE], ids=["Rollout", "AnalysisTemplate"])
def test_valid(body: dict) -> None:
    result = validate(Manifest(body), "1.32")
    if result.status is Status.NOT_VALIDATED:  # npm could not fetch the models: said, never valid
        pytest.skip(result.detail)
    assert result.status is Status.VALID, str(result)


@needs_node
@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("spec", "strategy", "canary", "steps", 0, "setWeight"), "twenty", "setWeight must be integer"),
        (("spec", "strategy", "canary", "stepz"), [], "unknown field(s): spec.strategy.canary.stepz"),
        (("spec", "workloadRef", "scaleDwn"), "never", "unknown field(s): spec.workloadRef.scaleDwn"),
    ],
    ids=["wrong-type", "misspelt-field", "misspelt-nested-field"],
)
def test_invalid_names_the_field(path: tuple, value: object, expected: str) -> None:
    body = copy.deepcopy(ROLLOUT)
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    result = validate(Manifest(body), "1.32")
    if result.status is Status.NOT_VALIDATED:
        pytest.skip(result.detail)
    assert result.status is Status.INVALID and expected in result.detail, str(result)


def test_without_node_it_is_not_validated_with_the_reason(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: neither node nor npm on PATH
    installed = argo_schema.models.__wrapped__()
    assert installed.folder is None and "node and npm" in installed.reason
