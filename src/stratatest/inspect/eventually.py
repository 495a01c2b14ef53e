"""`eventually(check)`: retry a check until it holds, for settings AWS applies asynchronously.

Eventually-consistent reads (a bucket policy just put, a table still CREATING) make a single assert flaky.
Retrying with backoff absorbs that, and the timeout error keeps the last real failure so the report shows
why it never became true, not merely that it timed out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def _describe_failure(error: BaseException | None, value: object) -> str:
    if isinstance(error, AssertionError):
        return str(error) or "AssertionError"
    if error is not None:
        return f"{type(error).__name__}: {error}"
    return f"returned {value!r}"


def eventually(
    check: Callable[[], T],
    *,
    timeout: float = 30.0,
    interval: float = 0.5,
    backoff: float = 1.5,
    max_interval: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `check()` until it passes, and return its value.

    A check passes when it raises nothing and returns None (a function of plain asserts) or a truthy value;
    a falsy value such as False, 0 or [] is a failure.

    Waits `interval` seconds after the first failure, growing by `backoff` up to `max_interval`; one last
    attempt runs at the deadline. On timeout raises AssertionError carrying the attempt count, the elapsed
    time and the last failure, chained from the last exception. Exceptions outside `Exception` (pytest's
    skip/fail, KeyboardInterrupt) are not retried.
    """
    if timeout < 0 or interval <= 0 or backoff < 1 or max_interval <= 0:
        raise ValueError("eventually() needs timeout >= 0, interval > 0, backoff >= 1 and max_interval > 0")
    start = clock()
    deadline = start + timeout
    delay = min(interval, max_interval)
    attempts = 0
    while True:
        attempts += 1
        error: Exception | None = None
        value: object = None
        try:
            result = check()
        except Exception as exc:
            error = exc
        else:
            if result is None or result:
                return result
            value = result
        now = clock()
        remaining = deadline - now
        if remaining <= 0:
            elapsed = now - start
            plural = "" if attempts == 1 else "s"
            raise AssertionError(
                f"still failing after {attempts} attempt{plural} over {elapsed:.1f}s; "
                f"last failure: {_describe_failure(error, value)}"
            ) from error
        sleep(min(delay, remaining))
        delay = min(delay * backoff, max_interval)
