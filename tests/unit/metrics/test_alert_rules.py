"""The chart's PrometheusRule under real promtool: valid in every environment, and each alert fires when it should.

The rule file is generated from the rendered chart (what the operator would hand Prometheus), written into the
test's tmp_path beside a copy of the committed unit-test file (tests/unit/metrics/rules/*.test.yaml), so a failure
prints a promtool command that re-runs exactly what failed (pytest keeps tmp_path of failed tests).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from stratatest.charts import Chart, Manifests
from stratatest.metrics import promtool

pytestmark = pytest.mark.static

RULES_DIR = Path(__file__).parent / "rules"
RULE_FILE = "microservice.rules.yaml"  # the name the committed unit-test files use in rule_files
ENVS = ("dev", "staging", "prod")
ALERTS = {
    "MicroserviceHighErrorRate": "error_rate.test.yaml",
    "MicroserviceHighLatencyP99": "latency_p99.test.yaml",
    "MicroservicePodCrashLooping": "crash_looping.test.yaml",
    "MicroserviceHPAAtMaxReplicas": "hpa_at_max.test.yaml",
}
#: Per alert, a prod value change that breaks exactly what its unit test expects: the tests must then fail.
BREAKAGES: dict[str, dict[str, Any]] = {
    "MicroserviceHighErrorRate": {"alerts": {"errorRate": {"threshold": 0.5}}},
    "MicroserviceHighLatencyP99": {"alerts": {"latencyP99": {"thresholdSeconds": 1.0}}},
    "MicroservicePodCrashLooping": {"alerts": {"crashLooping": {"restarts": 20}}},
    "MicroserviceHPAAtMaxReplicas": {"alerts": {"hpaAtMax": {"for": "30m"}}},
}


@pytest.fixture(scope="module")
def sample_chart(chart: Callable[..., Chart]) -> Chart:
    return chart("microservice", values=["services/sample/values.yaml"], release="sample")


def render(sample_chart: Chart, env: str, values: dict[str, Any] | None = None) -> Manifests:
    return sample_chart.render(env=env, namespace="sample", values=values)


def run_unit_test(rendered: Manifests, test_name: str, workdir: Path) -> promtool.PromtoolResult:
    rule = rendered.find(kind="PrometheusRule", name="sample")
    staged = promtool.stage_rule_test(RULES_DIR / test_name, {RULE_FILE: rule}, workdir)
    return promtool.test_rules(staged)


def rerun(result: promtool.PromtoolResult) -> str:
    return f"\n{result}\nre-run: {result.command}"


@pytest.mark.control("STRATA-OBS-003")
@pytest.mark.parametrize("env", ENVS)
def test_rule_file_passes_promtool_check(sample_chart: Chart, env: str, tmp_path: Path) -> None:
    rendered = render(sample_chart, env)
    path = promtool.write_rule_file(rendered.find(kind="PrometheusRule", name="sample"), tmp_path / RULE_FILE)
    result = promtool.check_rules(path)
    origin = sample_chart.command(env=env, namespace="sample")
    assert result.ok, f"{origin} renders rules promtool rejects:{rerun(result)}"
    assert "4 rules found" in result.output, result.output


@pytest.mark.control("STRATA-OBS-003")
@pytest.mark.parametrize("env", ENVS)
def test_every_env_has_the_four_alerts_with_service_and_severity(sample_chart: Chart, env: str) -> None:
    rule = render(sample_chart, env).find(kind="PrometheusRule", name="sample")
    alerts = {r["alert"]: r for g in rule.spec["groups"] for r in g["rules"] if "alert" in r}
    assert sorted(alerts) == sorted(ALERTS), f"{env}: alerts {sorted(alerts)}"
    for name, body in alerts.items():
        assert body["labels"].get("service") == "sample", f"{env} {name}: labels {body['labels']}"
        assert body["labels"].get("severity") in ("critical", "warning", "info"), f"{env} {name}: {body['labels']}"


@pytest.mark.control("STRATA-OBS-003")
@pytest.mark.parametrize("alert", sorted(ALERTS))
def test_alert_fires_when_it_should_and_stays_silent_when_healthy(
    sample_chart: Chart, alert: str, tmp_path: Path
) -> None:
    """Prod values; the unit-test file holds the firing case (with exact labels) and the healthy cases."""
    test_file = ALERTS[alert]
    document = yaml.safe_load((RULES_DIR / test_file).read_text())
    cases = [c for test in document["tests"] for c in test.get("alert_rule_test") or [] if c["alertname"] == alert]
    fires = [c for c in cases if c.get("exp_alerts")]
    silent = [c for c in cases if not c.get("exp_alerts")]
    assert fires and silent, f"{test_file} must test {alert} both firing and silent"
    result = run_unit_test(render(sample_chart, "prod"), test_file, tmp_path)
    assert result.ok, f"{alert} does not behave as {test_file} expects:{rerun(result)}"


@pytest.mark.control("STRATA-OBS-003")
@pytest.mark.parametrize("alert", sorted(ALERTS))
def test_unit_tests_catch_a_broken_rule(sample_chart: Chart, alert: str, tmp_path: Path) -> None:
    """The same unit tests against a rule with a wrong threshold/duration must fail: they are not vacuous."""
    result = run_unit_test(render(sample_chart, "prod", BREAKAGES[alert]), ALERTS[alert], tmp_path)
    assert not result.ok, f"{ALERTS[alert]} still passes with {BREAKAGES[alert]}: it misses that bug{rerun(result)}"
    assert "FAILED" in result.output, result.output
