"""Alert rules checked by real promtool: the rendered PrometheusRule written out as the rule file Prometheus loads.

The Prometheus operator turns a PrometheusRule's `spec` into a rule file (`groups:` at the top) unchanged, so the
file written here is what Prometheus would evaluate. `check_rules` runs `promtool check rules`; `test_rules` runs
`promtool test rules` on a unit-test file. Committed unit-test files name their rule file plainly
(`rule_files: [microservice.rules.yaml]`); `stage_rule_test` copies such a file beside freshly generated rules in a
work folder (e.g. pytest's tmp_path, kept on failure), so the printed command re-runs exactly what failed.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stratatest.charts.manifests import Manifest
from stratatest.errors import ConfigError
from stratatest.toolchain import require_prometheus_tool

TIMEOUT_S = 120


def promtool_binary() -> str:
    return require_prometheus_tool("promtool", "the alert-rule tests")


@dataclass(frozen=True)
class PromtoolResult:
    """One promtool run: whether it passed, the command to re-run it, and everything it printed."""

    ok: bool
    command: str
    output: str
    returncode: int

    def __str__(self) -> str:
        verdict = "passed" if self.ok else f"failed (exit {self.returncode})"
        return f"{self.command} {verdict}:\n{self.output.rstrip()}"


def _run(*args: str) -> PromtoolResult:
    argv = [promtool_binary(), *args]
    command = " ".join(["promtool", *args])
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as err:
        return PromtoolResult(False, command, f"timed out after {TIMEOUT_S} s: {err}", -1)
    return PromtoolResult(proc.returncode == 0, command, proc.stdout + proc.stderr, proc.returncode)


def rule_groups(rule: Manifest | Mapping[str, Any]) -> dict[str, Any]:
    """A PrometheusRule (manifest or its body) as a rule-file document: `{"groups": spec.groups}`."""
    body = rule.body if isinstance(rule, Manifest) else dict(rule)
    if body.get("kind") != "PrometheusRule":
        raise ConfigError(f"expected a PrometheusRule, got {body.get('kind')!r} {body.get('metadata', {}).get('name')}")
    groups = (body.get("spec") or {}).get("groups")
    if not groups:
        raise ConfigError(f"PrometheusRule {body.get('metadata', {}).get('name')} has no spec.groups")
    return {"groups": groups}


def write_rule_file(rule: Manifest | Mapping[str, Any], path: Path) -> Path:
    """Write the rule file Prometheus would load for `rule`; returns `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(rule_groups(rule), sort_keys=False))
    return path


def check_rules(path: Path) -> PromtoolResult:
    """`promtool check rules <path>`: syntax, PromQL parse, template parse, duplicate rules."""
    return _run("check", "rules", str(path))


def test_rules(test_file: Path) -> PromtoolResult:
    """`promtool test rules <test_file>` (rule_files resolve relative to the test file's folder)."""
    return _run("test", "rules", str(test_file))


test_rules.__test__ = False  # type: ignore[attr-defined]  # a library function, not a pytest test when imported


def stage_rule_test(test_file: Path, rules: Mapping[str, Manifest | Mapping[str, Any]], workdir: Path) -> Path:
    """Copy `test_file` into `workdir` and write there every rule file it names, from `rules` (name → rule).

    A name the test file references but `rules` lacks is a ConfigError, as is a name with a folder in it: the
    staged copy must be self-contained, so the re-run command works as printed.
    """
    document = yaml.safe_load(test_file.read_text()) or {}
    referenced = document.get("rule_files") or []
    if not referenced:
        raise ConfigError(f"{test_file} lists no rule_files")
    for name in referenced:
        if Path(name).name != name:
            raise ConfigError(f"{test_file}: rule file {name!r} must be a plain file name (it is generated)")
        if name not in rules:
            raise ConfigError(f"{test_file} needs rule file {name!r}; generated: {sorted(rules)}")
        write_rule_file(rules[name], workdir / name)
    staged = workdir / test_file.name
    shutil.copyfile(test_file, staged)
    return staged
