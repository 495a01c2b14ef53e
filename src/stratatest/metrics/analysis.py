"""Argo Rollouts analysis run for real: an AnalysisTemplate's Prometheus metrics measured against a live Prometheus
and judged as the Argo Rollouts controller judges them, so a canary gate is tested before a cluster relies on it.

`run(template, args, query)` resolves `{{args.NAME}}` placeholders (template defaults, then `args`), then measures
every metric `count` times, `interval` apart (after `initialDelay`), through `query(promql)` (a function returning
the `data` of Prometheus's /api/v1/query, e.g. `Prometheus.api`). What it follows of Argo's semantics:

- result: a vector is the list of its sample values, a scalar the value; any other type is a measurement Error.
- a measurement (conditions: `stratatest.metrics.conditions`): with only successCondition, Successful when it holds
  and Failed otherwise; with only failureCondition, Failed when it holds and Successful otherwise; with both,
  Failed when failureCondition holds, Successful when only successCondition does, Inconclusive when neither; with
  none, Successful. A query or evaluation error is an Error.
- a metric: Failed once failed measurements exceed failureLimit (default 0), Inconclusive once inconclusive ones
  exceed inconclusiveLimit (default 0), Error once consecutive errors exceed consecutiveErrorLimit (default 4),
  Successful when `count` measurements are taken without that (count defaults to 1 without an interval; a metric
  with an interval and no count runs until stopped, which a test cannot do: refused).
- the run: ends as soon as a metric ends Failed, Error or Inconclusive (Argo terminates the run then); its phase is
  the worst metric phase (Failed > Error > Inconclusive > Successful).

Only the Prometheus provider is run, with the fields above; a field this module does not implement (another
provider, dryRun, measurementRetention, a prometheus timeout or authentication) is refused in one line rather than
ignored, since ignoring it would test another analysis. `valueFrom` arguments (secrets, pod-template hashes) need a
cluster: the caller passes their values.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from stratatest.charts.manifests import Manifest
from stratatest.errors import ConfigError, StratatestError
from stratatest.metrics.conditions import EvaluationError, evaluate, parse

Query = Callable[[str], Mapping[str, Any]]

SPEC_FIELDS = frozenset({"args", "metrics"})
METRIC_FIELDS = frozenset(
    {
        "name",
        "provider",
        "interval",
        "initialDelay",
        "count",
        "successCondition",
        "failureCondition",
        "failureLimit",
        "inconclusiveLimit",
        "consecutiveErrorLimit",
    }
)
PROMETHEUS_FIELDS = frozenset({"address", "query"})
DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4
_PLACEHOLDER = re.compile(r"\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class Phase(StrEnum):
    SUCCESSFUL = "Successful"
    INCONCLUSIVE = "Inconclusive"
    ERROR = "Error"
    FAILED = "Failed"

    @property
    def severity(self) -> int:
        return list(Phase).index(self)


def duration_s(text: str, where: str) -> float:
    """A Go duration (Argo's DurationString: `30s`, `1m30s`, `500ms`) in seconds; ConfigError otherwise."""
    parts = _DURATION_PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise ConfigError(f"{where}: {text!r} is not a duration (e.g. 30s, 1m30s, 500ms)")
    return sum(float(number) * _UNIT_S[unit] for number, unit in parts)


@dataclass(frozen=True)
class Metric:
    """One metric of a template, with its arguments resolved."""

    name: str
    query: str
    address: str
    success_condition: str
    failure_condition: str
    interval_s: float
    initial_delay_s: float
    count: int
    failure_limit: int
    inconclusive_limit: int
    consecutive_error_limit: int

    def phase_of(self, result: Any) -> Phase:
        """Argo's phase of one measurement with this result; EvaluationError when a condition cannot be evaluated."""
        success = bool(self.success_condition) and evaluate(self.success_condition, result)
        failure = bool(self.failure_condition) and evaluate(self.failure_condition, result)
        if not self.success_condition and not self.failure_condition:
            return Phase.SUCCESSFUL
        if not self.failure_condition:
            failure = not success
        elif not self.success_condition:
            success = not failure
        if failure:
            return Phase.FAILED
        return Phase.SUCCESSFUL if success else Phase.INCONCLUSIVE


@dataclass(frozen=True)
class Measurement:
    phase: Phase
    value: str  # the result as Argo shows it ("[0.013]", "0.5"), or the error
    at: float  # seconds since the run started


@dataclass
class MetricResult:
    metric: Metric
    measurements: list[Measurement] = field(default_factory=list)
    phase: Phase | None = None  # None while running, or when the run ended before this metric did
    message: str = ""

    def count(self, phase: Phase) -> int:
        return sum(1 for m in self.measurements if m.phase is phase)

    def consecutive_errors(self) -> int:
        errors = 0
        for measurement in reversed(self.measurements):
            if measurement.phase is not Phase.ERROR:
                break
            errors += 1
        return errors

    def assess(self) -> None:
        """Argo's metric assessment after a measurement: sets `phase` once the metric has ended."""
        metric = self.metric
        checks = (
            (Phase.FAILED, "failed", self.count(Phase.FAILED), "failureLimit", metric.failure_limit),
            (
                Phase.INCONCLUSIVE,
                "inconclusive",
                self.count(Phase.INCONCLUSIVE),
                "inconclusiveLimit",
                metric.inconclusive_limit,
            ),
            (
                Phase.ERROR,
                "consecutive errors",
                self.consecutive_errors(),
                "consecutiveErrorLimit",
                metric.consecutive_error_limit,
            ),
        )
        for phase, what, seen, key, limit in checks:
            if seen > limit:
                self.phase, self.message = phase, f"{what} ({seen}) > {key} ({limit})"
                return
        if len(self.measurements) >= metric.count:
            self.phase, self.message = Phase.SUCCESSFUL, f"{metric.count} measurement(s) taken"

    def __str__(self) -> str:
        values = ", ".join(f"{m.phase.value} {m.value}" for m in self.measurements) or "no measurement"
        ended = f"{self.phase.value} ({self.message})" if self.phase else "not finished (the run ended first)"
        return f"{self.metric.name}: {ended}; measurements: {values}"


@dataclass(frozen=True)
class AnalysisResult:
    template: str
    phase: Phase
    metrics: list[MetricResult]

    def metric(self, name: str) -> MetricResult:
        return next(m for m in self.metrics if m.metric.name == name)

    def __str__(self) -> str:
        return f"analysis {self.template}: {self.phase.value}\n  " + "\n  ".join(str(m) for m in self.metrics)


@dataclass(frozen=True)
class AnalysisRef:
    """Where a Rollout runs analysis: the templates and the arguments it passes them."""

    where: str  # e.g. "steps[2]" or "prePromotionAnalysis"
    templates: tuple[str, ...]
    args: dict[str, str]


def rollout_analyses(rollout: Manifest) -> list[AnalysisRef]:
    """Every analysis a Rollout runs: canary step and background analyses, blue-green pre/post promotion."""
    strategy = rollout.spec.get("strategy") or {}
    canary, blue_green = strategy.get("canary") or {}, strategy.get("blueGreen") or {}
    found = [
        (f"canary.steps[{i}].analysis", step["analysis"])
        for i, step in enumerate(canary.get("steps") or [])
        if "analysis" in step
    ]
    found += [("canary.analysis", canary["analysis"])] if canary.get("analysis") else []
    found += [
        (f"blueGreen.{key}", blue_green[key])
        for key in ("prePromotionAnalysis", "postPromotionAnalysis")
        if blue_green.get(key)
    ]
    refs = []
    for where, analysis in found:
        names = tuple(str(t.get("templateName", "")) for t in analysis.get("templates") or [])
        args = {str(a["name"]): str(a["value"]) for a in analysis.get("args") or [] if "value" in a}
        refs.append(AnalysisRef(f"{rollout.ref} {where}", names, args))
    return refs


def _refuse_unknown(template: Manifest, where: str, given: Mapping[str, Any], known: frozenset[str]) -> None:
    unknown = sorted(set(given) - known)
    if unknown:
        raise ConfigError(
            f"{template.ref} {where} uses {', '.join(unknown)}, which stratatest's analysis does not implement "
            f"(implemented: {', '.join(sorted(known))}); running without it would test another analysis"
        )


def resolved_args(template: Manifest, given: Mapping[str, str] | None = None) -> dict[str, str]:
    """The template's arguments: its defaults overridden by `given`; ConfigError naming any left without a value."""
    values: dict[str, str] = {}
    missing = []
    for arg in template.spec.get("args") or []:
        name = str(arg.get("name", ""))
        if given and name in given:
            values[name] = str(given[name])
        elif "value" in arg:
            values[name] = str(arg["value"])
        else:
            missing.append(name + (" (valueFrom needs a cluster: pass its value)" if "valueFrom" in arg else ""))
    if missing:
        raise ConfigError(f"{template.ref}: no value for argument(s) {', '.join(missing)}")
    return values


def metrics(template: Manifest, args: Mapping[str, str] | None = None) -> list[Metric]:
    """The template's metrics with `{{args.NAME}}` resolved across each metric, as Argo resolves them."""
    if template.kind != "AnalysisTemplate":
        raise ConfigError(f"{template.ref} is not an AnalysisTemplate")
    _refuse_unknown(template, "spec", template.spec, SPEC_FIELDS)
    values = resolved_args(template, args)
    out = []
    for index, raw in enumerate(template.spec.get("metrics") or []):
        where = f"metrics[{index}]"
        text = json.dumps(raw)

        def substitute(match: re.Match[str], where: str = where) -> str:
            if match.group(1) not in values:
                raise ConfigError(f"{template.ref} {where} uses {{{{args.{match.group(1)}}}}}, which is not declared")
            return json.dumps(values[match.group(1)])[1:-1]

        metric = json.loads(_PLACEHOLDER.sub(substitute, text))
        out.append(_metric(template, where, metric))
    if not out:
        raise ConfigError(f"{template.ref} has no metrics")
    return out


def _metric(template: Manifest, where: str, raw: dict[str, Any]) -> Metric:
    _refuse_unknown(template, where, raw, METRIC_FIELDS)
    provider = raw.get("provider") or {}
    if set(provider) != {"prometheus"}:
        raise ConfigError(f"{template.ref} {where} uses provider {sorted(provider)}; stratatest runs prometheus only")
    prometheus = provider["prometheus"] or {}
    _refuse_unknown(template, f"{where}.provider.prometheus", prometheus, PROMETHEUS_FIELDS)
    if "{{" in json.dumps(raw):
        raise ConfigError(f"{template.ref} {where} has a placeholder other than {{{{args.NAME}}}}: {json.dumps(raw)}")
    name = str(raw.get("name") or where)
    interval = raw.get("interval")
    count = raw.get("count")
    if count is None and interval:
        raise ConfigError(f"{template.ref} {where} ({name}) has an interval and no count: it runs until stopped")
    for key in ("successCondition", "failureCondition"):
        if raw.get(key):
            parse(str(raw[key]))  # unsupported syntax is one line now, not an Error per measurement later
    return Metric(
        name=name,
        query=str(prometheus.get("query") or ""),
        address=str(prometheus.get("address") or ""),
        success_condition=str(raw.get("successCondition") or ""),
        failure_condition=str(raw.get("failureCondition") or ""),
        interval_s=duration_s(str(interval), f"{template.ref} {where}.interval") if interval else 0.0,
        initial_delay_s=duration_s(str(raw["initialDelay"]), f"{where}.initialDelay") if raw.get("initialDelay") else 0,
        count=_count(template, where, "count", count, 1, minimum=1),
        failure_limit=_count(template, where, "failureLimit", raw.get("failureLimit"), 0),
        inconclusive_limit=_count(template, where, "inconclusiveLimit", raw.get("inconclusiveLimit"), 0),
        consecutive_error_limit=_count(
            template, where, "consecutiveErrorLimit", raw.get("consecutiveErrorLimit"), DEFAULT_CONSECUTIVE_ERROR_LIMIT
        ),
    )


def _count(template: Manifest, where: str, key: str, value: Any, default: int, *, minimum: int = 0) -> int:
    """An IntOrString field (a string after argument substitution) as an int >= minimum."""
    if value is None:
        return default
    try:
        number = int(str(value), 10)
    except ValueError:
        number = -1
    if isinstance(value, bool) or number < minimum:
        raise ConfigError(f"{template.ref} {where}.{key}: {value!r} is not an integer >= {minimum}")
    return number


def prometheus_result(data: Mapping[str, Any]) -> tuple[Any, str]:
    """(result, shown value) of an instant query's `data`, as Argo's Prometheus provider builds them."""
    kind, result = data.get("resultType"), data.get("result")
    if kind == "vector":
        values = [float(sample["value"][1]) for sample in result or []]
        return values, "[" + ",".join(_shown(v) for v in values) + "]"
    if kind == "scalar":
        value = float(result[1])  # type: ignore[index]
        return value, _shown(value)
    raise EvaluationError(f"Prometheus result type {kind!r} is not supported (vector or scalar)")


def _shown(value: float) -> str:
    return "NaN" if math.isnan(value) else repr(value)


def measure(metric: Metric, query: Query, started: float, clock: Callable[[], float] = time.monotonic) -> Measurement:
    """One measurement: the query, then the conditions; an error in either is an Error measurement."""
    try:
        result, shown = prometheus_result(query(metric.query))
        phase = metric.phase_of(result)
    except (EvaluationError, StratatestError) as err:
        return Measurement(Phase.ERROR, str(err), clock() - started)
    return Measurement(phase, shown, clock() - started)


def run(
    template: Manifest,
    args: Mapping[str, str] | None,
    query: Query,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> AnalysisResult:
    """Measure every metric on its own schedule until each has ended or one ends badly; never longer than the
    metrics' own count x interval (+ initialDelay and the queries' time)."""
    results = [MetricResult(m) for m in metrics(template, args)]
    started = clock()
    due = {id(r): started + r.metric.initial_delay_s for r in results}
    running = list(results)
    while running:
        now = clock()
        ready = [r for r in running if due[id(r)] <= now]
        if not ready:
            sleep(max(0.0, min(due[id(r)] for r in running) - now))
            continue
        for result in ready:
            result.measurements.append(measure(result.metric, query, started, clock))
            due[id(result)] = clock() + result.metric.interval_s
            result.assess()
            if result.phase is not None:
                running.remove(result)
        if any(r.phase not in (None, Phase.SUCCESSFUL) for r in results):
            break
    ended = [r.phase for r in results if r.phase is not None]
    return AnalysisResult(template.name, max(ended, key=lambda p: p.severity), results)
