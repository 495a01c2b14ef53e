"""Notices: what the person at the terminal must hear now (an interrupt, kept state, a leak), kept for the summary.

At the bottom of the imports so that anything may tell, and the plugin can print the summary without importing
what a run that never used stratatest has no need of.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

#: Where notices go; the pytest plugin swaps in a writer that gets past its output capture.
_notify: list[Callable[[str], None]] = [lambda text: print(text, file=sys.stderr, flush=True)]
NOTICES: list[str] = []


def set_notifier(write: Callable[[str], None]) -> None:
    _notify[0] = write


def notice(message: str) -> None:
    """Tell the person at the terminal now (and keep it for the end-of-run summary)."""
    NOTICES.append(message)
    _notify[0](f"stratatest: {message}")
