"""Correction: evaluate bucket-policy conditions against the real request, as AWS does.

Gap (moto 5.2.5): `FakeBucket.get_permission` runs the bucket policy through `IAMPolicy` with no request
context. moto's condition check only knows `StringEquals` and treats any other operator as satisfied, and a
statement whose conditions fail is DENIED rather than ignored. So the standard TLS-only statement
(Deny s3:* to * when `Bool aws:SecureTransport = false`) denies every object request, including HTTPS ones,
and a bare `403` with no body comes back instead of S3's `AccessDenied` error.

Fix: for bucket policies only (IAM trust-policy evaluation is untouched), build the request context from
the listener the request arrived on (`aws:SecureTransport`, `s3:TlsVersion`), evaluate each statement's
conditions with AWS's rules (a missing key fails the condition except for negated operators, `...IfExists`
and `Null`), and treat a statement whose conditions do not hold as not applying (NEUTRAL). An operator this
module does not implement makes the statement not apply and is logged once to the server log, so an
unsupported condition never turns into a blanket deny. Bare 403 denials on object requests become
`AccessDenied` errors, as S3 answers them.
"""

from __future__ import annotations

import ipaddress
import json
import re
import sys
from collections.abc import Callable
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.s3.exceptions import S3AccessDeniedError
from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response

from stratatest.targets.moto.corrections import current_request

_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "ArnNotEquals",
    "ArnNotLike",
    "NotIpAddress",
    "BinaryNotEquals",
}
_warned: set[str] = set()


def request_context() -> dict[str, str]:
    """Condition keys (lower-cased, as AWS compares them) known for the request being handled."""
    info = current_request.get()
    if info is None:
        return {}
    context = {"aws:securetransport": "true" if info.scheme == "https" else "false"}
    if info.tls_version and info.tls_version.startswith("TLSv"):
        context["s3:tlsversion"] = info.tls_version.removeprefix("TLSv")
    return context


def _like(pattern: str, value: str, *, flags: int = 0) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags | re.DOTALL) is not None


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, list[str]], bool]:
    def test(actual: str, expected: list[str]) -> bool:
        try:
            return any(compare(float(actual), float(e)) for e in expected)
        except ValueError:
            return False

    return test


def _in_network(actual: str, expected: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(actual)
        return any(address in ipaddress.ip_network(e, strict=False) for e in expected)
    except ValueError:
        return False


#: Positive operators; a negated operator is the negation of its positive twin.
_OPERATORS: dict[str, Callable[[str, list[str]], bool]] = {
    "StringEquals": lambda a, exp: a in exp,
    "StringEqualsIgnoreCase": lambda a, exp: a.lower() in {e.lower() for e in exp},
    "StringLike": lambda a, exp: any(_like(e, a) for e in exp),
    "ArnEquals": lambda a, exp: any(_like(e, a) for e in exp),
    "ArnLike": lambda a, exp: any(_like(e, a) for e in exp),
    "Bool": lambda a, exp: a.lower() in {e.lower() for e in exp},
    "BinaryEquals": lambda a, exp: a in exp,
    "IpAddress": _in_network,
    "NumericEquals": _numeric(lambda a, e: a == e),
    "NumericLessThan": _numeric(lambda a, e: a < e),
    "NumericLessThanEquals": _numeric(lambda a, e: a <= e),
    "NumericGreaterThan": _numeric(lambda a, e: a > e),
    "NumericGreaterThanEquals": _numeric(lambda a, e: a >= e),
}
_POSITIVE_OF = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NotIpAddress": "IpAddress",
    "BinaryNotEquals": "BinaryEquals",
}


def condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool:
    """One operator/key pair of a Condition block, with AWS's rules for keys absent from the request."""
    values = [_as_text(v) for v in (expected if isinstance(expected, list) else [expected])]
    base, _, qualifier = operator, "", ""
    if ":" in base:  # ForAnyValue: / ForAllValues: — every key here is single-valued
        qualifier, base = base.split(":", 1)
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    actual = context.get(key.lower())

    if base == "Null":
        return (actual is None) == (values[0].lower() == "true")
    if actual is None:
        if if_exists or qualifier == "ForAllValues":
            return True
        return base in _NEGATED
    positive = _POSITIVE_OF.get(base, base)
    test = _OPERATORS.get(positive)
    if test is None:
        if operator not in _warned:
            _warned.add(operator)
            print(f"stratatest: bucket-policy condition {operator!r} is not evaluated", file=sys.stderr)
        return False
    result = test(actual, values)
    return not result if base in _NEGATED else result


def conditions_hold(block: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    """All operator/key pairs of a Condition block hold (AWS ANDs them)."""
    return all(
        condition_holds(operator, key, expected, context)
        for operator, pairs in block.items()
        for key, expected in pairs.items()
    )


def _as_text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


class BucketPolicyStatement(IAMPolicyStatement):
    """A bucket-policy statement that does not apply when its conditions do not hold."""

    def __init__(self, statement: dict[str, Any], context: dict[str, str]) -> None:
        super().__init__(statement)
        self._context = context

    def is_action_permitted(
        self,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> PermissionResult:
        condition = self._statement.get("Condition")
        if condition and not conditions_hold(condition, self._context):
            return PermissionResult.NEUTRAL
        return super().is_action_permitted(action, resource, principal, incoming_condition_values)

    def _check_conditions(self, incoming_condition_values: dict[str, str] | None) -> bool:
        return True  # already evaluated, with the request context, in is_action_permitted


def evaluate_bucket_policy(
    document: dict[str, Any], action: str, resource: str, context: dict[str, str]
) -> PermissionResult:
    """Any applicable Deny wins, then any applicable Allow; otherwise NEUTRAL (moto's combination)."""
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    permitted = False
    for statement in statements:
        result = BucketPolicyStatement(statement, context).is_action_permitted(action, resource)
        if result == PermissionResult.DENIED:
            return result
        permitted = permitted or result == PermissionResult.PERMITTED
    return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL


def _get_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
    if self.policy is None:
        return PermissionResult.NEUTRAL
    return evaluate_bucket_policy(json.loads(self.policy), action, resource, request_context())


def apply() -> None:
    """Patch FakeBucket.get_permission and S3Response._key_response (idempotent)."""
    if getattr(FakeBucket.get_permission, "__stratatest__", False):
        return
    _get_permission.__stratatest__ = True  # type: ignore[attr-defined]
    FakeBucket.get_permission = _get_permission  # type: ignore[method-assign]

    original_key_response = S3Response._key_response

    def _key_response(self: S3Response, request: Any, full_url: str) -> Any:
        response = original_key_response(self, request, full_url)
        if isinstance(response, tuple) and len(response) == 3 and response[0] == 403 and not response[2]:
            raise S3AccessDeniedError()  # key_response serialises it as S3's AccessDenied error
        return response

    S3Response._key_response = _key_response  # type: ignore[method-assign]
