"""Metric names a PromQL expression reads, and Grafana's template variables expanded for a real query.

Prometheus 2.42 has no parse endpoint (`/api/v1/parse_query` came later), so names are found by a small
tokenizer that knows what is *not* a metric name: label matchers inside `{}`, strings, numbers, durations and
subquery ranges inside `[]`, function and aggregation names (any identifier followed by `(`), operator keywords,
the label lists after by/without/on/ignoring/group_left/group_right, and Grafana variables (`$job`, `${job}`,
`[[job]]`). A `{__name__="x"}` selector names `x`. It does not validate the expression: Prometheus does that.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from stratatest.errors import ConfigError

#: Binary-operator and modifier keywords (case-insensitive in PromQL).
KEYWORDS = frozenset({"and", "or", "unless", "atan2", "bool", "offset"})
#: Aggregation operators: names only when followed by `(` or a by/without clause (`sum by (le) (...)`).
AGGREGATIONS = frozenset(
    {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile"}
)
#: Keywords whose optional parenthesised list that follows holds label names, not expressions.
LABEL_LIST_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
NUMBER_WORDS = frozenset({"inf", "nan"})

#: Metric-name prefixes that only exporters running inside a Kubernetes cluster produce: a local scrape of the
#: service can never have them, so checks on them are NOT ASSESSED without a cluster (never passed).
CLUSTER_SOURCES = {
    "kube_": "kube-state-metrics",
    "container_": "cAdvisor (kubelet)",
    "kubelet_": "kubelet",
    "node_": "node-exporter",
}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
  | (?P<variable>\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[^\]]*\]\])
  | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?:ms|[smhdwy])?(?:\d+(?:ms|[smhdwy]))*)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<punct>!=|=~|!~|==|<=|>=|[{}()\[\],=<>+\-*/%^@:])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def tokenize(expr: str) -> list[Token]:
    """PromQL (with Grafana variables) as tokens; whitespace and comments dropped. ConfigError on a stray char."""
    tokens, pos = [], 0
    while pos < len(expr):
        match = _TOKEN.match(expr, pos)
        if not match:
            raise ConfigError(f"cannot tokenize PromQL at column {pos}: {expr[pos : pos + 20]!r} in {expr!r}")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    return tokens


def _closing(tokens: list[Token], start: int, open_: str, close: str) -> int:
    """Index of the token closing the bracket at `start` (nesting counted); ConfigError when unbalanced."""
    depth = 0
    for index in range(start, len(tokens)):
        if tokens[index].text == open_:
            depth += 1
        elif tokens[index].text == close:
            depth -= 1
            if depth == 0:
                return index
    raise ConfigError(f"unbalanced {open_!r} at column {tokens[start].pos}")


def _check_balanced(tokens: list[Token], expr: str) -> None:
    """Brackets must pair up: a half-parsed expression would yield a half-true list of names."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[Token] = []
    for token in tokens:
        if token.text in "([{" and token.kind == "punct":
            stack.append(token)
        elif token.text in pairs and token.kind == "punct" and (not stack or stack.pop().text != pairs[token.text]):
            raise ConfigError(f"unbalanced {token.text!r} at column {token.pos} in {expr!r}")
    if stack:
        raise ConfigError(f"unclosed {stack[-1].text!r} at column {stack[-1].pos} in {expr!r}")


def _matcher_names(tokens: list[Token]) -> Iterator[str]:
    """Inside `{...}`: the value of an equality matcher on __name__ is a metric name; everything else is not."""
    for index, token in enumerate(tokens[:-2]):
        if token.text == "__name__" and tokens[index + 1].text == "=" and tokens[index + 2].kind == "string":
            yield tokens[index + 2].text[1:-1]


def metric_names(expr: str) -> set[str]:
    """Every metric name `expr` selects (`rate(http_requests_total{job="x"}[5m])` → {"http_requests_total"})."""
    tokens = tokenize(expr)
    _check_balanced(tokens, expr)
    names: set[str] = set()
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.text == "{":
            end = _closing(tokens, index, "{", "}")
            names.update(_matcher_names(tokens[index + 1 : end]))
            index = end + 1
            continue
        if token.text == "[":  # range or subquery: durations, numbers, variables, a colon
            index = _closing(tokens, index, "[", "]") + 1
            continue
        if token.kind != "ident":
            index += 1
            continue
        word = token.text.lower()
        if word in LABEL_LIST_KEYWORDS:
            index = _closing(tokens, index + 1, "(", ")") + 1 if following and following.text == "(" else index + 1
            continue
        calls = following is not None and following.text == "("
        aggregates = word in AGGREGATIONS and following is not None and following.text.lower() in ("by", "without")
        if word in KEYWORDS or word in NUMBER_WORDS or calls or aggregates:
            index += 1  # operator, number word, function or aggregation name
            continue
        names.add(token.text)
        index += 1
    return names


#: Grafana's built-in interval variables, given values that suit a short live test (override per call).
GRAFANA_BUILTINS = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__interval_ms": "15000",
    "__range": "5m",
    "__range_s": "300",
    "__range_ms": "300000",
}


def expand_variables(expr: str, variables: Mapping[str, str]) -> str:
    """Grafana's `$name`, `${name}`, `${name:format}` and `[[name]]` replaced by `variables` (then the built-ins).

    A variable with no value is a ConfigError naming it: sending `$job` to Prometheus would fail with a parse
    error that hides which variable the dashboard forgot to define.
    """
    values = {**GRAFANA_BUILTINS, **variables}

    def value(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group is not None).split(":", 1)[0]
        if name not in values:
            raise ConfigError(f"Grafana variable ${name} has no value (known: {sorted(values)}) in {expr!r}")
        return values[name]

    return re.sub(r"\$\{([^}]+)\}|\[\[([^\]]+)\]\]|\$([A-Za-z_][A-Za-z0-9_]*)", value, expr)


def cluster_source(name: str) -> str | None:
    """The in-cluster exporter that produces `name` (e.g. kube-state-metrics for kube_*), None for the service's."""
    return next((source for prefix, source in CLUSTER_SOURCES.items() if name.startswith(prefix)), None)
