"""Mask secrets in text that ends up in reports: failure messages, command lines, captured output.

Reports are kept as audit evidence and shared widely, so anything that looks like a credential is masked
before it is written. False positives (masking a harmless value) are preferred over leaks.
"""

from __future__ import annotations

import re

MASK = "[REDACTED]"

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


def redact(text: str) -> str:
    """Return `text` with private keys, secret assignments, auth tokens and AWS access key ids masked."""
    if not text:
        return text
    text = _PEM.sub(_mask_pem, text)
    text = _ASSIGNMENT.sub(_mask_assignment, text)
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


def _mask_keep_key(match: re.Match[str]) -> str:
    if match["value"] == MASK:
        return match.group(0)
    return match["key"] + MASK
