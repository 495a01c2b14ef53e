"""Pure helpers for IAM-style policy documents (bucket, key and identity policies).

AWS accepts several spellings of the same statement: a single statement or a list, `"s3:*"` or `["s3:*"]`,
`"Principal": "*"` or `{"AWS": ["*"]}`, `"false"`, `false` or `["false"]` as a condition value. Checks
normalise first, so they test meaning rather than spelling and a policy cannot pass or fail on formatting.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

#: Statement elements whose value may be a string or a list of strings.
LIST_ELEMENTS = ("Action", "NotAction", "Resource", "NotResource")
PRINCIPAL_ELEMENTS = ("Principal", "NotPrincipal")


def as_list(value: Any) -> list[Any]:
    """`None` → `[]`, a scalar → `[scalar]`, a list stays a list (copied)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _condition_string(value: Any) -> str:
    # JSON booleans and numbers are legal condition values; AWS compares them as their string form.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def normalise_principal(value: Any) -> dict[str, list[str]]:
    """`"*"` → `{"AWS": ["*"]}` (AWS documents them as equivalent); every principal type maps to a list."""
    if value == "*":
        return {"AWS": ["*"]}
    if isinstance(value, Mapping):
        return {str(kind): [str(v) for v in as_list(ids)] for kind, ids in value.items()}
    raise ValueError(f"unrecognised principal: {value!r}")


def normalise_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `statement` with list elements as lists, principals as `{type: [ids]}` and condition
    values as `{operator: {key: [strings]}}`."""
    out = dict(statement)
    for element in LIST_ELEMENTS:
        if element in out:
            out[element] = [str(v) for v in as_list(out[element])]
    for element in PRINCIPAL_ELEMENTS:
        if element in out:
            out[element] = normalise_principal(out[element])
    if "Condition" in out:
        out["Condition"] = {
            str(operator): {str(key): [_condition_string(v) for v in as_list(values)] for key, values in block.items()}
            for operator, block in (out["Condition"] or {}).items()
        }
    return out


def statements(document: Mapping[str, Any] | str | None) -> list[dict[str, Any]]:
    """The normalised statements of a policy document (a dict or its JSON text); `None` → `[]`."""
    if document is None:
        return []
    if isinstance(document, str):
        document = json.loads(document)
    return [normalise_statement(s) for s in as_list(document.get("Statement"))]


def is_public_principal(statement: Mapping[str, Any]) -> bool:
    """True when the statement applies to everyone (`Principal` `"*"` or `{"AWS": "*"}`)."""
    if "NotPrincipal" in statement or "Principal" not in statement:
        return False
    return "*" in normalise_principal(statement["Principal"]).get("AWS", [])


def condition_keys(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every `(operator, key)` pair in the statement's Condition; they are ANDed, so each one narrows it."""
    return [(op, key) for op, block in (statement.get("Condition") or {}).items() for key in block]


def condition_values(statement: Mapping[str, Any], operator: str, key: str) -> list[str] | None:
    """Values for `key` under `operator`, as strings; `None` when absent.

    Condition key names are case-insensitive in AWS; operators are matched exactly.
    """
    block = (statement.get("Condition") or {}).get(operator) or {}
    for name, values in block.items():
        if name.lower() == key.lower():
            return [_condition_string(v) for v in as_list(values)]
    return None


def _wildcard_regex(pattern: str, *, case_sensitive: bool) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append("[^\x00]")  # never matches the sentinel `covers` uses for a wildcard target
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (0 if case_sensitive else re.IGNORECASE))


def covers(pattern: str, target: str, *, case_sensitive: bool = True) -> bool:
    """Does the policy wildcard `pattern` match every string `target` stands for?

    `*` in `target` means "any string", so `covers("arn:aws:s3:::b/*", "arn:aws:s3:::b/*")` is True but
    `covers("arn:aws:s3:::b/logs/*", "arn:aws:s3:::b/*")` is False: that pattern leaves other objects out.
    The target's `*` becomes a sentinel that only a pattern `*` can absorb. ARNs are case-sensitive;
    pass `case_sensitive=False` for actions.
    """
    return bool(_wildcard_regex(pattern, case_sensitive=case_sensitive).fullmatch(target.replace("*", "\x00")))


def covers_all_actions(statement: Mapping[str, Any], service: str) -> bool:
    """True when `Action` (not `NotAction`) includes `*` or `<service>:*`."""
    if "NotAction" in statement:
        return False
    return any(covers(a, f"{service}:*", case_sensitive=False) for a in as_list(statement.get("Action")))


def covers_resources(statement: Mapping[str, Any], *arns: str) -> bool:
    """True when `Resource` (not `NotResource`) covers each of `arns` (each may end in `*`)."""
    if "NotResource" in statement:
        return False
    patterns = [str(r) for r in as_list(statement.get("Resource"))]
    return all(any(covers(p, arn) for p in patterns) for arn in arns)


def conditioned_on_insecure_transport(statement: Mapping[str, Any]) -> bool:
    """True when the statement's sole condition is `Bool`/`BoolIfExists` `aws:SecureTransport` = false.

    Extra condition keys are ANDed and would let some plain-HTTP requests through, so they disqualify.
    """
    keys = condition_keys(statement)
    if len(keys) != 1:
        return False
    operator, key = keys[0]
    if operator not in ("Bool", "BoolIfExists") or key.lower() != "aws:securetransport":
        return False
    values = condition_values(statement, operator, key) or []
    return "false" in (v.lower() for v in values)
