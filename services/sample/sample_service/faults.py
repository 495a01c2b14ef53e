"""Fault injection for /api/items: how the alert tests make the error-rate and latency alerts fire for real."""

from __future__ import annotations

import json
import math
import random
import threading
from dataclasses import asdict, dataclass

MAX_DELAY_MS = 60_000  # bounded, so one bad request cannot park a handler thread (and a drain) for hours


@dataclass(frozen=True)
class Fault:
    error_rate: float = 0.0
    delay_ms: int = 0

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def parse_fault(body: bytes) -> Fault:
    """A JSON object with `error_rate` (0..1) and `delay_ms` (0..60000); a missing key means 0 (no fault).

    The whole fault is replaced, not merged, so a POST states the complete fault and `{}` clears it.
    Raises ValueError with a message fit for the 400 response.
    """
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("body must be a JSON object") from None
    if not isinstance(document, dict):
        raise ValueError("body must be a JSON object")
    unknown = sorted(set(document) - {"error_rate", "delay_ms"})
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    error_rate = document.get("error_rate", 0.0)
    # bool is an int subclass: `true` must not pass as 1.
    if isinstance(error_rate, bool) or not isinstance(error_rate, int | float) or not math.isfinite(error_rate):
        raise ValueError("error_rate must be a number between 0.0 and 1.0")
    if not 0.0 <= error_rate <= 1.0:
        raise ValueError("error_rate must be a number between 0.0 and 1.0")
    delay_ms = document.get("delay_ms", 0)
    if isinstance(delay_ms, bool) or not isinstance(delay_ms, int) or not 0 <= delay_ms <= MAX_DELAY_MS:
        raise ValueError(f"delay_ms must be an integer between 0 and {MAX_DELAY_MS}")
    return Fault(error_rate=float(error_rate), delay_ms=delay_ms)


class FaultState:
    """The current fault, shared by all handler threads."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._lock = threading.Lock()
        self._fault = Fault()
        self._rng = rng or random.Random()  # fault injection, not security

    def get(self) -> Fault:
        with self._lock:
            return self._fault

    def set(self, fault: Fault) -> None:
        with self._lock:
            self._fault = fault

    def roll(self) -> tuple[int, bool]:
        """(delay in ms, whether to fail) for one request. random() < 1.0 always, so error_rate 1.0 always fails."""
        with self._lock:
            fault = self._fault
            fail = fault.error_rate > 0.0 and self._rng.random() < fault.error_rate
        return fault.delay_ms, fail
