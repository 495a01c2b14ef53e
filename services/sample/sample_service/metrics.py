"""The two HTTP metric families the ServiceMonitor scrapes and the PrometheusRule alerts query."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)

# 5 ms to 5 s: a web request's range. The p99 alert's threshold must sit on (or between) these edges to be exact.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
LABELS = ("method", "route", "status")


class HttpMetrics:
    """Own registry (not the process-global one), so nothing registered elsewhere leaks into /metrics."""

    def __init__(self) -> None:
        # `_created` series double the series count and no query here uses them; process-wide, this is a process.
        disable_created_metrics()
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",  # exposed as http_requests_total
            "HTTP requests answered, by method, route template and status code.",
            LABELS,
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time from reading the request to the end of the response, by method, route template and status code.",
            LABELS,
            buckets=BUCKETS,
            registry=self.registry,
        )
        # The collectors the default registry would have: process_* (CPU, memory, fds, start time) and python_*.
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)

    def prime(self, method: str, route: str, status: int) -> None:
        """Create a series at zero, so rate() sees its first increase instead of a series appearing at 1."""
        self.requests.labels(method, route, str(status))
        self.duration.labels(method, route, str(status))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route, str(status)).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition and its content type.

        Labelled as the classic text format 0.0.4 (the client's default now says 1.0.0): every Prometheus
        version parses it, and with only legacy-valid metric names the body is the same either way.
        """
        return generate_latest(self.registry), CONTENT_TYPE_PLAIN_0_0_4
