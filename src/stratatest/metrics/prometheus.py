"""A real Prometheus server on 127.0.0.1 for one test module: scrape what the chart says, evaluate its rules.

`with Prometheus(scrape_configs, rule_files=[...]) as prom:` writes prometheus.yml into its own work folder,
starts the binary on a free port with its own TSDB folder, waits (bounded) until /-/ready, and always stops it:
SIGTERM, then SIGKILL after a timeout. The client speaks the HTTP API with the standard library and bypasses any
proxy settings (the server is local). Scrape configs normally come from `scrape.scrape_jobs(rendered)`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import yaml

from stratatest.errors import StratatestError, TargetError
from stratatest.localhost import free_port
from stratatest.toolchain import require_prometheus_tool

T = TypeVar("T")


class PrometheusError(StratatestError):
    """The Prometheus API refused a request (bad PromQL, server error) or answered nonsense."""


def prometheus_binary() -> str:
    return require_prometheus_tool("prometheus", "the live metrics tests")


@dataclass(frozen=True)
class Target:
    """One active scrape target as /api/v1/targets reports it."""

    scrape_pool: str
    scrape_url: str
    labels: dict[str, str]
    health: str  # "up", "down" or "unknown" (not scraped yet)
    last_error: str

    @property
    def job(self) -> str:
        return self.labels.get("job", "")


@dataclass(frozen=True)
class Alert:
    """One active (pending or firing) alert as /api/v1/alerts reports it."""

    name: str
    state: str
    labels: dict[str, str]
    annotations: dict[str, str]
    value: str


def wait_for(probe: Callable[[], T | None], *, timeout: float, what: str, every: float = 0.2) -> T:
    """Poll `probe` until it returns something truthy; TimeoutError naming `what` (and the last value) after."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not within {timeout:g} s (last: {last!r})")
        time.sleep(min(every, max(0.0, deadline - time.monotonic())))


class Prometheus:
    """A Prometheus process: config, TSDB and log in `workdir` (a temp folder removed on stop when not given)."""

    def __init__(
        self,
        scrape_configs: Sequence[dict[str, Any]],
        *,
        rule_files: Sequence[Path] = (),
        scrape_interval: str = "1s",
        evaluation_interval: str = "1s",
        workdir: Path | None = None,
        ready_timeout: float = 30.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.scrape_configs = list(scrape_configs)
        self.rule_files = [Path(p).resolve() for p in rule_files]
        self.scrape_interval = scrape_interval
        self.evaluation_interval = evaluation_interval
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self._own_workdir = workdir is None
        self.workdir = Path(tempfile.mkdtemp(prefix="stratatest-prometheus-")) if workdir is None else workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # --- lifecycle -----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_file(self) -> Path:
        return self.workdir / "prometheus.yml"

    @property
    def log_file(self) -> Path:
        return self.workdir / "prometheus.log"

    def config(self) -> dict[str, Any]:
        """The prometheus.yml this server runs with."""
        return {
            "global": {"scrape_interval": self.scrape_interval, "evaluation_interval": self.evaluation_interval},
            "rule_files": [str(p) for p in self.rule_files],
            "scrape_configs": self.scrape_configs,
        }

    def command(self) -> list[str]:
        return [
            prometheus_binary(),
            f"--config.file={self.config_file}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=1h",
            "--log.level=info",
        ]

    def start(self) -> Prometheus:
        """Start and wait until ready; a port lost to a race is retried on a fresh one (three attempts)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(yaml.safe_dump(self.config(), sort_keys=False))
        for _attempt in range(3):
            self.port = free_port()
            with self.log_file.open("wb") as log:  # one attempt per log: its failure is what is reported
                self.process = subprocess.Popen(
                    self.command(), cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=log
                )
            try:
                self.wait_ready()
                return self
            except TargetError:
                if "address already in use" not in self.log_tail():
                    self.stop()
                    raise
                self._terminate()
        raise TargetError("prometheus could not bind a free port in three attempts", hint=self.log_tail())

    def wait_ready(self) -> None:
        """Poll /-/ready until 200 (bounded); fail at once with the log when the process exits first."""
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = self.process.returncode if self.process else None
                command = " ".join(self.command())
                raise TargetError(f"prometheus exited ({code}) before ready: {command}\n{self.log_tail()}")
            try:
                with self._opener.open(f"{self.url}/-/ready", timeout=1.0) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise TargetError(f"prometheus not ready within {self.ready_timeout:g} s\n{self.log_tail()}")

    def _terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, SIGKILL after stop_timeout; then remove the work folder if this object made it."""
        try:
            self._terminate()
        finally:
            if self._own_workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Prometheus:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # --- HTTP API ------------------------------------------------------------------------------------

    def api(self, path: str, params: dict[str, str] | None = None, *, post: bool = False) -> Any:
        """`data` of one /api/v1 call; PrometheusError with Prometheus's own error text when it fails."""
        encoded = urllib.parse.urlencode(params or {})
        url = f"{self.url}/api/v1/{path}"
        request = (
            urllib.request.Request(url, data=encoded.encode(), method="POST")
            if post
            else urllib.request.Request(f"{url}?{encoded}" if encoded else url)
        )
        try:
            with self._opener.open(request, timeout=10.0) as response:
                document = json.load(response)
        except urllib.error.HTTPError as err:
            with err:
                body = err.read().decode(errors="replace")
            try:
                detail = json.loads(body).get("error", body)
            except ValueError:
                detail = body
            raise PrometheusError(f"prometheus {path} {params or ''} failed ({err.code}): {detail}") from None
        except (urllib.error.URLError, OSError) as err:
            raise PrometheusError(f"prometheus at {self.url} unreachable for {path}: {err}") from None
        if document.get("status") != "success":
            raise PrometheusError(f"prometheus {path} {params or ''}: {document.get('error', document)}")
        return document.get("data")

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query's result: `[{"metric": {...}, "value": [t, "v"]}, ...]` (vector) or scalar as one item."""
        data = self.api("query", {"query": promql}, post=True)
        result = data.get("result")
        if data.get("resultType") in ("scalar", "string"):
            return [{"metric": {}, "value": result}]
        return list(result or [])

    def targets(self) -> list[Target]:
        data = self.api("targets", {"state": "active"})
        return [
            Target(
                scrape_pool=t.get("scrapePool", ""),
                scrape_url=t.get("scrapeUrl", ""),
                labels=t.get("labels") or {},
                health=t.get("health", ""),
                last_error=t.get("lastError", ""),
            )
            for t in data.get("activeTargets") or []
        ]

    def series_names(self) -> set[str]:
        """Every metric name Prometheus holds (scraped, recorded and synthetic such as `up`)."""
        return set(self.api("label/__name__/values") or [])

    def alerts(self) -> list[Alert]:
        return [
            Alert(
                name=a.get("labels", {}).get("alertname", ""),
                state=a.get("state", ""),
                labels=a.get("labels") or {},
                annotations=a.get("annotations") or {},
                value=str(a.get("value", "")),
            )
            for a in self.api("alerts").get("alerts") or []
        ]

    def rules(self) -> list[dict[str, Any]]:
        """Every loaded rule with its health and last evaluation error (proof the rule files were loaded)."""
        return [rule for group in self.api("rules").get("groups") or [] for rule in group.get("rules") or []]

    # --- bounded waits -------------------------------------------------------------------------------

    def wait_for_targets_up(self, timeout: float = 30.0) -> list[Target]:
        """All active targets healthy (and at least one); TimeoutError listing their health otherwise."""

        def probe() -> list[Target] | None:
            targets = self.targets()
            return targets if targets and all(t.health == "up" for t in targets) else None

        try:
            return wait_for(probe, timeout=timeout, what="every scrape target up")
        except TimeoutError:
            states = [(t.scrape_pool, t.scrape_url, t.health, t.last_error) for t in self.targets()]
            raise TimeoutError(f"scrape targets not all up within {timeout:g} s: {states}") from None

    def wait_for_alert(self, name: str, *, state: str = "firing", timeout: float = 60.0) -> Alert:
        """The alert `name` once it is in `state`; TimeoutError with every active alert otherwise."""

        def probe() -> Alert | None:
            return next((a for a in self.alerts() if a.name == name and a.state == state), None)

        try:
            return wait_for(probe, timeout=timeout, what=f"{name} {state}", every=0.5)
        except TimeoutError:
            active = [(a.name, a.state, a.value) for a in self.alerts()]
            raise TimeoutError(f"{name} not {state} within {timeout:g} s; active alerts: {active}") from None
