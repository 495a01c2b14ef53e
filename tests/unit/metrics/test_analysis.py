"""The analysis library's own tests: Argo's conditions subset, measurement and metric assessment, templates.

The live runs (tests/unit/metrics/test_analysis_live.py) show the chart's analysis against a real Prometheus;
here each rule is pinned on small inputs: Prometheus-shaped answers from a table and a clock that only moves
when the run sleeps, so a count x interval schedule costs no wall time.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml

from stratatest.charts import Manifest
from stratatest.errors import ConfigError, StratatestError
from stratatest.metrics import analysis
from stratatest.metrics.analysis import Phase
from stratatest.metrics.conditions import EvaluationError, UnsupportedCondition, evaluate

GUARDED = "len(result) > 0 && !isNaN(result[0]) && result[0] <= 0.02"


@pytest.mark.parametrize(
    ("condition", "result", "expected"),
    [
        ("result >= 0.95", 0.97, True),
        ("result[0] >= 0.95", [0.9], False),
        (GUARDED, [0.01], True),
        (GUARDED, [0.5], False),
        (GUARDED, [], False),  # && stops before result[0] on an empty vector
        (GUARDED, [math.nan], False),
        ("len(result) == 0 || result[0] < 1", [], True),
        ("!(result[0] < 1)", [2.0], True),
        ("not isNaN(result) and result > 0", 1.0, True),
        ("isInf(result[-1])", [1.0, math.inf], True),
        ("result[0] / 0 > 1e300", [3.0], True),  # float division by zero is +Inf, as in Go
        ("asFloat('0.5') * 2 == 1", 0.0, True),
        ("asInt(result) % 3 == 1", 7.9, True),
        ("-result + 1 < 0", 2.0, True),
        ("result == nil", None, True),
        ("'a' + \"b\" == 'ab' && true != false", 0.0, True),
    ],
)
def test_conditions(condition: str, result: Any, expected: bool) -> None:
    assert evaluate(condition, result) is expected


@pytest.mark.parametrize(
    ("condition", "result", "message"),
    [
        ("result[0] > 1", [], "out of range"),
        ("result", [1.0], "expected a boolean"),
        ("isNaN(result)", [1.0], "needs a number"),
        ("result && true", 1.0, "needs booleans"),
        ("!result < 1", 2.0, "! needs booleans, got 2.0"),  # `!` binds to `result`, as in expr
        ("asFloat('x') > 1", 0, "not a number"),
    ],
)
def test_evaluation_errors_are_measurement_errors(condition: str, result: Any, message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        evaluate(condition, result)


@pytest.mark.parametrize(
    "condition",
    [
        "result in [1, 2]",
        "result[0] > 1 ? true : false",
        "0 < result < 1",
        "all(result, {# > 0})",
        "result.value > 1",
        "__import__('os').system('true')",
        "len",
        "len(result, 1)",
        "isNaN(x=result)",
        "(result > 1",
    ],
)
def test_unsupported_syntax_is_one_line(condition: str) -> None:
    with pytest.raises(UnsupportedCondition) as raised:
        evaluate(condition, 1.0)
    assert "\n" not in str(raised.value) and repr(condition) in str(raised.value)


@pytest.mark.parametrize(
    ("success", "failure", "result", "phase"),
    [
        ("", "", 1.0, Phase.SUCCESSFUL),
        ("result < 1", "", 0.5, Phase.SUCCESSFUL),
        ("result < 1", "", 2.0, Phase.FAILED),
        ("", "result > 1", 2.0, Phase.FAILED),
        ("", "result > 1", 0.5, Phase.SUCCESSFUL),
        ("result < 1", "result > 2", 1.5, Phase.INCONCLUSIVE),
        ("result < 1", "result > 2", 3.0, Phase.FAILED),
        ("result < 5", "result > 2", 3.0, Phase.FAILED),  # both hold: failure wins
    ],
)
def test_measurement_phase(success: str, failure: str, result: float, phase: Phase) -> None:
    metric = _metric(successCondition=success, failureCondition=failure)
    assert metric.phase_of(result) is phase


def test_prometheus_results_as_argo_builds_them() -> None:
    vector = {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.25"]}, {"value": [1, "NaN"]}]}
    values, shown = analysis.prometheus_result(vector)
    assert values[0] == 0.25 and math.isnan(values[1]) and shown == "[0.25,NaN]"
    assert analysis.prometheus_result({"resultType": "scalar", "result": [1, "+Inf"]}) == (math.inf, "inf")
    with pytest.raises(EvaluationError, match="matrix"):
        analysis.prometheus_result({"resultType": "matrix", "result": []})


# --- runs on a table of answers ---------------------------------------------------------------------------------


class Clock:
    """Time that passes only when the run sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def template(*metrics: dict[str, Any], args: list[dict[str, Any]] | None = None) -> Manifest:
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": "t"},
        "spec": {"args": args or [], "metrics": list(metrics)},
    }
    return Manifest(yaml.safe_load(yaml.safe_dump(body)))


def metric(name: str = "m", query: str = "q", **fields: Any) -> dict[str, Any]:
    return {"name": name, "provider": {"prometheus": {"address": "http://p:9090", "query": query}}, **fields}


def _metric(**fields: Any) -> analysis.Metric:
    return analysis.metrics(template(metric(**fields)))[0]


def answers(*values: float | str | None) -> Any:
    """A query function answering each call with the next value: a one-sample vector, [] for None, an error for
    a string."""
    queue = list(values)

    def query(_: str) -> dict[str, Any]:
        value = queue.pop(0)
        if isinstance(value, str):
            raise StratatestError(value)
        return {"resultType": "vector", "result": [] if value is None else [{"value": [0, str(value)]}]}

    return query


def run(tmpl: Manifest, query: Any, args: dict[str, str] | None = None) -> analysis.AnalysisResult:
    clock = Clock()
    return analysis.run(tmpl, args, query, clock=clock, sleep=clock.sleep)


GATE = {"successCondition": "len(result) > 0 && result[0] < 1", "failureCondition": "len(result) > 0 && result[0] >= 1"}


def test_count_measurements_interval_apart_then_successful() -> None:
    result = run(template(metric(interval="30s", count=3, **GATE)), answers(0.1, 0.2, 0.3))
    (m,) = result.metrics
    assert result.phase is Phase.SUCCESSFUL and m.phase is Phase.SUCCESSFUL
    assert [x.at for x in m.measurements] == [0.0, 30.0, 60.0]


def test_initial_delay_and_default_count_of_one() -> None:
    (m,) = run(template(metric(initialDelay="1m", **GATE)), answers(0.1)).metrics
    assert [x.at for x in m.measurements] == [60.0] and m.phase is Phase.SUCCESSFUL


def test_failure_limit_then_failed_at_once() -> None:
    result = run(template(metric(interval="1s", count=10, failureLimit=1, **GATE)), answers(0.1, 2, 0.1, 3))
    (m,) = result.metrics
    assert result.phase is Phase.FAILED and len(m.measurements) == 4
    assert m.message == "failed (2) > failureLimit (1)"


def test_no_data_is_inconclusive_past_its_limit() -> None:
    (m,) = run(template(metric(interval="1s", count=5, inconclusiveLimit=1, **GATE)), answers(None, 0.1, None)).metrics
    assert m.phase is Phase.INCONCLUSIVE and m.message == "inconclusive (2) > inconclusiveLimit (1)"


def test_consecutive_errors_past_their_limit() -> None:
    query = answers("down", 0.1, "down", "down", "down")
    (m,) = run(template(metric(interval="1s", count=9, consecutiveErrorLimit=2, **GATE)), query).metrics
    assert m.phase is Phase.ERROR and [x.phase for x in m.measurements][-3:] == [Phase.ERROR] * 3
    assert m.measurements[0].value == "down"


def test_the_run_ends_when_one_metric_fails_and_reports_the_worst() -> None:
    slow = metric("slow", "a", interval="10s", count=5, **GATE)
    fast = metric("fast", "b", interval="1s", count=5, **GATE)

    def query(promql: str) -> dict[str, Any]:
        value = "0.1" if promql == "a" else "5"
        return {"resultType": "vector", "result": [{"value": [0, value]}]}

    result = run(template(slow, fast), query)
    assert result.phase is Phase.FAILED
    assert result.metric("fast").phase is Phase.FAILED and result.metric("slow").phase is None
    assert "not finished" in str(result.metric("slow"))


def test_args_are_resolved_across_the_metric() -> None:
    tmpl = template(
        metric(query='up{job="{{ args.job }}"}[{{args.window}}]', count="{{args.count}}", **GATE),
        args=[{"name": "job"}, {"name": "window", "value": "5m"}, {"name": "count", "value": "2"}],
    )
    (m,) = analysis.metrics(tmpl, {"job": 'say "hi"'})
    assert m.query == 'up{job="say "hi""}[5m]' and m.count == 2


@pytest.mark.parametrize(
    ("tmpl", "message"),
    [
        (template(metric(), args=[{"name": "job"}]), r"no value for argument\(s\) job"),
        (template(metric(), args=[{"name": "k", "valueFrom": {"secretKeyRef": {}}}]), "valueFrom needs a cluster"),
        (template(metric(query="{{args.nope}}")), "nope.*not declared"),
        (template(metric(interval="1m")), "interval and no count"),
        (template(metric(successCondition="result in [1]")), "'in' is not supported"),
        (template(metric(dryRun=True)), "dryRun.*does not implement"),
        (template({"name": "w", "provider": {"web": {"url": "http://x"}}}), r"provider \['web'\]"),
        (template(metric(count=0)), "count: 0 is not an integer >= 1"),
        (template(metric(interval="5 min", count=1)), "not a duration"),
    ],
)
def test_templates_it_cannot_run_are_refused_in_one_line(tmpl: Manifest, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        analysis.metrics(tmpl)
    assert "\n" not in str(raised.value)


def test_rollout_analyses_lists_every_gate() -> None:
    rollout = Manifest(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": "web"},
            "spec": {
                "strategy": {
                    "canary": {
                        "analysis": {"templates": [{"templateName": "bg"}]},
                        "steps": [
                            {"setWeight": 10},
                            {"analysis": {"templates": [{"templateName": "t"}], "args": [{"name": "a", "value": "1"}]}},
                        ],
                    }
                }
            },
        }
    )
    refs = analysis.rollout_analyses(rollout)
    assert [(r.where.split()[-1], r.templates, r.args) for r in refs] == [
        ("canary.steps[1].analysis", ("t",), {"a": "1"}),
        ("canary.analysis", ("bg",), {}),
    ]
