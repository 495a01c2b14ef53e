"""The PromQL metric-name extractor and Grafana variable expansion the dashboard and rule checks rely on.

If the extractor misses a name, a dashboard query on a missing metric passes STRATA-OBS-004 unnoticed; if it
invents one (a label, a function, a keyword), the check fails for nothing. Both directions are pinned here.
"""

from __future__ import annotations

import pytest

from stratatest.errors import ConfigError
from stratatest.metrics.promql import cluster_source, expand_variables, metric_names

pytestmark = pytest.mark.static

CASES = [
    ("up", {"up"}),
    ('http_requests_total{job="sample", status=~"5.."}', {"http_requests_total"}),
    ('rate(http_requests_total{job="$job"}[$__rate_interval])', {"http_requests_total"}),
    (
        'histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket{job="x"}[5m]))) > 0.5',
        {"http_request_duration_seconds_bucket"},
    ),
    # aggregation with the clause first, label lists, binary-operator keywords, bool, numbers
    (
        "sum without (pod, instance) (a_total) / ignoring (status) group_left (route) b_total > bool 1e3",
        {"a_total", "b_total"},
    ),
    ("max by (namespace) (x) >= on (namespace, hpa) max by (namespace, hpa) (y)", {"x", "y"}),
    ("a and b or c unless d", {"a", "b", "c", "d"}),
    ("count(a) atan2 count(b)", {"a", "b"}),
    # label values containing braces, quotes and keyword-like words are strings, not names
    (r'foo{route="/by/{id}", msg="say \"sum(x)\"", l=~`on|ignoring`}', {"foo"}),
    # offset and @ modifiers, subqueries, durations
    ("rate(foo[5m] offset 1h30m)", {"foo"}),
    ("max_over_time(rate(foo[1m])[10m:30s] @ end())", {"foo"}),
    ("foo @ 1609746000 offset -5m", {"foo"}),
    # numbers and number words
    ("foo > Inf or bar < -NaN or baz == 0x1F or qux != .5", {"foo", "bar", "baz", "qux"}),
    # a selector naming the metric through __name__, and recording-rule names with colons
    ('{__name__="process_resident_memory_bytes", job="sample"}', {"process_resident_memory_bytes"}),
    ("job:http_requests:rate5m", {"job:http_requests:rate5m"}),
    # functions taking strings and a label argument
    ('label_replace(up, "svc", "$1", "job", "(.*)")', {"up"}),
    ("vector(1) + scalar(time())", set()),
    # Grafana variables in every syntax are never names
    ('sum(rate(foo{namespace=~"${namespace:regex}"}[${__interval}])) * [[factor]] + $offset', {"foo"}),
    # comments
    ("foo # bar is commented out\n + baz", {"foo", "baz"}),
    # keywords are case-insensitive; an aggregation name used as a function still is one
    ("SUM BY (le) (Foo) AND ON() Bar", {"Foo", "Bar"}),
]


@pytest.mark.control("STRATA-OBS-004")
@pytest.mark.parametrize(("expr", "names"), CASES, ids=[c[0][:40] for c in CASES])
def test_metric_names(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


@pytest.mark.control("STRATA-OBS-004")
@pytest.mark.parametrize("expr", ['foo{job="x"', "sum(foo", "foo[5m", "foo ~ bar"])
def test_malformed_expressions_are_refused_not_guessed(expr: str) -> None:
    with pytest.raises(ConfigError):
        metric_names(expr)


@pytest.mark.control("STRATA-OBS-004")
def test_expand_variables() -> None:
    expr = 'rate(x{job="$job", ns="${namespace}", a="[[job]]", b="${job:regex}"}[$__rate_interval])'
    assert (
        expand_variables(expr, {"job": "sample", "namespace": "sample", "__rate_interval": "20s"})
        == 'rate(x{job="sample", ns="sample", a="sample", b="sample"}[20s])'
    )


@pytest.mark.control("STRATA-OBS-004")
def test_expand_variables_names_an_undefined_variable() -> None:
    with pytest.raises(ConfigError, match=r"\$cluster"):
        expand_variables('up{cluster="$cluster"}', {"job": "sample"})


@pytest.mark.control("STRATA-OBS-004")
def test_cluster_sources() -> None:
    assert cluster_source("kube_pod_container_status_restarts_total") == "kube-state-metrics"
    assert cluster_source("container_cpu_usage_seconds_total") == "cAdvisor (kubelet)"
    assert cluster_source("http_requests_total") is None
    assert cluster_source("process_cpu_seconds_total") is None
