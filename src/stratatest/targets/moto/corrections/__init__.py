"""Corrections of moto behaviour that differs from AWS in ways that break Terraform or security checks.

Each correction patches moto's own classes inside the server process the suite starts (never the Terraform
module under test), is pinned to the moto version it was written against, and has two tests: one that shows
the gap on plain moto (so it fails the day moto fixes it upstream and the correction can go) and one that
shows it corrected. Importing this package does not import moto; `apply` does.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from stratatest.errors import ConfigError

__all__ = ["CORRECTIONS", "Correction", "RequestInfo", "current_request", "select"]

MOTO_VERSION = "5.2.5"


@dataclass(frozen=True)
class RequestInfo:
    """What the listener knows about the request and moto does not: the transport it arrived on."""

    scheme: str  # "https" or "http"
    tls_version: str | None = None  # e.g. "TLSv1.3"; None over plain HTTP


#: Set by the server's middleware for the request being handled (one thread per request).
current_request: ContextVar[RequestInfo | None] = ContextVar("stratatest_moto_request", default=None)


@dataclass(frozen=True)
class Correction:
    """One documented fix of a moto gap; `apply` patches moto in the current process."""

    name: str
    gap: str  # one sentence: what moto does wrong
    apply: Callable[[], None]
    moto_version: str = MOTO_VERSION


def _module_apply(module: str) -> Callable[[], None]:
    """Import the correction module only when applied, so selecting corrections never imports moto."""

    def apply() -> None:
        importlib.import_module(f"{__name__}.{module}").apply()

    return apply


CORRECTIONS: tuple[Correction, ...] = (
    Correction(
        name="s3_secure_transport",
        gap=(
            "moto evaluates bucket policies on object requests without a request context and ignores "
            "condition operators it does not know, so a TLS-only policy (Deny when aws:SecureTransport is "
            "false) denies every object request, even over HTTPS."
        ),
        apply=_module_apply("s3_secure_transport"),
    ),
    Correction(
        name="kms_rotation_period",
        gap=(
            "moto's EnableKeyRotation ignores RotationPeriodInDays and GetKeyRotationStatus never returns "
            "it, so aws_kms_key shows rotation_period_in_days drift on every plan."
        ),
        apply=_module_apply("kms_rotation_period"),
    ),
    Correction(
        name="s3_delete_marker_dispose",
        gap=(
            "moto crashes (500 AttributeError) deleting a key that has delete markers once the bucket's "
            "versioning is suspended, so destroying a versioned bucket with force_destroy retries for minutes."
        ),
        apply=_module_apply("s3_delete_marker_dispose"),
    ),
)


def select(spec: str) -> tuple[Correction, ...]:
    """Resolve "all", "none" or a comma list of names; an unknown name is a clear error."""
    spec = spec.strip()
    if spec == "all":
        return CORRECTIONS
    if spec in ("none", ""):
        return ()
    by_name = {c.name: c for c in CORRECTIONS}
    names = [n.strip() for n in spec.split(",") if n.strip()]
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ConfigError(
            f"unknown moto correction(s): {', '.join(unknown)}",
            hint=f'use "all", "none" or names from: {", ".join(by_name)}',
        )
    return tuple(by_name[n] for n in dict.fromkeys(names))
