"""Mask secrets in text that ends up in reports: failure messages, command lines, captured output.

Reports are kept as audit evidence and shared widely, so anything that looks like a credential is masked
before it is written. False positives (masking a harmless value) are preferred over leaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

MASK = "[REDACTED]"
#: Shorter values are not registered: masking "dev" or "true" everywhere would destroy the evidence.
MIN_SECRET_LENGTH = 6
_KNOWN_SECRETS: set[str] = set()

# Key names whose value is a secret: matched case-insensitively at the end of a longer name too
# (AWS_SECRET_ACCESS_KEY, db_password, SessionToken, client-secret).
_SECRET_KEY = (
    r"[A-Za-z0-9_.-]*?(?:secret[_-]?access[_-]?key|secret[_-]?key|password|passwd|token|client[_-]?secret"
    r"|api[_-]?key|private[_-]?key)"
)

_PEM = re.compile(
    r"(-----BEGIN (?P<kind>[A-Z0-9 ]*)PRIVATE KEY-----)(?:.*?(-----END (?P=kind)PRIVATE KEY-----)|.*\Z)",
    re.DOTALL,
)

_SECRET_NAME = re.compile(_SECRET_KEY, re.IGNORECASE)

# key = value, key: value, "key": "value", 'key': 'value'; the value is quoted or runs to a delimiter.
_ASSIGNMENT = re.compile(
    rf"""(?P<key>["']?\b{_SECRET_KEY}\b["']?\s*(?:==?|:)\s*)(?!{re.escape(MASK)})"""
    r"""(?:(?P<q>["'])(?P<quoted>(?:\\.|(?!(?P=q))[^\\])+)(?P=q)|(?P<bare>[^\s"',;&}\])]+))""",
    re.IGNORECASE,
)

# --db-password hunter2 (a command-line flag followed by its value as the next argument)
_FLAG = re.compile(rf"(?P<key>--{_SECRET_KEY}\s+)(?P<value>[^\s-]\S*)", re.IGNORECASE)

# "Authorization: Basic dXNlcjpwYXNz" and friends: everything after the scheme is the credential.
_AUTH_HEADER = re.compile(
    r"""(?P<key>\bauthorization["']?\s*[:=]\s*["']?(?:[A-Za-z]+\s+)?)(?P<value>[^\s"',;]+)""", re.IGNORECASE
)

# Bearer tokens in prose or logs; at least one non-letter so "bearer authentication" is left alone.
_BEARER = re.compile(r"(?P<key>\bbearer\s+)(?P<value>(?=[A-Za-z]*[0-9._~+/-])[A-Za-z0-9._~+/-]{8,}=*)", re.I)

# AWS access key ids: long-term (AKIA) and temporary (ASIA); the prefix is kept because it says which kind.
_ACCESS_KEY_ID = re.compile(r"\b(?P<prefix>AKIA|ASIA)[A-Z0-9]{16}\b")

# The password of a URL (postgres://app:hunter2@db:5432/app, any scheme): scheme, user and host stay, they are
# evidence. The password runs to the last "@" before a space or "/", so one holding "@" is masked whole.
_URL_PASSWORD = re.compile(r"""(?P<key>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@"'<>]*:)(?P<value>[^\s/"'<>]+)(?=@)""")

# Terraform's diagnostics show the values a failed condition read: `var.db_password is "hunter2"`, `is 1234`.
# A value too short to register, or one that never reached the harness, is masked by its variable's name.
_DIAGNOSTIC_VALUE = re.compile(
    rf"""(?P<key>\bvar\.{_SECRET_KEY}\s+is\s+)(?P<value>"(?:\\.|[^"\\])*"|-?[0-9][0-9.eE+-]*\b)""", re.IGNORECASE
)


def is_secret_name(name: str) -> bool:
    """True for a variable, output or argument whose name says its value is a secret (`db_password`)."""
    return _SECRET_NAME.fullmatch(name) is not None


def register_secret(value: Any) -> None:
    """Mask every string inside `value` wherever it appears from now on in this process, whatever surrounds it."""
    for text in _strings(value):
        if len(text) >= MIN_SECRET_LENGTH and text != MASK:
            _KNOWN_SECRETS.add(text)


def register_plan_secrets(plan: dict[str, Any], variables: dict[str, Any]) -> None:
    """Register the values a Terraform plan knows to be secret.

    Pattern matching alone misses a bare value (`assert out == "hunter2-prod"`), so the plan says what is secret:
    variables and outputs declared `sensitive`, and variables whose names are secret-like (`db_password`), as
    given by the test or as the plan resolved them.
    """
    declared = plan.get("configuration", {}).get("root_module", {})
    resolved = plan.get("variables", {})
    for name, spec in declared.get("variables", {}).items():
        if spec.get("sensitive") or is_secret_name(name):
            register_secret(variables.get(name))
            register_secret(resolved.get(name, {}).get("value"))
    for name, value in variables.items():
        if is_secret_name(name):
            register_secret(value)
    for name, output in plan.get("planned_values", {}).get("outputs", {}).items():
        if output.get("sensitive") or is_secret_name(name):
            register_secret(output.get("value"))


def register_output_secrets(outputs: dict[str, Any]) -> None:
    """Register the sensitive values of `terraform output -json` (each item carries its `sensitive` flag)."""
    for name, item in outputs.items():
        if item.get("sensitive") or is_secret_name(name):
            register_secret(item.get("value"))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def redact(text: str) -> str:
    """Return `text` with known secrets, private keys, secret assignments, URL passwords, the values terraform
    shows of secret-named variables, auth tokens and AWS key ids masked."""
    if not text:
        return text
    for secret in sorted(_KNOWN_SECRETS, key=len, reverse=True):  # longest first: one may contain another
        if secret in text:
            text = text.replace(secret, MASK)
    text = _PEM.sub(_mask_pem, text)
    text = _ASSIGNMENT.sub(_mask_assignment, text)
    text = _DIAGNOSTIC_VALUE.sub(_mask_diagnostic, text)
    text = _URL_PASSWORD.sub(lambda m: m["key"] + MASK, text)
    text = _FLAG.sub(lambda m: m["key"] + MASK, text)
    text = _AUTH_HEADER.sub(_mask_keep_key, text)
    text = _BEARER.sub(_mask_keep_key, text)
    return _ACCESS_KEY_ID.sub(lambda m: m["prefix"] + MASK, text)


def _mask_pem(match: re.Match[str]) -> str:
    end = match.group(3) or ""
    return f"{match.group(1)}{MASK}{end}"


def _mask_assignment(match: re.Match[str]) -> str:
    if match["q"]:
        return f"{match['key']}{match['q']}{MASK}{match['q']}"
    return match["key"] + MASK


def _mask_diagnostic(match: re.Match[str]) -> str:
    quote = '"' if match["value"].startswith('"') else ""
    return f"{match['key']}{quote}{MASK}{quote}"


def _mask_keep_key(match: re.Match[str]) -> str:
    if match["value"] == MASK:
        return match.group(0)
    return match["key"] + MASK
