"""Argo Rollouts' success/failure conditions, evaluated the way its controller evaluates them, for a subset of its
expression language (expr-lang): never Python's eval.

The text is split into tokens here, translated into the matching Python expression, parsed with `ast` and walked by
a small interpreter that knows only the nodes below; anything else is one line naming what is not supported.

Supported: the variable `result` (a Prometheus vector is a list of floats, a scalar a float); number, string,
`true`/`false`/`nil` literals; indexing (`result[0]`, `result[-1]`); `len`, `isNaN`, `isInf`, `asInt`, `asFloat`;
`+ - * / %` (`/` always divides as floats, as expr does); one comparison per operand pair (`== != < <= > >=`);
`&&`/`and`, `||`/`or`, `!`/`not` on booleans, short-circuited; parentheses. `!` binds to the operand right after
it, as in expr: `!isNaN(result[0])`, `!(a < b)`. Not supported: `in`, `matches`, `? :`, `??`, ranges, member
access, closures and the other builtins (`all`, `any`, `default`, `isNil`, ...).

A condition that evaluates to something other than a boolean, or fails while evaluating (an index out of range on
an empty vector, `isNaN` of a list), raises EvaluationError: Argo records such a measurement as an Error.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from stratatest.errors import ConfigError

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!()\[\],])""",
    re.VERBOSE,
)
_LITERALS = {"true": "True", "false": "False", "nil": "None"}
_OPERATORS = {"&&": "and", "||": "or"}
_NEGATIONS = {"!", "not"}
_CLOSING = {"(": ")", "[": "]"}


class UnsupportedCondition(ConfigError):
    """A condition uses syntax outside the supported subset (or is not an expression at all)."""


class EvaluationError(Exception):
    """The condition failed while evaluating this result: Argo's measurement phase Error."""


def _as_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise EvaluationError(f"asFloat() not supported on {type(value).__name__} {value!r}")
    try:
        return float(value)
    except ValueError:
        raise EvaluationError(f"asFloat({value!r}): not a number") from None


def _as_int(value: Any) -> int:
    if isinstance(value, str):
        try:
            return int(value, 10)
        except ValueError:
            raise EvaluationError(f"asInt({value!r}): not an integer") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EvaluationError(f"asInt() not supported on {type(value).__name__} {value!r}")
    return int(value)


def _number(name: str) -> Callable[[Any], bool]:
    test = {"isNaN": math.isnan, "isInf": math.isinf}[name]

    def check(value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EvaluationError(f"{name}() needs a number, got {type(value).__name__} {value!r}")
        return test(value)

    return check


def _len(value: Any) -> int:
    if not isinstance(value, list | str):
        raise EvaluationError(f"len() needs a list or string, got {type(value).__name__} {value!r}")
    return len(value)


FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "len": _len,
    "isNaN": _number("isNaN"),
    "isInf": _number("isInf"),
    "asInt": _as_int,
    "asFloat": _as_float,
}
VARIABLES = ("result",)


def _tokens(condition: str) -> list[tuple[str, str]]:
    out, position = [], 0
    while position < len(condition):
        match = _TOKEN.match(condition, position)
        if match is None:
            raise UnsupportedCondition(f"condition {condition!r}: {condition[position:]!r} is not supported")
        kind = match.lastgroup or ""
        if kind != "space":
            out.append((kind, match.group()))
        position = match.end()
    return out


def _operand_end(tokens: list[tuple[str, str]], start: int, condition: str) -> int:
    """Index after the operand `!` applies to: a parenthesised group, or a value with its calls and indexes."""
    if start >= len(tokens):
        raise UnsupportedCondition(f"condition {condition!r}: `!` with nothing after it")
    kind, text = tokens[start]
    if text in _NEGATIONS or text in ("-", "+"):
        return _operand_end(tokens, start + 1, condition)
    if text == "(":
        position = _group_end(tokens, start, condition)
    elif kind in ("name", "number", "string"):
        position = start + 1
    else:
        raise UnsupportedCondition(f"condition {condition!r}: `!` before {text!r}")
    while position < len(tokens) and tokens[position][1] in _CLOSING:
        position = _group_end(tokens, position, condition)
    return position


def _group_end(tokens: list[tuple[str, str]], start: int, condition: str) -> int:
    stack = []
    for position in range(start, len(tokens)):
        text = tokens[position][1]
        if text in _CLOSING:
            stack.append(_CLOSING[text])
        elif text in (")", "]"):
            if not stack or stack.pop() != text:
                raise UnsupportedCondition(f"condition {condition!r}: unbalanced {text!r}")
            if not stack:
                return position + 1
    raise UnsupportedCondition(f"condition {condition!r}: unclosed {tokens[start][1]!r}")


def _python(tokens: list[tuple[str, str]], condition: str) -> str:
    """The Python spelling; `!x` becomes `(not x)` around exactly the operand expr gives `!`."""
    parts: list[str] = []
    position = 0
    while position < len(tokens):
        kind, text = tokens[position]
        if text in _NEGATIONS:
            end = _operand_end(tokens, position + 1, condition)
            parts.append(f"(not {_python(tokens[position + 1 : end], condition)})")
            position = end
            continue
        if kind == "name" and text not in (*_LITERALS, *FUNCTIONS, *VARIABLES, "and", "or"):
            raise UnsupportedCondition(
                f"condition {condition!r}: {text!r} is not supported (names: result, {', '.join(FUNCTIONS)}, "
                "true, false, nil, and, or, not)"
            )
        parts.append(_LITERALS.get(text) or _OPERATORS.get(text) or text)
        position += 1
    return " ".join(parts)


@cache
def parse(condition: str) -> ast.Expression:
    """The condition as a checked Python AST (cached per text); UnsupportedCondition when outside the subset."""
    source = _python(_tokens(condition), condition)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        raise UnsupportedCondition(f"condition {condition!r} is not a supported expression") from None
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        _check(node, condition)
        if isinstance(node, ast.Name) and node.id in FUNCTIONS and id(node) not in called:
            raise UnsupportedCondition(f"condition {condition!r}: {node.id} must be called")
    return tree


_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Mod,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Call,
    ast.Subscript,
    ast.Name,
    ast.Load,
    ast.Constant,
)


def _check(node: ast.AST, condition: str) -> None:
    if not isinstance(node, _ALLOWED):
        raise UnsupportedCondition(f"condition {condition!r}: {type(node).__name__} is not supported")
    if isinstance(node, ast.Compare) and len(node.ops) > 1:
        raise UnsupportedCondition(f"condition {condition!r}: chained comparisons are not supported; use &&")
    if isinstance(node, ast.Call) and (
        not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords or len(node.args) != 1
    ):
        raise UnsupportedCondition(f"condition {condition!r}: only {', '.join(FUNCTIONS)} of one argument")


def evaluate(condition: str, result: Any) -> bool:
    """The condition's value for this `result`; EvaluationError when it fails or is not a boolean."""
    value = _eval(parse(condition).body, result)
    if not isinstance(value, bool):
        raise EvaluationError(f"condition {condition!r} gave {value!r}, expected a boolean")
    return value


def _boolean(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise EvaluationError(f"{what} needs booleans, got {value!r}")
    return value


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _eval(node: ast.AST, result: Any) -> Any:
    match node:
        case ast.Constant(value=value):
            return value
        case ast.Name(id=name):
            return result
        case ast.BoolOp(op=op, values=values):
            stop = isinstance(op, ast.Or)  # `or` stops at the first true operand, `and` at the first false one
            for value in values:
                if _boolean(_eval(value, result), "&&/||") is stop:
                    return stop
            return not stop
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not _boolean(_eval(operand, result), "!")
        case ast.UnaryOp(op=op, operand=operand):
            value = _eval(operand, result)
            if not _numeric(value):
                raise EvaluationError(f"unary minus/plus needs a number, got {value!r}")
            return -value if isinstance(op, ast.USub) else value
        case ast.BinOp(left=left, op=op, right=right):
            return _arithmetic(op, _eval(left, result), _eval(right, result))
        case ast.Compare(left=left, ops=[op], comparators=[right]):
            return _compare(op, _eval(left, result), _eval(right, result))
        case ast.Call(func=ast.Name(id=name), args=[argument]):
            return FUNCTIONS[name](_eval(argument, result))
        case ast.Subscript(value=value, slice=index):
            return _index(_eval(value, result), _eval(index, result))
    raise EvaluationError(f"cannot evaluate {ast.dump(node)}")  # unreachable: parse() admits only the nodes above


def _arithmetic(op: ast.operator, left: Any, right: Any) -> Any:
    if isinstance(op, ast.Add) and isinstance(left, str) and isinstance(right, str):
        return left + right
    if not (_numeric(left) and _numeric(right)):
        raise EvaluationError(f"arithmetic needs numbers, got {left!r} and {right!r}")
    if isinstance(op, ast.Div):  # expr divides as floats; Go's float division by zero gives ±Inf or NaN
        if right == 0:
            return math.nan if left == 0 or math.isnan(left) else math.copysign(math.inf, left)
        return left / right
    if isinstance(op, ast.Mod):
        if not (isinstance(left, int) and isinstance(right, int)) or right == 0:
            raise EvaluationError(f"% needs integers and a non-zero divisor, got {left!r} and {right!r}")
        return int(math.fmod(left, right))  # Go's remainder takes the sign of the dividend
    return {ast.Add: lambda: left + right, ast.Sub: lambda: left - right, ast.Mult: lambda: left * right}[type(op)]()


def _compare(op: ast.cmpop, left: Any, right: Any) -> bool:
    if isinstance(op, ast.Eq | ast.NotEq):
        same = left == right and (_numeric(left) == _numeric(right))
        return same if isinstance(op, ast.Eq) else not same
    if not ((_numeric(left) and _numeric(right)) or (isinstance(left, str) and isinstance(right, str))):
        raise EvaluationError(f"cannot compare {left!r} and {right!r}")
    return {ast.Lt: left < right, ast.LtE: left <= right, ast.Gt: left > right, ast.GtE: left >= right}[type(op)]


def _index(value: Any, index: Any) -> Any:
    if not isinstance(value, list | str) or isinstance(index, bool) or not isinstance(index, int):
        raise EvaluationError(f"cannot index {value!r} with {index!r}")
    if not -len(value) <= index < len(value):
        raise EvaluationError(f"index {index} out of range for {value!r} (length {len(value)})")
    return value[index]
