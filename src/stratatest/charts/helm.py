"""A Helm chart rendered and linted by real helm, per environment, with results cached per input.

`Chart(path, values_files=[...]).render(env="prod", values={...})` runs `helm template` with the chart's own
values.yaml, then the given files, then the chart's `values-<env>.yaml`, then `values` (as a file: helm's
--set cannot express lists of maps faithfully). Renders are pure functions of their inputs, so each distinct
input renders and parses once per process (~40 ms + ~15 ms each; tests ask for the same render dozens of
times, bench P7). The Manifests a render returns are shared: read them, never change them.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from stratatest.charts.manifests import Manifests
from stratatest.compliance.evidence import record_evidence, sha256_text
from stratatest.errors import ConfigError, ToolMissing
from stratatest.paths import display_path
from stratatest.toolchain import provision_helm

TIMEOUT_S = 120


@cache
def helm_binary() -> str:
    tool = provision_helm()
    if not tool.path:
        raise ToolMissing("helm not found", hint=tool.hint)
    return tool.path


@dataclass(frozen=True)
class LintResult:
    """`helm lint --strict` of one chart with one set of values."""

    ok: bool
    command: str
    output: str

    @property
    def problems(self) -> list[str]:
        """The [ERROR]/[WARNING] lines: under --strict a warning fails the lint too."""
        return [line.strip() for line in self.output.splitlines() if line.strip().startswith(("[ERROR]", "[WARN"))]


class Chart:
    """One chart folder plus the value files every render of it starts from (e.g. a service's own values)."""

    def __init__(
        self,
        path: Path,
        *,
        values_files: tuple[Path, ...] | list[Path] = (),
        release: str = "",
        evidence_dir: Path | None = None,
    ) -> None:
        """`evidence_dir`: the run's shared folder, where each distinct render's digest is logged for the record."""
        if not (path / "Chart.yaml").is_file():
            raise ConfigError(f"{path} is not a Helm chart (no Chart.yaml)")
        self.path = path
        self.values_files = tuple(values_files)
        for file in self.values_files:
            if not file.is_file():
                raise ConfigError(f"values file {file} does not exist")
        meta = yaml.safe_load((path / "Chart.yaml").read_text()) or {}
        self.name = str(meta.get("name", path.name))
        self.release = release or self.name
        self.evidence_dir = evidence_dir

    @property
    def environments(self) -> list[str]:
        """Environments this chart has an overlay for: values-<env>.yaml beside values.yaml."""
        return sorted(p.stem.removeprefix("values-") for p in self.path.glob("values-*.yaml"))

    def env_file(self, env: str) -> Path:
        path = self.path / f"values-{env}.yaml"
        if not path.is_file():
            raise ConfigError(f"{self.path.name} has no values-{env}.yaml; environments: {self.environments}")
        return path

    def _files(self, env: str | None) -> list[Path]:
        return [*self.values_files, *([self.env_file(env)] if env else [])]

    def command(
        self, verb: str = "template", *, env: str | None = None, namespace: str | None = None, extra: str = ""
    ) -> str:
        """The helm command a user would type to get the same output (what failing tests print)."""
        parts = ["helm", verb] + ([self.release] if verb == "template" else []) + [str(self.path)]
        if verb == "template":
            parts += ["--namespace", namespace or self.release]
        parts += [f"-f {f}" for f in self._files(env)]
        return " ".join(parts) + (f" {extra}" if extra else "")

    def render(
        self, *, env: str | None = None, values: dict[str, Any] | None = None, namespace: str | None = None
    ) -> Manifests:
        """`helm template` of this chart; ConfigError with helm's own message when it refuses (schema, fail)."""
        files = tuple(str(f) for f in self._files(env))
        text = _template(
            str(self.path),
            _content_key(self.path, files),
            self.release,
            namespace or self.release,
            files,
            json.dumps(values or {}, sort_keys=True),
        )
        command = self.command(env=env, namespace=namespace)
        if self.evidence_dir is not None:
            detail = {"command": command, "values_sha256": sha256_text(json.dumps(values or {}, sort_keys=True))}
            name = f"{display_path(self.path)} {env or 'default'}"
            record_evidence(self.evidence_dir, "manifests", name, text, detail)
        return _parsed(text, command)

    def lint(self, *, env: str | None = None, values: dict[str, Any] | None = None) -> LintResult:
        files = tuple(str(f) for f in self._files(env))
        with _values_file(json.dumps(values or {})) as extra:
            argv = [helm_binary(), "lint", "--strict", str(self.path), *_f(files), "-f", extra]
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        return LintResult(proc.returncode == 0, self.command("lint --strict", env=env), proc.stdout + proc.stderr)


def _f(files: tuple[str, ...]) -> list[str]:
    return [arg for f in files for arg in ("-f", f)]


@contextmanager
def _values_file(text: str) -> Iterator[str]:
    """A temporary values file (helm reads values from files; --set mangles lists and types)."""
    with tempfile.TemporaryDirectory(prefix="stratatest-values-") as tmp:
        path = Path(tmp) / "values.json"
        path.write_text(text)
        yield str(path)


def _content_key(chart: Path, files: tuple[str, ...]) -> str:
    """A digest of the chart's files and the value files: an edited template must not hit a stale render."""
    digest = hashlib.sha256()
    for path in sorted(p for p in chart.rglob("*") if p.is_file()) + [Path(f) for f in files]:
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def _parsed(text: str, origin: str) -> Manifests:
    """One parse per distinct render: callers share the result and must treat it as read-only."""
    return Manifests.parse(text, origin=origin)


@cache
def _template(chart: str, _key: str, release: str, namespace: str, files: tuple[str, ...], values: str) -> str:
    with _values_file(values) as extra:
        argv = [helm_binary(), "template", release, chart, "--namespace", namespace, *_f(files), "-f", extra]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    if proc.returncode != 0:
        said = " | ".join(line.strip(" -") for line in proc.stderr.splitlines() if line.strip())  # one line
        raise ConfigError(f"helm template {chart} failed: {said}")
    return proc.stdout
