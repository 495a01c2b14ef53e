"""Fluent Bit's time parsing (`Time_Format`, `%L`, `Time_Offset`, `Time_Keep`'s input), reproduced in Python.

This is stratatest's reading of `flb_parser_time_lookup` and `flb_strptime` (the BSD strptime Fluent Bit vendors),
not Fluent Bit itself. What it reproduces on purpose, because a log pipeline's timestamps depend on it:

- strptime consumes a prefix: text after the last directive is ignored, not an error;
- whitespace in the format matches any run of whitespace (including none);
- numbers take as many digits as the field's upper bound allows (`%Y` up to 4, `%m` up to 2);
- `%L` is not a strptime directive: Fluent Bit cuts the format there, reads up to 9 digits of fractional seconds
  as the C double `0.<digits>`, then parses the rest of the format; nanoseconds are that double times 1e9,
  truncated (so float rounding is Fluent Bit's, too);
- a format without a year (`%Y`/`%y`/`%s`) gets the current year prepended, and month/day default to today;
- a format with `%z`, `%Z`, `%SZ` or `%S.%LZ` is "with time zone": `Time_Offset` does not apply to it;
- unparsed struct tm fields keep C's zero values (tm_mday 0 is the last day of the previous month).

Directives Fluent Bit accepts but this module does not model (`%j`, `%U`, `%C`, `%c`, `%x`, `%E*`, ...) raise
`NotModelled` rather than parse differently.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from stratatest.errors import StratatestError


class NotModelled(StratatestError):
    """A Fluent Bit feature stratatest's model does not reproduce: refused loudly rather than approximated."""


_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]  # fmt: skip
_DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
_DIGITS = "0123456789"
_SPACE = " \t\n\v\f\r"


@dataclass
class Tm:
    """C's struct tm as Fluent Bit fills it: zero-initialised, `year` absolute (tm_year 0 is 1900)."""

    year: int = 1900
    month: int = 1  # tm_mon 0
    day: int = 0  # tm_mday 0: the day before the 1st
    hour: int = 0
    minute: int = 0
    second: int = 0
    gmtoff: int = 0
    epoch: int | None = None  # %s sets the whole time


def _number(text: str, pos: int, low: int, high: int) -> tuple[int, int] | None:
    """BSD `_conv_num`: greedy digits while the value can still grow within `high`, then a range check."""
    if pos >= len(text) or text[pos] not in _DIGITS:
        return None
    value, limit = 0, high
    while True:
        value = value * 10 + int(text[pos])
        pos += 1
        limit //= 10
        if not (value * 10 <= high and limit and pos < len(text) and text[pos] in _DIGITS):
            break
    if value < low or value > high:
        return None
    return value, pos


def _name(text: str, pos: int, names: list[str]) -> tuple[int, int] | None:
    """Full name first, then its three-letter abbreviation, case-insensitively (BSD order)."""
    lowered = text[pos:].lower()
    for index, full in enumerate(names):
        if lowered.startswith(full):
            return index, pos + len(full)
        if lowered.startswith(full[:3]):
            return index, pos + 3
    return None


def _zone_offset(text: str, pos: int) -> tuple[int, int] | None:
    """`%z`: Z, UT, UTC, GMT, or ±hh, ±hhmm, ±hh:mm."""
    for word in ("UTC", "GMT", "UT", "Z"):
        if text.startswith(word, pos):
            return 0, pos + len(word)
    if pos >= len(text) or text[pos] not in "+-":
        return None
    sign = -1 if text[pos] == "-" else 1
    pos += 1
    digits = text[pos : pos + 2]
    if len(digits) != 2 or not digits.isdigit():
        return None
    hours, pos = int(digits), pos + 2
    minutes = 0
    if text.startswith(":", pos) and text[pos + 1 : pos + 3].isdigit() and len(text[pos + 1 : pos + 3]) == 2:
        minutes, pos = int(text[pos + 1 : pos + 3]), pos + 3
    elif text[pos : pos + 2].isdigit() and len(text[pos : pos + 2]) == 2:
        minutes, pos = int(text[pos : pos + 2]), pos + 2
    if hours > 24 or minutes > 59:
        return None
    return sign * (hours * 3600 + minutes * 60), pos


_COMPOSITE = {"T": "%H:%M:%S", "R": "%H:%M", "D": "%m/%d/%y"}
_NUMERIC = {  # directive: (attribute, low, high)
    "Y": ("year", 0, 9999),
    "m": ("month", 1, 12),
    "d": ("day", 1, 31),
    "e": ("day", 1, 31),
    "H": ("hour", 0, 23),
    "k": ("hour", 0, 23),
    "I": ("hour", 1, 12),
    "l": ("hour", 1, 12),
    "M": ("minute", 0, 59),
    "S": ("second", 0, 61),
}


def strptime(text: str, fmt: str, tm: Tm, pos: int = 0) -> int | None:
    """Parse `text[pos:]` with `fmt` into `tm` (in place, as C does); the position reached, or None on mismatch.

    On a mismatch `tm` keeps what was parsed before it: Fluent Bit's non-strict mode uses that partial time.
    """
    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char in _SPACE:
            while pos < len(text) and text[pos] in _SPACE:
                pos += 1
            i += 1
            continue
        if char != "%":
            if pos >= len(text) or text[pos] != char:
                return None
            pos, i = pos + 1, i + 1
            continue
        if i + 1 >= len(fmt):
            return None
        directive = fmt[i + 1]
        i += 2
        if directive == "%":
            if pos >= len(text) or text[pos] != "%":
                return None
            pos += 1
        elif directive in _COMPOSITE:
            reached = strptime(text, _COMPOSITE[directive], tm, pos)
            if reached is None:
                return None
            pos = reached
        elif directive in _NUMERIC:
            attribute, low, high = _NUMERIC[directive]
            got = _number(text, pos, low, high)
            if got is None:
                return None
            setattr(tm, attribute, got[0])
            pos = got[1]
        elif directive == "y":
            got = _number(text, pos, 0, 99)
            if got is None:
                return None
            tm.year = got[0] + (2000 if got[0] < 69 else 1900)
            pos = got[1]
        elif directive == "p":
            lowered = text[pos : pos + 2].lower()
            if lowered not in ("am", "pm") or tm.hour > 12:
                return None
            if lowered == "pm" and tm.hour != 12:
                tm.hour += 12
            elif lowered == "am" and tm.hour == 12:
                tm.hour = 0
            pos += 2
        elif directive in "bBh":
            got = _name(text, pos, _MONTHS)
            if got is None:
                return None
            tm.month, pos = got[0] + 1, got[1]
        elif directive in "aA":
            got = _name(text, pos, _DAYS)  # the weekday is parsed and then ignored, as timegm(3) ignores it
            if got is None:
                return None
            pos = got[1]
        elif directive in "nt":
            while pos < len(text) and text[pos] in _SPACE:
                pos += 1
        elif directive == "z":
            got = _zone_offset(text, pos)
            if got is None:
                return None
            tm.gmtoff, pos = got
        elif directive == "Z":
            word = next((w for w in ("UTC", "GMT") if text.startswith(w, pos)), None)
            if word is None:
                return None  # BSD also accepts the host's tzname; a node runs in UTC, where that is UTC/GMT
            tm.gmtoff, pos = 0, pos + len(word)
        elif directive == "s":
            end = pos + (1 if text[pos : pos + 1] == "-" else 0)
            while end < len(text) and text[end] in _DIGITS:
                end += 1
            if end == pos or text[pos:end] == "-":
                return None
            tm.epoch, pos = int(text[pos:end]), end
        else:
            raise NotModelled(f"Time_Format directive %{directive} is not modelled by stratatest (format {fmt!r})")
    return pos


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date; `day` may be out of range (timegm normalises)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468 + day - 1


def timegm(tm: Tm) -> int:
    """timegm(3) minus tm_gmtoff: what `flb_parser_tm2time` returns when the system time zone is not used."""
    if tm.epoch is not None:
        return tm.epoch
    days = _days_from_civil(tm.year, tm.month, tm.day)
    return days * 86400 + tm.hour * 3600 + tm.minute * 60 + tm.second - tm.gmtoff


@dataclass(frozen=True)
class TimeFormat:
    """A parser's Time_Format with the flags Fluent Bit derives from it when the parser is created."""

    full: str
    offset: int = 0  # Time_Offset in seconds, for formats without a zone
    system_timezone: bool = False
    zone: str | None = None  # Time_Zone (IANA), for formats without a zone
    strict: bool = True

    @property
    def with_year(self) -> bool:
        return any(d in self.full for d in ("%Y", "%y", "%s"))

    @property
    def with_tz(self) -> bool:
        return any(d in self.full for d in ("%z", "%Z", "%SZ", "%S.%LZ"))

    def _split(self) -> tuple[str, str | None]:
        base = self.full if self.with_year else "%Y " + self.full
        if "%L" in base:
            before, after = base.split("%L", 1)
            return before, after
        return base, None

    def lookup(self, value: str, now: float) -> tuple[int, int] | None:
        """(seconds, nanoseconds) as Fluent Bit computes them; None where Fluent Bit reports an invalid time.

        `now` is the ingestion time: it supplies the year (and month/day) of formats that have none.
        """
        if len(value) > 63:
            return None  # Fluent Bit refuses time strings that do not fit its 64-byte buffer
        tm = Tm()
        text = value
        if not self.with_year:
            if len(value) + 6 >= 64:
                return None
            today = self._local(now)
            tm.month, tm.day = today.month, today.day
            text = f"{today.year} {value}"
        before, after = self._split()
        pos = strptime(text, before, tm)
        fraction = 0.0
        if pos is None:
            if self.strict:
                return None
            return self._to_time(tm), 0  # non-strict: the partially filled tm, as Fluent Bit uses it
        if after is not None:
            digits = ""
            while len(digits) < 9 and pos + len(digits) < len(text) and text[pos + len(digits)] in _DIGITS:
                digits += text[pos + len(digits)]
            if not digits:
                if self.strict:
                    return None
                return self._to_time(tm), 0
            fraction = float("0." + digits)  # strtod, correctly rounded like glibc's
            pos = strptime(text, after, tm, pos + len(digits))
            if pos is None:
                if self.strict:
                    return None
                return self._to_time(tm), int(fraction * 1_000_000_000)
        if not self.with_tz and not self.zone:
            tm.gmtoff = self.offset
        return self._to_time(tm), int(fraction * 1_000_000_000)

    def _local(self, now: float) -> datetime:
        if self.zone and not self.with_tz:
            return datetime.fromtimestamp(now, ZoneInfo(self.zone))
        if self.system_timezone:
            return datetime.fromtimestamp(now).astimezone()
        return datetime.fromtimestamp(now, UTC)

    def _to_time(self, tm: Tm) -> int:
        if tm.epoch is not None:
            return tm.epoch
        if self.zone and not self.with_tz:
            # Fluent Bit picks the first zone offset consistent with the wall time; zoneinfo's fold=0 agrees except
            # possibly inside a DST transition's ambiguous hour.
            local = datetime(1970, 1, 1) + timedelta(seconds=timegm(Tm(*_wall(tm))))
            return int(local.replace(tzinfo=ZoneInfo(self.zone)).timestamp())
        if self.system_timezone:
            struct = (tm.year, tm.month, tm.day, tm.hour, tm.minute, tm.second, 0, 0, -1)
            return int(_time.mktime(struct))
        return timegm(tm)


def _wall(tm: Tm) -> tuple[int, int, int, int, int, int]:
    """The wall-clock fields alone (no offset): what a named time zone turns into an instant."""
    return tm.year, tm.month, tm.day, tm.hour, tm.minute, tm.second


def parse_offset(text: str) -> int:
    """`Time_Offset` (`+0200`, `-07:00`, `Z`) in seconds; ValueError where Fluent Bit refuses to create the parser."""
    if text.startswith("Z"):
        return 0
    if text[:1] not in "+-" or len(text) < 4:
        raise ValueError(f"invalid Time_Offset {text!r}")
    sign = -1 if text[0] == "-" else 1
    body = text[1:]
    hours = int(body[0:2])
    minutes = int(body[3:5]) if len(body) == 5 and body[2] == ":" else int(body[2:4])
    if hours > 59 or minutes > 59:
        raise ValueError(f"invalid Time_Offset {text!r}")
    return sign * (hours * 3600 + minutes * 60)
