"""Chart layer, static: helm lint --strict, render per environment, offline schema validation, values schema.

What helm-unittest and chart-testing do, with the real helm the suite provisions: every environment's render
is linted and every rendered object validated against the Kubernetes version that environment's EKS runs (a
CRD nothing here can validate is reported as not validated: skipped with the reason, never passed).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml

from stratatest.charts import Chart, Manifests
from stratatest.charts.schema import Status, validate
from stratatest.errors import ConfigError

from .deployments import DEPLOYMENTS, ENVS, ROOT, kubernetes_version

pytestmark = pytest.mark.static

CASES = [pytest.param(release, env, id=f"{release}-{env}") for release in DEPLOYMENTS for env in ENVS]
SAMPLE_KINDS = {
    "Deployment",
    "Service",
    "ServiceAccount",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "ServiceMonitor",
    "PrometheusRule",
}
ALERTS = {
    "MicroserviceHighErrorRate",
    "MicroserviceHighLatencyP99",
    "MicroservicePodCrashLooping",
    "MicroserviceHPAAtMaxReplicas",
}


@pytest.mark.parametrize(("release", "env"), CASES)
def test_lint_strict(deployed: Callable[[str], Chart], release: str, env: str) -> None:
    result = deployed(release).lint(env=env)
    assert result.ok, f"{result.command} failed:\n" + "\n".join(result.problems or [result.output])


@pytest.mark.parametrize(("release", "env"), CASES)
def test_every_environment_has_an_overlay(deployed: Callable[[str], Chart], release: str, env: str) -> None:
    assert env in deployed(release).environments


@pytest.mark.parametrize("env", ENVS)
def test_sample_renders_every_object_it_needs(rendered: Callable[[str, str], Manifests], env: str) -> None:
    m = rendered("sample", env)
    assert set(m.kinds) >= SAMPLE_KINDS, f"missing {SAMPLE_KINDS - set(m.kinds)}; {m.origin}"
    assert all(o.namespace in (None, "sample") for o in m), "objects pinned to another namespace"


@pytest.mark.parametrize(("release", "env"), CASES)
def test_schema_valid_for_the_cluster_version(
    rendered: Callable[[str, str], Manifests], release: str, env: str
) -> None:
    version = kubernetes_version(env)
    results = [validate(o, version) for o in rendered(release, env)]
    invalid = [str(r) for r in results if r.status is Status.INVALID]
    assert not invalid, f"Kubernetes {version} schemas reject:\n  " + "\n  ".join(invalid)
    unchecked = [str(r) for r in results if r.status is Status.NOT_VALIDATED]
    if unchecked:
        pytest.skip("not validated (no schema here): " + "; ".join(unchecked))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"image": {"tag": "latest"}}, "image.tag"),
        ({"replicaCount": "two"}, "replicaCount"),
        ({"resources": {"limits": {"cpu": "lots"}}}, "cpu"),
        ({"imagee": {}}, "imagee"),
    ],
    ids=["latest-tag", "wrong-type", "bad-quantity", "misspelt-key"],
)
def test_values_schema_refuses_bad_values(deployed: Callable[[str], Chart], values: dict, expected: str) -> None:
    """A wrong value fails the render with helm's schema message naming the key, before any cluster sees it."""
    with pytest.raises(ConfigError, match=expected):
        deployed("sample").render(env="dev", values=values)


@pytest.mark.control("STRATA-OBS-002")
@pytest.mark.parametrize("env", ENVS)
def test_service_monitor_selects_the_service(rendered: Callable[[str, str], Manifests], env: str) -> None:
    m = rendered("sample", env)
    monitor, service = m.find("ServiceMonitor"), m.find("Service")
    assert monitor.selects(service.labels), f"{monitor.ref} selector does not match {service.ref} labels"
    ports = {p.get("name") for p in service.spec.get("ports") or []}
    endpoints = monitor.spec.get("endpoints") or []
    assert endpoints and all(e.get("port") in ports for e in endpoints), (
        f"{monitor.ref} scrapes ports {[e.get('port') for e in endpoints]}; {service.ref} has {sorted(ports)}"
    )
    namespaces = (monitor.spec.get("namespaceSelector") or {}).get("matchNames")
    assert namespaces in (None, ["sample"]), f"{monitor.ref} looks in namespaces {namespaces}, not sample"


@pytest.mark.control("STRATA-OBS-002", "STRATA-OBS-003")
@pytest.mark.parametrize("env", ENVS)
def test_monitoring_stack_selects_the_monitor_and_rules(rendered: Callable[[str, str], Manifests], env: str) -> None:
    """The operator's selectors (platform/monitoring values) match the labels the chart puts on both objects."""
    values = _merged_monitoring_values(env)
    spec = values["prometheus"]["prometheusSpec"]
    m = rendered("sample", env)
    for kind, key in (("ServiceMonitor", "serviceMonitorSelector"), ("PrometheusRule", "ruleSelector")):
        wanted = (spec.get(key) or {}).get("matchLabels") or {}
        labels = m.find(kind).labels
        assert wanted, f"platform/monitoring values set no {key}.matchLabels: the operator would pick up anything"
        assert all(labels.get(k) == v for k, v in wanted.items()), f"{kind} labels {labels} miss {key} {wanted}"


def _merged_monitoring_values(env: str) -> dict:
    """values.yaml overlaid by values-<env>.yaml, as helm merges maps (the overlay wins)."""

    def merge(base: dict, top: dict) -> dict:
        out = dict(base)
        for key, value in top.items():
            out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        return out

    folder = ROOT / "platform" / "monitoring"
    base = yaml.safe_load((folder / "values.yaml").read_text()) or {}
    overlay = folder / f"values-{env}.yaml"
    return merge(base, yaml.safe_load(overlay.read_text()) or {}) if overlay.is_file() else base


@pytest.mark.control("STRATA-OBS-003")
@pytest.mark.parametrize("env", ENVS)
def test_prometheus_rule_has_the_service_alerts(rendered: Callable[[str, str], Manifests], env: str) -> None:
    rule = rendered("sample", env).find("PrometheusRule")
    alerts = {r["alert"]: r for g in rule.spec.get("groups") or [] for r in g.get("rules") or [] if "alert" in r}
    assert set(alerts) >= ALERTS, f"{rule.ref} lacks {sorted(ALERTS - set(alerts))}"
    for name in ALERTS:
        labels = alerts[name].get("labels") or {}
        assert labels.get("service") == "sample" and labels.get("severity"), f"{name} labels: {labels}"


def test_charts_folder_has_only_known_deployments() -> None:
    """A new chart must join DEPLOYMENTS (so every layer above checks it), not sit untested."""
    charts = {p.parent.name for p in (ROOT / "charts").glob("*/Chart.yaml")}
    assert charts == {spec["chart"] for spec in DEPLOYMENTS.values()}, f"charts/ has {sorted(charts)}"


def test_missing_environment_is_a_clear_error(deployed: Callable[[str], Chart]) -> None:
    with pytest.raises(ConfigError, match=r"no values-qa\.yaml"):
        deployed("sample").render(env="qa")


def test_unknown_chart_is_a_clear_error(chart: Callable[..., Chart]) -> None:
    with pytest.raises(ConfigError, match="not a Helm chart"):
        chart("no-such-chart")
