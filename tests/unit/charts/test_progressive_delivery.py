"""Progressive delivery in the chart (STRATA-K8S-014): prod rolls out through an Argo Rollouts canary (blue-green as a
value), every step gated by the chart's AnalysisTemplate on the metrics the ServiceMonitor has Prometheus scrape.

Read from the renders, without a cluster: the Rollout runs the Deployment's pod template (workloadRef, so the pod
controls keep reading it) and takes over from it progressively; the HPA scales the Rollout; every analysis names
the release's AnalysisTemplate and gives each of its arguments; the queries, with those arguments, select the
series by the very labels the scrape derived from the ServiceMonitor gives them; the conditions are in the
expression subset stratatest evaluates. Whether the queries and conditions pass on a healthy service and fail on a
faulty one is tested for real in tests/unit/metrics/test_analysis_live.py. The Rollout and AnalysisTemplate are
validated against Argo Rollouts' typed models (charts/argo_schema.py) where node and npm are available.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from stratatest.charts import Chart, Manifest, Manifests
from stratatest.charts.schema import Status, validate
from stratatest.metrics import analysis
from stratatest.metrics.scrape import scrape_jobs

from .deployments import DEPLOYMENTS, ENVS, kubernetes_version

pytestmark = [pytest.mark.static, pytest.mark.control("STRATA-K8S-014")]

NAMESPACE = DEPLOYMENTS["sample"]["namespace"]
BLUE_GREEN = {"rollout": {"strategy": "blueGreen"}}
METRICS = {"error-ratio": "http_requests_total", "latency-p99": "http_request_duration_seconds_bucket"}


@pytest.fixture(scope="module")
def prod(rendered: Callable[[str, str], Manifests]) -> Manifests:
    return rendered("sample", "prod")


@pytest.fixture(scope="module")
def blue_green(deployed: Callable[[str], Chart]) -> Manifests:
    return deployed("sample").render(env="prod", namespace=NAMESPACE, values=BLUE_GREEN)


def _selector_labels(query: str) -> list[dict[str, str]]:
    """The equality matchers of every selector in a PromQL query (`{job="x", namespace="y"}` → {...})."""
    return [dict(re.findall(r'(\w+)="([^"]*)"', body)) for body in re.findall(r"\{([^{}]*)\}", query)]


@pytest.mark.parametrize("env", [e for e in ENVS if e != "prod"])
def test_other_environments_roll_out_the_deployment_itself(rendered: Callable[[str, str], Manifests], env: str) -> None:
    m = rendered("sample", env)
    assert not m.all("Rollout") and not m.all("AnalysisTemplate"), f"{env} renders Argo Rollouts objects"
    target = m.find("HorizontalPodAutoscaler").spec["scaleTargetRef"]
    assert target["kind"] == "Deployment"


def test_prod_canary_gates_every_weight_with_the_analysis(prod: Manifests) -> None:
    rollout = prod.find("Rollout", "sample")
    steps = rollout.spec["strategy"]["canary"]["steps"]
    weights = [i for i, step in enumerate(steps) if "setWeight" in step]
    assert weights, f"{rollout.ref} has no canary weight"
    for index in weights:  # a weight is held, then analysed, before the next one (or full promotion)
        following = steps[index + 1 : next((w for w in weights if w > index), len(steps))]
        assert any("analysis" in step for step in following), f"{rollout.ref} steps[{index}] is not gated: {steps}"
    assert [steps[i]["setWeight"] for i in weights] == sorted(steps[i]["setWeight"] for i in weights)


def test_prod_rollout_takes_over_from_the_deployment_without_downtime(prod: Manifests) -> None:
    """The Deployment stays rendered (the pods it has keep serving), the Rollout runs its template and scales it
    down as its own pods become available, and the HPA scales the Rollout (the Deployment is no HPA's target)."""
    rollout, deployment = prod.find("Rollout", "sample"), prod.find("Deployment", "sample")
    ref = rollout.spec["workloadRef"]
    assert (ref["apiVersion"], ref["kind"], ref["name"]) == ("apps/v1", "Deployment", deployment.name)
    assert ref["scaleDown"] in ("progressively", "onsuccess"), f"{rollout.ref} scaleDown {ref['scaleDown']}"
    assert rollout.spec["selector"] == deployment.spec["selector"]
    assert "replicas" not in deployment.spec, "the Rollout controller sets the Deployment's count, not Git"
    assert "replicas" not in rollout.spec, "with the HPA on, Git must not fight it over the Rollout's count"
    target = prod.find("HorizontalPodAutoscaler").spec["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == ("argoproj.io/v1alpha1", "Rollout", "sample")


def test_blue_green_is_available_as_a_value(blue_green: Manifests) -> None:
    rollout = blue_green.find("Rollout", "sample")
    strategy = rollout.spec["strategy"]["blueGreen"]
    services = {s.name: s for s in blue_green.all("Service")}
    assert strategy["activeService"] == "sample" and strategy["previewService"] == "sample-preview"
    assert set(services) == {"sample", "sample-preview"}
    assert services["sample-preview"].spec["selector"] == services["sample"].spec["selector"]
    refs = {r.where.rsplit(" ", 1)[1]: r for r in analysis.rollout_analyses(rollout)}
    assert refs["blueGreen.prePromotionAnalysis"].args["service-name"] == "sample-preview"
    assert refs["blueGreen.postPromotionAnalysis"].args["service-name"] == "sample"


@pytest.mark.parametrize("strategy", ["canary", "blueGreen"])
def test_every_analysis_resolves_against_the_scraped_labels(
    prod: Manifests, blue_green: Manifests, strategy: str
) -> None:
    """Each analysis names the release's AnalysisTemplate and gives every argument it needs; with them, its queries
    select the job and namespace labels the ServiceMonitor's scrape gives the measured Service's series."""
    m = prod if strategy == "canary" else blue_green
    refs = analysis.rollout_analyses(m.find("Rollout", "sample"))
    assert refs, "the Rollout runs no analysis"
    scraped = {job.labels["service"]: job.labels for job in scrape_jobs(m, namespace=NAMESPACE)}
    for ref in refs:
        assert ref.templates == ("sample",), f"{ref.where} runs {ref.templates}"
        template = m.find("AnalysisTemplate", "sample")
        resolved = {metric.name: metric for metric in analysis.metrics(template, ref.args)}
        assert set(resolved) == set(METRICS), f"{template.ref} metrics {sorted(resolved)}"
        labels = scraped[ref.args["service-name"]]
        for name, metric in resolved.items():
            selectors = _selector_labels(metric.query)
            assert selectors and METRICS[name] in metric.query, metric.query
            for selector in selectors:
                wanted = {k: selector[k] for k in ("job", "namespace")}
                assert wanted == {k: labels[k] for k in ("job", "namespace")}, f"{ref.where} {name}: {selector}"
            assert metric.success_condition and metric.failure_condition, "no data must be inconclusive, not a pass"
            assert metric.count >= 1 and metric.interval_s > 0


def test_analysis_reads_the_platform_prometheus(prod: Manifests) -> None:
    for metric in analysis.metrics(prod.find("AnalysisTemplate", "sample"), {"service-name": "s", "namespace": "n"}):
        assert re.match(r"^https?://[^/]+\.monitoring\.svc(\.cluster\.local)?:9090$", metric.address), metric.address


@pytest.mark.parametrize("strategy", ["canary", "blueGreen"])
def test_rollout_and_analysis_template_validate(prod: Manifests, blue_green: Manifests, strategy: str) -> None:
    m = prod if strategy == "canary" else blue_green
    objects: list[Manifest] = [m.find("Rollout", "sample"), m.find("AnalysisTemplate", "sample")]
    results = [validate(o, kubernetes_version("prod")) for o in objects]
    invalid = [str(r) for r in results if r.status is Status.INVALID]
    assert not invalid, "Argo Rollouts' typed models reject:\n  " + "\n  ".join(invalid)
    unchecked = [str(r) for r in results if r.status is Status.NOT_VALIDATED]
    if unchecked:
        pytest.skip("not validated: " + "; ".join(unchecked))


def test_validation_catches_a_misspelt_field(prod: Manifests) -> None:
    """The model check must be able to fail: a misspelt field the API server would drop is invalid here."""
    body = prod.find("Rollout", "sample").body
    typo = {**body, "spec": {**body["spec"], "workloadRef": {**body["spec"]["workloadRef"], "scaleDwn": "never"}}}
    result = validate(Manifest(typo), kubernetes_version("prod"))
    if result.status is Status.NOT_VALIDATED:
        pytest.skip(f"not validated: {result.detail}")
    assert result.status is Status.INVALID and "scaleDwn" in result.detail, str(result)
