"""Offline schema validation: valid, invalid with the field named, or honestly not validated."""

from __future__ import annotations

import copy

from stratatest.charts import Manifest
from stratatest.charts.schema import Status, validate

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "w"}]}},
    },
}
MONITOR = {
    "apiVersion": "monitoring.coreos.com/v1",
    "kind": "ServiceMonitor",
    "metadata": {"name": "web"},
    "spec": {"selector": {"matchLabels": {"app": "web"}}, "endpoints": [{"port": "http", "interval": "15s"}]},
}


def test_valid_built_in_kind() -> None:
    assert validate(Manifest(DEPLOYMENT), "1.32").status is Status.VALID


def test_misspelt_field_is_invalid_not_dropped() -> None:
    body = copy.deepcopy(DEPLOYMENT)
    body["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {"readOnlyRootFileSystem": True}
    result = validate(Manifest(body), "1.32")
    assert result.status is Status.INVALID
    assert "readOnlyRootFileSystem" in result.detail


def test_wrong_type_names_the_path() -> None:
    body = copy.deepcopy(DEPLOYMENT)
    body["spec"]["replicas"] = "two"
    result = validate(Manifest(body), "1.32")
    assert (result.status, result.detail.split(":")[0]) == (Status.INVALID, "spec.replicas")


def test_crd_models_validate_strictly() -> None:
    assert validate(Manifest(MONITOR), "1.32").status is Status.VALID
    body = copy.deepcopy(MONITOR)
    body["spec"]["endpoints"][0]["intervall"] = "1s"
    result = validate(Manifest(body), "1.32")
    assert result.status is Status.INVALID and "spec.endpoints.0.intervall" in result.detail


def test_unknown_crd_is_not_validated_with_a_reason() -> None:
    app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "a"}}
    result = validate(Manifest(app), "1.32")
    assert result.status is Status.NOT_VALIDATED
    assert "argoproj.io/v1alpha1 Application" in result.detail
