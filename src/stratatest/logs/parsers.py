"""Fluent Bit's `[PARSER]`s (`flb_parser*.c`, `flb_regex.c`): formats `regex` and `json`, and their time handling.

A parser decides the fields and the time every record ends up with, so it is reproduced with Fluent Bit's own
quirks: `Time_Key`, `Time_Format` (see `strptime`), `Time_Keep`, `Time_Strict`, `Time_Offset`,
`Time_System_Timezone`, `Time_Zone`, `Skip_Empty_Values`, `Types`. A parser that does not match returns None (the
caller keeps the record as it was); an unparsable time is dropped from a regex parser's fields, kept by the json
parser, and reported as the warning Fluent Bit would log.
"""

from __future__ import annotations

import json
import re
import time as _time
from dataclasses import dataclass, field
from typing import Any

import regex

from stratatest.errors import ConfigError
from stratatest.logs.config import Section
from stratatest.logs.strptime import NotModelled, TimeFormat, parse_offset

__all__ = ["ParseResult", "Parser", "compile_onigmo"]

_ONIGMO_ONLY = {
    "h": "\\h is a hex digit in Onigmo but not in Python's regex",
    "H": "\\H is a non-hex-digit in Onigmo but not in Python's regex",
    "Z": "\\Z may match before a final newline in Onigmo, only at the very end in Python's regex",
}


def compile_onigmo(pattern: str, where: str) -> regex.Pattern[str]:
    """A Fluent Bit regex (`pattern` or `/pattern/imx`) compiled so it matches as Onigmo's Ruby syntax would.

    Ruby syntax makes `^`/`$` line anchors (MULTILINE here) and `\\d \\w \\s` ASCII-only (ASCII here); the `m`
    option is dot-all. Constructs whose meaning differs between the engines are refused, not approximated.
    """
    body, flags = pattern, 0
    if pattern.startswith("/"):
        last = pattern.rfind("/")
        options = pattern[last + 1 :] if last > 0 else ""
        if options and all(c in "imxo" for c in options) and set(options) - {"o"}:
            body = pattern[1:last]
            flags |= regex.DOTALL if "m" in options else 0
            flags |= regex.IGNORECASE if "i" in options else 0
            flags |= regex.VERBOSE if "x" in options else 0
        elif pattern.endswith("/") and len(pattern) > 1:
            body = pattern[1:-1]
    position = 0
    while position < len(body):
        char = body[position]
        if char == "\\" and position + 1 < len(body):
            escaped = body[position + 1]
            if escaped in _ONIGMO_ONLY:
                raise NotModelled(f"{where}: {_ONIGMO_ONLY[escaped]}; rewrite the pattern without it")
            position += 2
            continue
        if body.startswith("(?", position):
            options_match = re.match(r"\(\?([imx]*)(?:-([imx]*))?[:)]", body[position:])
            if options_match and "m" in (options_match.group(1) or "") + (options_match.group(2) or ""):
                raise NotModelled(f"{where}: inline (?m) is dot-all in Onigmo and multi-line in Python's regex")
        position += 1
    try:
        compiled = regex.compile(body, flags | regex.MULTILINE | regex.ASCII | regex.VERSION0)
    except regex.error as err:
        raise ConfigError(f"{where}: invalid regex {pattern!r}: {err}") from None
    names = list(compiled.groupindex)
    if not names and compiled.groups:
        raise NotModelled(f"{where}: a regex with only unnamed groups yields a malformed record in Fluent Bit")
    if len(set(compiled.groupindex.values())) != len(names):
        raise NotModelled(f"{where}: repeated group names are not modelled")
    return compiled


@dataclass(frozen=True)
class ParseResult:
    """What `flb_parser_do` returns: the fields in order, the time it resolved (if any), its warnings."""

    pairs: tuple[tuple[str, Any], ...]
    time_ns: int | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Parser:
    """A `[PARSER]` as `flb_parser_create` builds it; `parse` applies it like `flb_parser_do`."""

    name: str
    format: str
    origin: str
    pattern: str | None = None
    time_key: str | None = None
    time_format: TimeFormat | None = None
    time_keep: bool = False
    skip_empty: bool = True
    types: tuple[tuple[str, str], ...] = ()
    decoders: tuple[tuple[str, str], ...] = ()
    _compiled: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def from_section(cls, section: Section) -> Parser:
        where = section.label
        name = section.require("name")
        fmt = section.require("format").lower()
        if fmt not in ("regex", "json", "ltsv", "logfmt", "tskv"):
            raise ConfigError(f"{where}: invalid format {fmt!r}")
        pattern = section.get("regex")
        if fmt == "regex" and not pattern:
            raise ConfigError(f"{where}: a regex parser needs Regex")
        time_format = None
        if section.get("time_format"):
            offset_text, zone = section.get("time_offset"), section.get("time_zone")
            system = section.flag("time_system_timezone", False)
            if zone and (system or offset_text):
                raise ConfigError(f"{where}: Time_Zone cannot be combined with Time_System_Timezone or Time_Offset")
            try:
                offset = parse_offset(offset_text) if offset_text and not system and not zone else 0
            except ValueError as err:
                raise ConfigError(f"{where}: {err}") from None
            time_format = TimeFormat(
                section.require("time_format"),
                offset=offset,
                system_timezone=system,
                zone=zone,
                strict=section.flag("time_strict", True),
            )
        elif section.get("time_zone"):
            raise ConfigError(f"{where}: Time_Zone requires Time_Format")
        types = tuple(
            (entry.split(":", 1)[0], entry.split(":", 1)[1].lower())
            for entry in (section.get("types") or "").split(" ")
            if ":" in entry
        )
        decoders = tuple((k, v) for k, v in section.entries if k.startswith("decode_field"))
        parser = cls(
            name=name,
            format=fmt,
            origin=where,
            pattern=pattern,
            time_key=section.get("time_key"),
            time_format=time_format,
            time_keep=section.flag("time_keep", False),
            skip_empty=section.flag("skip_empty_values", True),
            types=types,
            decoders=decoders,
        )
        if fmt == "regex":
            object.__setattr__(parser, "_compiled", compile_onigmo(pattern or "", where))
        return parser

    def parse(self, text: str, *, now: float | None = None) -> ParseResult | None:
        """The parsed record, or None where Fluent Bit's parser fails (the caller keeps the record unparsed)."""
        if self.format not in ("regex", "json"):
            raise NotModelled(f"parser {self.name!r}: format {self.format!r} is not modelled by stratatest")
        if self.decoders:
            raise NotModelled(f"parser {self.name!r}: {self.decoders[0][0]} is not modelled by stratatest")
        now = _time.time() if now is None else now
        return self._regex(text, now) if self.format == "regex" else self._json(text, now)

    @property
    def _time_field(self) -> str:
        return self.time_key or "time"

    def _time(self, value: str, now: float) -> int | None:
        assert self.time_format is not None
        got = self.time_format.lookup(value, now)
        if got is None:
            return None
        return got[0] * 1_000_000_000 + got[1]

    def _invalid_time(self, value: str) -> str:
        assert self.time_format is not None
        return f"[parser:{self.name}] invalid time format {self.time_format.full} for '{value}'"

    def _regex(self, text: str, now: float) -> ParseResult | None:
        match = self._compiled.search(text)
        if match is None:
            return None
        pairs: list[tuple[str, Any]] = []
        warnings: list[str] = []
        time_ns: int | None = None
        for name in self._compiled.groupindex:
            value = match.group(name) or ""
            if not value and self.skip_empty:
                continue
            if self.time_format and name == self._time_field:
                parsed = self._time(value, now)
                if parsed is None:
                    warnings.append(self._invalid_time(value))
                    continue  # Fluent Bit drops the field whose time it cannot read
                time_ns = parsed
                if not self.time_keep:
                    continue
            pairs.append((name, self._cast(name, value, warnings)))
        return ParseResult(tuple(pairs), time_ns or None, tuple(warnings))

    def _cast(self, key: str, value: str, warnings: list[str]) -> Any:
        kind = next((t for k, t in self.types if k == key), None)
        if kind in (None, "string"):
            return value
        if kind == "integer":
            return _c_integer(value)
        if kind == "hex":
            return _c_hex(value)
        if kind == "float":
            return _c_float(value)
        if kind == "bool":
            if value[:4].lower() == "true":
                return True
            if value[:5].lower() == "false":
                return False
            warnings.append(f"[PARSER] key={key} cast error. save as string.")
            return value
        return value  # an unknown type name is a string in Fluent Bit

    def _json(self, text: str, now: float) -> ParseResult | None:
        try:
            document = json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            return None
        if not isinstance(document, _Pairs):
            return None
        pairs = [(k, _plain(v)) for k, v in document]
        if self.time_format is None:
            return ParseResult(tuple(pairs), None)
        index = next((i for i, (k, _) in enumerate(pairs) if k == self._time_field), None)
        if index is None:
            return ParseResult(tuple(pairs), None)
        value = pairs[index][1]
        if not isinstance(value, str):
            warning = () if isinstance(value, bool) else (f"[parser:{self.name}] invalid non-string time",)
            return ParseResult(tuple(pairs), None, warning)
        parsed = self._time(value, now)
        if parsed is None:
            return ParseResult(tuple(pairs), None, (self._invalid_time(value),))  # field kept, time unset
        if not self.time_keep:
            del pairs[index]
        return ParseResult(tuple(pairs), parsed or None)


class _Pairs(list):
    """A JSON object as its key/value pairs: Fluent Bit keeps duplicate keys, a dict would not."""


def _pairs(items: list[tuple[str, Any]]) -> _Pairs:
    return _Pairs(items)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _plain(value: Any) -> Any:
    """Nested objects as dicts (later duplicates win), lists element-wise."""
    if isinstance(value, _Pairs):
        return {k: _plain(v) for k, v in value}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _c_integer(text: str) -> int:
    """atoll(3): leading blanks, a sign, digits; 0 when there are none."""
    match = re.match(r"\s*([+-]?\d+)", text)
    return int(match.group(1)) if match else 0


def _c_hex(text: str) -> int:
    """strtoull(text, NULL, 16)."""
    match = re.match(r"\s*([+-]?)(?:0[xX])?([0-9a-fA-F]+)", text)
    if not match:
        return 0
    value = int(match.group(2), 16)
    return (-value) % (1 << 64) if match.group(1) == "-" else value


def _c_float(text: str) -> float:
    """atof(3) on the decimal forms a log carries (plus inf/nan)."""
    match = re.match(r"\s*([+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf(?:inity)?|nan))", text, re.I)
    return float(match.group(1)) if match else 0.0
