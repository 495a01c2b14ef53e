"""The metrics layer: alert rules under real promtool, a real Prometheus scraping what the chart describes.

- `promtool`: a PrometheusRule written as the rule file Prometheus loads; `check_rules`, `test_rules`.
- `scrape`: a ServiceMonitor translated into the scrape config the Prometheus operator would generate.
- `prometheus`: a local Prometheus process and a small HTTP API client (targets, query, series, alerts).
- `promql`: metric names an expression reads (no parse API in Prometheus 2.42), Grafana variable expansion.
- `grafana`: panel queries and template variables of a dashboard JSON.
"""

from stratatest.metrics.prometheus import Alert, Prometheus, PrometheusError, Target
from stratatest.metrics.promql import cluster_source, expand_variables, metric_names
from stratatest.metrics.promtool import PromtoolResult, check_rules, stage_rule_test, test_rules, write_rule_file
from stratatest.metrics.scrape import ScrapeJob, scrape_jobs, unmonitored_services

__all__ = [
    "Alert",
    "Prometheus",
    "PrometheusError",
    "PromtoolResult",
    "ScrapeJob",
    "Target",
    "check_rules",
    "cluster_source",
    "expand_variables",
    "metric_names",
    "scrape_jobs",
    "stage_rule_test",
    "test_rules",
    "unmonitored_services",
    "write_rule_file",
]
