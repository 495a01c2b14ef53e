"""The promtool and Prometheus wrappers themselves: they must report failure as failure, and a missing binary
as a one-line ToolMissing with the apt command, never as a pass or a traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from stratatest.errors import ConfigError, TargetError, ToolMissing
from stratatest.metrics import promtool
from stratatest.metrics.prometheus import Prometheus, PrometheusError
from stratatest.toolchain import PROMETHEUS_APT

pytestmark = pytest.mark.static

RULE = {
    "apiVersion": "monitoring.coreos.com/v1",
    "kind": "PrometheusRule",
    "metadata": {"name": "demo"},
    "spec": {"groups": [{"name": "demo", "rules": [{"alert": "Demo", "expr": "up == 0", "for": "1m"}]}]},
}
needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason=f"needs promtool: {PROMETHEUS_APT}")
needs_prometheus = pytest.mark.skipif(
    shutil.which("prometheus") is None, reason="needs prometheus: apt-get install --no-install-recommends prometheus"
)


@pytest.mark.control("STRATA-OBS-003")
def test_missing_promtool_is_tool_missing_with_the_apt_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing, match="apt-get install --no-install-recommends prometheus"):
        promtool.check_rules(tmp_path / "x.yaml")


@pytest.mark.control("STRATA-OBS-002")
def test_missing_prometheus_is_tool_missing_with_the_apt_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing, match="apt-get install"), Prometheus([], workdir=tmp_path / "p"):
        pass


@pytest.mark.control("STRATA-OBS-003")
def test_rule_file_is_the_spec_groups(tmp_path: Path) -> None:
    path = promtool.write_rule_file(RULE, tmp_path / "r.yaml")
    assert yaml.safe_load(path.read_text()) == {"groups": RULE["spec"]["groups"]}
    with pytest.raises(ConfigError, match="expected a PrometheusRule"):
        promtool.rule_groups({**RULE, "kind": "ServiceMonitor"})
    with pytest.raises(ConfigError, match=r"no spec\.groups"):
        promtool.rule_groups({**RULE, "spec": {}})


@needs_promtool
@pytest.mark.control("STRATA-OBS-003")
def test_check_rules_fails_on_bad_promql_with_command_and_output(tmp_path: Path) -> None:
    good = promtool.check_rules(promtool.write_rule_file(RULE, tmp_path / "good.yaml"))
    assert good.ok, str(good)
    broken = {**RULE, "spec": {"groups": [{"name": "demo", "rules": [{"alert": "Demo", "expr": "sum(up"}]}]}}
    bad = promtool.check_rules(promtool.write_rule_file(broken, tmp_path / "bad.yaml"))
    assert not bad.ok
    assert bad.command == f"promtool check rules {tmp_path / 'bad.yaml'}"
    assert "bad.yaml" in bad.output and bad.returncode != 0


@needs_promtool
@pytest.mark.control("STRATA-OBS-003")
def test_stage_and_run_a_unit_test(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    test_file = source / "demo.test.yaml"
    case = {"eval_time": "5m", "alertname": "Demo", "exp_alerts": [{"exp_labels": {"job": "x", "instance": "i"}}]}
    test_file.write_text(
        yaml.safe_dump(
            {
                "rule_files": ["demo.rules.yaml"],
                "tests": [
                    {
                        "interval": "1m",
                        "input_series": [{"series": 'up{job="x", instance="i"}', "values": "0x10"}],
                        "alert_rule_test": [case],
                    }
                ],
            }
        )
    )
    staged = promtool.stage_rule_test(test_file, {"demo.rules.yaml": RULE}, tmp_path / "run")
    assert staged == tmp_path / "run" / "demo.test.yaml"
    assert (tmp_path / "run" / "demo.rules.yaml").is_file()
    passed = promtool.test_rules(staged)
    assert passed.ok, str(passed)
    # the same test against a rule that never fires must fail, with promtool's own explanation
    silent = {**RULE, "spec": {"groups": [{"name": "demo", "rules": [{"alert": "Demo", "expr": "up == 1"}]}]}}
    failed = promtool.test_rules(promtool.stage_rule_test(test_file, {"demo.rules.yaml": silent}, tmp_path / "bad"))
    assert not failed.ok and "FAILED" in failed.output, str(failed)
    assert failed.command == f"promtool test rules {tmp_path / 'bad' / 'demo.test.yaml'}"


@pytest.mark.control("STRATA-OBS-003")
def test_stage_refuses_unknown_or_foldered_rule_files(tmp_path: Path) -> None:
    test_file = tmp_path / "t.test.yaml"
    test_file.write_text("rule_files: [other.yaml]\ntests: []\n")
    with pytest.raises(ConfigError, match=r"needs rule file 'other\.yaml'"):
        promtool.stage_rule_test(test_file, {"demo.rules.yaml": RULE}, tmp_path / "run")
    test_file.write_text("rule_files: [sub/demo.rules.yaml]\ntests: []\n")
    with pytest.raises(ConfigError, match="plain file name"):
        promtool.stage_rule_test(test_file, {"sub/demo.rules.yaml": RULE}, tmp_path / "run")


@needs_prometheus
@pytest.mark.control("STRATA-OBS-002")
def test_prometheus_that_cannot_start_reports_its_log(tmp_path: Path) -> None:
    bad = [{"job_name": "x", "scrape_interval": "1s", "scrape_timeout": "5s", "static_configs": [{"targets": ["a:1"]}]}]
    with (
        pytest.raises(TargetError, match="scrape timeout greater than scrape interval"),
        Prometheus(bad, workdir=tmp_path / "p", ready_timeout=20),
    ):
        pass


@needs_prometheus
@pytest.mark.control("STRATA-OBS-002")
def test_prometheus_client_reports_query_errors_and_stops(tmp_path: Path) -> None:
    with Prometheus([], workdir=tmp_path / "p") as prom:
        assert prom.query("vector(1)")[0]["value"][1] == "1"
        with pytest.raises(PrometheusError, match="parse error"):
            prom.query("sum(")
        process = prom.process
    assert process is not None and process.poll() is not None, "prometheus still running after the with block"
