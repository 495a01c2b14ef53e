"""The tags a run adds besides the run id where resources outlive it (a sandbox account): who started it and
when it may be swept.

The expiry is written as `YYYY-MM-DDTHH:MM:SSZ` (UTC): it sorts as text, reads the same in every console, and
is what `sweep --expired` compares against when the run that created a resource is long gone.
"""

from __future__ import annotations

from datetime import UTC, datetime

OWNER_TAG = "stratatest:owner"
EXPIRES_TAG = "stratatest:expires"
_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def format_expiry(moment: datetime) -> str:
    """`moment` as the expiry tag's value, in UTC."""
    return moment.astimezone(UTC).strftime(_FORMAT)


def parse_expiry(value: str) -> datetime | None:
    """The expiry a tag value names, or None when it is not in the tag's format (never treated as expired)."""
    try:
        return datetime.strptime(value, _FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
