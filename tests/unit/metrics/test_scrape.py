"""ServiceMonitor → scrape config, as the Prometheus operator derives it (STRATA-OBS-002, without a cluster).

The live test scrapes with this config, so a wrong derivation there would test a config production never runs.
Here: the chart's own ServiceMonitor in every environment, and the refusals (features not translated, monitors
that select nothing) on small hand-written renders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from stratatest.charts import Chart, Manifests
from stratatest.charts.manifests import selector_matches
from stratatest.errors import ConfigError
from stratatest.metrics.scrape import scrape_jobs, unmonitored_services

pytestmark = pytest.mark.static

SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "shop", "namespace": "shop", "labels": {"app": "shop", "team": "red"}},
    "spec": {"selector": {"app": "shop"}, "ports": [{"name": "web", "port": 80, "targetPort": "http"}]},
}
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "shop", "namespace": "shop"},
    "spec": {
        "selector": {"matchLabels": {"app": "shop"}},
        "template": {
            "metadata": {"labels": {"app": "shop", "tier": "front"}},
            "spec": {"containers": [{"name": "app", "ports": [{"name": "http", "containerPort": 8080}]}]},
        },
    },
}


def monitor(spec: dict[str, Any] | None = None, **endpoint: Any) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "shop", "namespace": "shop"},
        "spec": {
            "selector": {"matchLabels": {"app": "shop"}},
            "endpoints": [{"port": "web", **endpoint}],
            **(spec or {}),
        },
    }


def manifests(*bodies: dict[str, Any]) -> Manifests:
    return Manifests.parse("\n---\n".join(yaml.safe_dump(b) for b in bodies), origin="test render")


@pytest.mark.control("STRATA-OBS-002")
@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_chart_service_monitor_becomes_the_operator_scrape_config(chart: Callable[..., Chart], env: str) -> None:
    rendered = chart("microservice", values=["services/sample/values.yaml"], release="sample").render(
        env=env, namespace="sample"
    )
    jobs = scrape_jobs(rendered, namespace="sample")
    assert len(jobs) == 1, [j.source for j in jobs]
    job = jobs[0]
    config = job.scrape_config("127.0.0.1:9999")
    assert config["job_name"] == "serviceMonitor/sample/sample/0"
    assert config["metrics_path"] == "/metrics"
    assert config["scheme"] == "http"
    interval = rendered.find(kind="ServiceMonitor", name="sample").spec["endpoints"][0]["interval"]
    assert config["scrape_interval"] == interval
    labels = config["static_configs"][0]["labels"]
    assert labels["job"] == "sample"  # the Service name: what the alert rules select on
    assert labels["namespace"] == "sample"
    assert labels["service"] == "sample"
    assert labels["endpoint"] == "http"
    assert labels["container"] == rendered.find(kind="Deployment", name="sample").containers[0].name
    assert labels["pod"].startswith("sample-")
    assert not unmonitored_services(rendered, namespace="sample"), "a Service no ServiceMonitor selects"


@pytest.mark.control("STRATA-OBS-002")
def test_job_label_target_labels_and_endpoint_fields_are_translated() -> None:
    spec = {"jobLabel": "team", "targetLabels": ["team"], "podTargetLabels": ["tier"]}
    endpoint = {"path": "/stats", "scheme": "https", "interval": "15s", "scrapeTimeout": "5s", "honorLabels": True}
    (job,) = scrape_jobs(manifests(SERVICE, DEPLOYMENT, monitor(spec, **endpoint)))
    config = job.scrape_config("127.0.0.1:1")
    assert config["metrics_path"] == "/stats"
    assert config["scheme"] == "https"
    assert (config["scrape_interval"], config["scrape_timeout"]) == ("15s", "5s")
    assert config["honor_labels"] is True
    assert config["static_configs"][0]["labels"] == {
        "job": "red",
        "namespace": "shop",
        "service": "shop",
        "pod": "shop-5c7d9f8b6d-l0cal",
        "container": "app",
        "endpoint": "web",
        "team": "red",
        "tier": "front",
    }


@pytest.mark.control("STRATA-OBS-002")
@pytest.mark.parametrize(
    ("spec", "endpoint", "refused"),
    [
        ({}, {"relabelings": [{"action": "drop"}]}, "relabelings"),
        ({}, {"metricRelabelings": [{"action": "drop"}]}, "metricRelabelings"),
        ({}, {"tlsConfig": {"insecureSkipVerify": True}}, "tlsConfig"),
        ({}, {"bearerTokenFile": "/var/run/token"}, "bearerTokenFile"),
        ({}, {"basicAuth": {"username": {"name": "s", "key": "u"}}}, "basicAuth"),
        ({"sampleLimit": 10}, {}, "sampleLimit"),
        ({"attachMetadata": {"node": True}}, {}, "attachMetadata"),
    ],
)
def test_untranslated_features_are_refused(spec: dict[str, Any], endpoint: dict[str, Any], refused: str) -> None:
    with pytest.raises(ConfigError, match=refused):
        scrape_jobs(manifests(SERVICE, DEPLOYMENT, monitor(spec, **endpoint)))


@pytest.mark.control("STRATA-OBS-002")
def test_monitor_selecting_no_service_is_an_error() -> None:
    other = monitor({"selector": {"matchLabels": {"app": "nope"}}})
    with pytest.raises(ConfigError, match="selects no Service"):
        scrape_jobs(manifests(SERVICE, DEPLOYMENT, other))
    assert [s.name for s in unmonitored_services(manifests(SERVICE, DEPLOYMENT, other))] == ["shop"]


@pytest.mark.control("STRATA-OBS-002")
def test_monitor_in_another_namespace_without_namespace_selector_selects_nothing() -> None:
    elsewhere = monitor()
    elsewhere["metadata"]["namespace"] = "monitoring"
    with pytest.raises(ConfigError, match="selects no Service"):
        scrape_jobs(manifests(SERVICE, DEPLOYMENT, elsewhere))
    elsewhere["spec"]["namespaceSelector"] = {"matchNames": ["shop"]}
    assert len(scrape_jobs(manifests(SERVICE, DEPLOYMENT, elsewhere))) == 1


@pytest.mark.control("STRATA-OBS-002")
def test_endpoint_port_must_be_a_service_port_name() -> None:
    wrong = monitor()
    wrong["spec"]["endpoints"][0]["port"] = "http"  # the container port name, not the Service's
    with pytest.raises(ConfigError, match="not a port of Service/shop"):
        scrape_jobs(manifests(SERVICE, DEPLOYMENT, wrong))


@pytest.mark.control("STRATA-OBS-002")
def test_service_must_select_a_workload_with_the_target_port() -> None:
    orphan = {**SERVICE, "spec": {**SERVICE["spec"], "selector": {"app": "gone"}}}
    with pytest.raises(ConfigError, match="exactly one workload"):
        scrape_jobs(manifests(orphan, DEPLOYMENT, monitor()))


@pytest.mark.control("STRATA-OBS-002")
def test_selector_matching() -> None:
    labels = {"app": "shop", "tier": "front"}
    assert selector_matches({"matchLabels": {"app": "shop"}}, labels)
    assert not selector_matches({"matchLabels": {"app": "shop", "tier": "back"}}, labels)
    assert selector_matches({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}, labels)
    assert not selector_matches(
        {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}, labels
    )
    assert selector_matches({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, labels)
    with pytest.raises(ConfigError):
        selector_matches({"matchExpressions": [{"key": "app", "operator": "Gt"}]}, labels)
