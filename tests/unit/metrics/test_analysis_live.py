"""The canary analysis run for real (STRATA-K8S-014): the chart's AnalysisTemplate, with the arguments its Rollout
passes, measured against a real Prometheus scraping the real sample service, judged as Argo Rollouts judges it.

The chart is rendered with prod values plus short timings (ServiceMonitor interval 1s, analysis window 8s, a
measurement every second): the thresholds stay prod's (2% 5xx, p99 0.5 s). Prometheus scrapes the service with the
config derived from the rendered ServiceMonitor, so the series carry the labels the queries select on. Traffic runs
in the background for the module's life (a few threads, bounded in time). Healthy, the analysis passes; with the
fault API failing every request, or delaying each by 600 ms, it fails on the metric that broke. Each fault test
first waits (bounded) until the previous one has left the analysis window, so the tests do not depend on order.
"""

from __future__ import annotations

import http.client
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from typing import Any

import pytest

from stratatest.charts import Chart, Manifest
from stratatest.metrics import analysis
from stratatest.metrics.prometheus import Prometheus, wait_for
from stratatest.metrics.scrape import scrape_jobs

APT = "apt-get install --no-install-recommends prometheus"
pytestmark = [
    pytest.mark.static,
    pytest.mark.control("STRATA-K8S-014"),
    pytest.mark.skipif(shutil.which("prometheus") is None, reason=f"needs the prometheus binary on PATH: {APT}"),
]

NAMESPACE = "sample"
LIVE_VALUES: dict[str, Any] = {
    "metrics": {"serviceMonitor": {"interval": "1s", "scrapeTimeout": "1s"}},
    "rollout": {"analysis": {"window": "8s", "interval": "1s", "count": 8}},
}
TRAFFIC_THREADS = 3
TRAFFIC_MAX_S = 300.0  # the load stops by itself even if teardown never came
WAIT_S = 40.0


class Traffic:
    """GET /api/items from a few threads until stopped (or TRAFFIC_MAX_S): the load the analysis measures."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(TRAFFIC_THREADS)]

    def _loop(self) -> None:
        deadline = time.monotonic() + TRAFFIC_MAX_S
        while not self.stopped.is_set() and time.monotonic() < deadline:
            # a refused or timed-out request is no data point; the next one tries again
            with suppress(OSError, http.client.HTTPException):
                self.service.get("/api/items", timeout=5.0)
            self.stopped.wait(0.02)

    def __enter__(self) -> Traffic:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=10.0)


@dataclass
class Live:
    service: Any
    prometheus: Prometheus
    template: Manifest
    args: dict[str, str]

    def query(self, promql: str) -> Any:
        return self.prometheus.api("query", {"query": promql}, post=True)

    def analyse(self) -> analysis.AnalysisResult:
        started = time.monotonic()
        result = analysis.run(self.template, self.args, self.query)
        print(f"{result}\n  ({time.monotonic() - started:.1f} s)")
        return result

    def measurement_phases(self) -> dict[str, analysis.Phase]:
        """One measurement of every metric now (no schedule): what the window currently says."""
        started = time.monotonic()
        return {
            m.name: analysis.measure(m, self.query, started).phase for m in analysis.metrics(self.template, self.args)
        }

    def wait_healthy(self) -> None:
        """Until one measurement of every metric is Successful: an earlier fault has left the window."""

        def healthy() -> bool:
            return set(self.measurement_phases().values()) == {analysis.Phase.SUCCESSFUL}

        try:
            wait_for(healthy, timeout=WAIT_S, what="every analysis metric successful", every=0.5)
        except TimeoutError:
            pytest.fail(f"the service's metrics did not settle within {WAIT_S:g} s: {self.measurement_phases()}")


@pytest.fixture(scope="module")
def live(chart: Callable[..., Chart], sample_service: Callable[..., Any]) -> Iterator[Live]:
    sample = chart("microservice", values=["services/sample/values.yaml"], release="sample")
    rendered = sample.render(env="prod", namespace=NAMESPACE, values=LIVE_VALUES)
    rollout = rendered.find("Rollout", "sample")
    first = analysis.rollout_analyses(rollout)[0]  # what the Rollout passes at its first gated step
    (name,) = first.templates
    template = rendered.find("AnalysisTemplate", name)
    jobs = scrape_jobs(rendered, namespace=NAMESPACE)
    with ExitStack() as stack:  # unwinds in reverse: traffic stops, Prometheus stops, then the service
        service = stack.enter_context(sample_service(admin=True))
        configs = [job.scrape_config(f"127.0.0.1:{service.port}") for job in jobs]
        prometheus = stack.enter_context(Prometheus(configs))
        stack.enter_context(Traffic(service))
        prometheus.wait_for_targets_up(timeout=30)
        yield Live(service, prometheus, template, first.args)


@pytest.fixture
def fault(live: Live) -> Iterator[Callable[..., None]]:
    """`fault(error_rate=1.0)` once the window is healthy again; the fault is always cleared afterwards."""
    live.wait_healthy()
    try:
        yield live.service.set_fault
    finally:
        live.service.set_fault()


def test_healthy_service_passes_the_analysis(live: Live) -> None:
    live.wait_healthy()  # the window has data: "passed" must not mean "saw nothing"
    result = live.analyse()
    assert result.phase is analysis.Phase.SUCCESSFUL, str(result)
    for metric in result.metrics:
        assert len(metric.measurements) == metric.metric.count, str(metric)
        assert metric.count(analysis.Phase.SUCCESSFUL) == metric.metric.count, str(metric)


def test_analysis_fails_when_requests_fail(live: Live, fault: Callable[..., None]) -> None:
    fault(error_rate=1.0)
    result = live.analyse()
    assert result.phase is analysis.Phase.FAILED, str(result)
    errors = result.metric("error-ratio")
    assert errors.phase is analysis.Phase.FAILED, str(result)
    failed = [float(m.value.strip("[]")) for m in errors.measurements if m.phase is analysis.Phase.FAILED]
    assert failed and all(value > 0.02 for value in failed), str(errors)
    assert result.metric("latency-p99").phase is not analysis.Phase.FAILED, str(result)


def test_analysis_fails_when_requests_are_slow(live: Live, fault: Callable[..., None]) -> None:
    fault(delay_ms=600)
    result = live.analyse()
    assert result.phase is analysis.Phase.FAILED, str(result)
    latency = result.metric("latency-p99")
    assert latency.phase is analysis.Phase.FAILED, str(result)
    failed = [float(m.value.strip("[]")) for m in latency.measurements if m.phase is analysis.Phase.FAILED]
    assert failed and all(value > 0.5 for value in failed), str(latency)
    assert result.metric("error-ratio").phase is not analysis.Phase.FAILED, str(result)
