"""A real Prometheus scraping the real sample service, configured from the chart: no cluster, no fakes.

One module-scoped stack: the sample service (admin routes on, 127.0.0.1), and Prometheus with the scrape config
derived from the chart's rendered ServiceMonitor and the chart's rendered PrometheusRule loaded. The chart is
rendered with prod values plus short timings so alerts can fire within seconds:

- ServiceMonitor interval 1s (scrapeTimeout 1s); Prometheus evaluation interval 1s;
- error-rate and p99 windows 20s, crash-loop window 30s, every `for` 0s (thresholds stay prod's: 2% 5xx, 0.5 s).

kube-state-metrics series (crash looping, HPA at max) cannot exist without a cluster: they are reported NOT
ASSESSED (skipped with the reason), never passed. Tests run in file order: the healthy checks come before the
fault injection, which is always undone.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stratatest.charts import Chart, Manifest, Manifests
from stratatest.metrics import grafana, promtool
from stratatest.metrics.prometheus import Prometheus, wait_for
from stratatest.metrics.promql import cluster_source, metric_names
from stratatest.metrics.scrape import ScrapeJob, scrape_jobs

APT = "apt-get install --no-install-recommends prometheus"
pytestmark = [
    pytest.mark.static,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason=f"needs the prometheus binary on PATH: {APT}"),
]

ROOT = Path(__file__).resolve().parents[3]
DASHBOARDS = sorted((ROOT / "platform" / "monitoring" / "dashboards").glob("*.json"))
NAMESPACE = "sample"
#: prod + short timings (see the module docstring): a 20 s window holds ~20 samples at a 1 s scrape.
LIVE_VALUES: dict[str, Any] = {
    "metrics": {"serviceMonitor": {"interval": "1s", "scrapeTimeout": "1s"}},
    "alerts": {
        "errorRate": {"window": "20s", "for": "0s"},
        "latencyP99": {"window": "20s", "for": "0s"},
        "crashLooping": {"window": "30s", "for": "0s"},
        "hpaAtMax": {"for": "0s"},
    },
}
#: Grafana's interval variables as Grafana would set them for a 1 s scrape and a short time range.
GRAFANA_INTERVALS = {"__rate_interval": "20s", "__interval": "5s", "__range": "5m"}
FIRE_TIMEOUT_S = 45.0
DATA_TIMEOUT_S = 20.0


@dataclass
class Live:
    service: Any  # stratatest.services.SampleProcess
    prometheus: Prometheus
    rendered: Manifests
    rule: Manifest
    jobs: list[ScrapeJob]

    @property
    def job(self) -> str:
        return self.jobs[0].job

    def traffic(self, requests: int = 30) -> list[int]:
        """A bounded burst of GET /api/items; returns the statuses (5xx included: they are data)."""
        return [self.service.get("/api/items", timeout=5.0)[0] for _ in range(requests)]

    def rule_expressions(self) -> dict[str, str]:
        return {r.get("alert") or r["record"]: r["expr"] for g in self.rule.spec["groups"] for r in g["rules"]}


@pytest.fixture(scope="module")
def live(
    chart: Callable[..., Chart], sample_service: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    sample = chart("microservice", values=["services/sample/values.yaml"], release="sample")
    rendered = sample.render(env="prod", namespace=NAMESPACE, values=LIVE_VALUES)
    rule = rendered.find(kind="PrometheusRule", name="sample")
    workdir = tmp_path_factory.mktemp("prometheus")
    rule_file = promtool.write_rule_file(rule, workdir / "sample.rules.yaml")
    jobs = scrape_jobs(rendered, namespace=NAMESPACE)
    with ExitStack() as stack:  # unwinds in reverse: Prometheus stops, then the service
        service = stack.enter_context(sample_service(admin=True))
        configs = [job.scrape_config(f"127.0.0.1:{service.port}") for job in jobs]
        prometheus = stack.enter_context(
            Prometheus(configs, rule_files=[rule_file], evaluation_interval="1s", workdir=workdir / "server")
        )
        yield Live(service, prometheus, rendered, rule, jobs)


@pytest.fixture(scope="module")
def scraped(live: Live) -> set[str]:
    """Metric names Prometheus holds once traffic has been scraped and the HTTP series have rate() data."""
    live.prometheus.wait_for_targets_up(timeout=30)

    def has_rates() -> set[str] | None:
        live.traffic()
        rate = live.prometheus.query(f'sum(rate(http_requests_total{{job="{live.job}"}}[20s])) > 0')
        return live.prometheus.series_names() if rate else None

    return wait_for(has_rates, timeout=DATA_TIMEOUT_S, what="request rate visible in Prometheus", every=0.5)


def _dashboard_queries() -> list[grafana.PanelQuery]:
    return [query for path in DASHBOARDS for query in grafana.queries(path)]


def _expanded(live: Live, query: grafana.PanelQuery) -> str:
    path = next(p for p in DASHBOARDS if p.name == query.dashboard)
    values = grafana.variables(path, {"job": live.job, "namespace": NAMESPACE, **GRAFANA_INTERVALS})
    return grafana.expanded(query, values)


def _service_and_cluster_names(exprs: list[str]) -> tuple[set[str], dict[str, str]]:
    names = set().union(*(metric_names(e) for e in exprs)) if exprs else set()
    cluster = {n: source for n in names if (source := cluster_source(n))}
    return names - set(cluster), cluster


# --- tests, in order ------------------------------------------------------------------------------------


@pytest.mark.control("STRATA-OBS-002")
def test_target_from_the_service_monitor_is_up(live: Live) -> None:
    targets = live.prometheus.wait_for_targets_up(timeout=30)
    assert [t.scrape_pool for t in targets] == ["serviceMonitor/sample/sample/0"], targets
    (target,) = targets
    assert target.scrape_url == f"http://127.0.0.1:{live.service.port}/metrics"
    labels = {k: target.labels.get(k) for k in ("job", "namespace", "service", "endpoint")}
    assert labels == {"job": "sample", "namespace": NAMESPACE, "service": "sample", "endpoint": "http"}
    assert target.labels.get("pod", "").startswith("sample-")
    up = live.prometheus.query('up{job="sample", namespace="sample"}')
    assert [s["value"][1] for s in up] == ["1"], up


@pytest.mark.control("STRATA-OBS-003")
def test_the_chart_rules_are_loaded_and_evaluate_cleanly(live: Live) -> None:
    def evaluated() -> list[dict[str, Any]] | None:
        rules = live.prometheus.rules()
        return rules if rules and all(r.get("lastEvaluation", "").startswith("20") for r in rules) else None

    rules = wait_for(evaluated, timeout=15, what="every rule evaluated once")
    assert sorted(r["name"] for r in rules) == sorted(live.rule_expressions())
    unhealthy = [(r["name"], r.get("health"), r.get("lastError")) for r in rules if r.get("health") != "ok"]
    assert not unhealthy, f"rules failing to evaluate: {unhealthy}\n{live.prometheus.log_tail()}"


@pytest.mark.control("STRATA-OBS-003", "STRATA-OBS-004")
def test_every_service_series_the_rules_and_dashboards_read_is_scraped(live: Live, scraped: set[str]) -> None:
    exprs = [*live.rule_expressions().values(), *(q.expr for q in _dashboard_queries())]
    wanted, _ = _service_and_cluster_names(exprs)
    assert wanted, "no service metric referenced: nothing would be checked"
    missing = sorted(wanted - scraped)
    assert not missing, f"referenced but not scraped from the service: {missing}; scraped: {sorted(scraped)}"
    for name in sorted(wanted):  # the series must also carry the job label the queries select on
        found = live.prometheus.query(f'count({{__name__="{name}", job="{live.job}", namespace="{NAMESPACE}"}})')
        assert found, f"{name} exists but not with job={live.job!r}, namespace={NAMESPACE!r}"


@pytest.mark.control("STRATA-OBS-003", "STRATA-OBS-004")
def test_cluster_exporter_series_are_not_assessed(live: Live) -> None:
    exprs = [*live.rule_expressions().values(), *(q.expr for q in _dashboard_queries())]
    _, cluster = _service_and_cluster_names(exprs)
    if not cluster:
        pytest.skip("no rule or panel reads in-cluster exporter series: nothing to report as not assessed")
    listed = ", ".join(f"{name} ({source})" for name, source in sorted(cluster.items()))
    pytest.skip(f"NOT ASSESSED without a cluster: {listed} — exporters that run only inside Kubernetes")


@pytest.mark.control("STRATA-OBS-004")
def test_dashboards_exist() -> None:
    assert DASHBOARDS, "no dashboards under platform/monitoring/dashboards"
    assert _dashboard_queries(), f"no panel queries in {[p.name for p in DASHBOARDS]}"


@pytest.mark.control("STRATA-OBS-004")
@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=[p.name for p in DASHBOARDS])
def test_dashboard_variables_resolve_to_the_live_service(live: Live, scraped: set[str], dashboard: Path) -> None:
    expected = {"job": live.job, "namespace": NAMESPACE}
    for variable in grafana.variable_queries(dashboard):
        selector = grafana.expand_variables(variable.selector, {"job": live.job, "namespace": NAMESPACE})
        offered = {s["metric"].get(variable.label) for s in live.prometheus.query(selector)}
        if variable.name in expected:
            assert expected[variable.name] in offered, f"${variable.name} from {selector} offers {offered}"
        else:
            assert offered - {None}, f"${variable.name} from {selector} offers nothing"


@pytest.mark.control("STRATA-OBS-004")
@pytest.mark.parametrize("query", _dashboard_queries(), ids=lambda q: q.id)
def test_dashboard_panel_reads_only_scraped_metrics_and_returns_data(
    live: Live, scraped: set[str], query: grafana.PanelQuery
) -> None:
    service, cluster = _service_and_cluster_names([query.expr])
    if cluster:
        pytest.skip(f"NOT ASSESSED without a cluster: {query.id} reads {sorted(cluster)}")
    missing = sorted(service - scraped)
    assert not missing, f"{query.id} reads metrics the service does not expose: {missing}\n{query.expr}"
    promql = _expanded(live, query)

    def data() -> list[dict[str, Any]] | None:
        live.traffic(10)
        return live.prometheus.query(promql) or None

    try:
        wait_for(data, timeout=DATA_TIMEOUT_S, what=f"data for {query.id}", every=0.5)
    except TimeoutError:
        pytest.fail(f"{query.id} returns no data against the live scrape:\n{promql}")


@pytest.mark.control("STRATA-OBS-003")
def test_no_alert_fires_while_healthy(live: Live, scraped: set[str]) -> None:
    statuses = live.traffic(50)
    assert set(statuses) == {200}, f"the service is not healthy: statuses {sorted(set(statuses))}"
    # The rules must have seen this traffic (rate over their window), or "silent" would mean "blind".
    window_rate = f'sum(rate(http_requests_total{{job="{live.job}"}}[20s]))'
    assert float(live.prometheus.query(window_rate)[0]["value"][1]) > 0
    before = {r["name"]: r.get("lastEvaluation") for r in live.prometheus.rules()}

    def evaluated_again() -> bool:  # at least one evaluation of every rule over the fresh traffic
        return all(r.get("lastEvaluation") != before.get(r["name"]) for r in live.prometheus.rules())

    wait_for(evaluated_again, timeout=10, what="a fresh evaluation of every rule")
    active = [(a.name, a.state, a.labels) for a in live.prometheus.alerts()]
    assert not active, f"alerts active on a healthy service: {active}"


@pytest.mark.control("STRATA-OBS-003")
def test_error_rate_alert_fires_when_every_request_fails(live: Live, scraped: set[str]) -> None:
    started = time.monotonic()
    live.service.set_fault(error_rate=1.0)
    try:

        def firing() -> Any:
            live.traffic(20)
            return next(
                (a for a in live.prometheus.alerts() if a.name == "MicroserviceHighErrorRate" and a.state == "firing"),
                None,
            )

        try:
            alert = wait_for(firing, timeout=FIRE_TIMEOUT_S, what="MicroserviceHighErrorRate firing", every=0.5)
        except TimeoutError:
            active = [(a.name, a.state, a.value) for a in live.prometheus.alerts()]
            pytest.fail(f"MicroserviceHighErrorRate not firing {FIRE_TIMEOUT_S:g} s after 100% 5xx; active: {active}")
    finally:
        live.service.set_fault(error_rate=0.0)
    assert alert.labels == {
        "alertname": "MicroserviceHighErrorRate",
        "job": "sample",
        "service": "sample",
        "severity": "critical",
    }
    assert float(alert.value) > 0.02
    print(f"MicroserviceHighErrorRate firing {time.monotonic() - started:.1f} s after the fault")
