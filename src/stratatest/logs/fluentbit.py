"""Fluent Bit's classic configuration, its parsers and its parsing pipeline, reproduced in Python.

No Fluent Bit binary can run where this suite runs (no distribution package, no PyPI/npm build, no image pulls), so
this module is stratatest's reading of Fluent Bit's documented semantics, checked against Fluent Bit's own source
(`flb_cf_fluentbit.c`, `flb_parser*.c`, `flb_regex.c`, `filter_parser.c`, `in_tail`, `flb_ml_parser_*`).
It is NOT Fluent Bit: regexes run on the PyPI `regex` module (Onigmo's Ruby syntax where the two agree, refused
where they differ), and only the plugins listed below are modelled. Everything else raises `NotModelled`, so a
config the model does not understand fails a test instead of passing records through unexamined.

Modelled:
- the classic format: sections, indentation rules, comments, `@INCLUDE` (globs too), `@SET`, `${VAR}`,
  case-insensitive keys, repeated keys (kept in order; a single-valued read of a repeated key is an error);
- `[PARSER]` formats `regex` and `json` with `Time_Key`, `Time_Format` (strptime + `%L`), `Time_Keep`,
  `Time_Strict`, `Time_Offset`, `Time_System_Timezone`, `Time_Zone`, `Skip_Empty_Values`, `Types`;
- INPUT `tail`: `Path`/`Exclude_Path`, `Tag` with `*` expansion, `Parser`, `Key`, `Path_Key`, `Skip_Empty_Lines`,
  `Skip_Long_Lines`, and the built-in `multiline.parser` modes `docker` and `cri` (partial `P` lines joined);
- FILTER `parser` (`Key_Name`, several `Parser`, `Reserve_Data`, `Preserve_Key`, `Nest_Under`) with `Match` or
  `Match_Regex`; FILTER `kubernetes` as far as it works without an API server: the tag-derived `kubernetes`
  fields (pod, namespace, container, container id) and `Merge_Log` (`Merge_Parser`, `Merge_Log_Key`, `Keep_Log`,
  `Merge_Log_Trim`). What it would add from the API server is not invented; pod annotations are taken as absent;
- OUTPUT routing by `Match`/`Match_Regex`; `deployed_config` finds the file a rendered DaemonSet's container reads.

Failure behaviour follows Fluent Bit: a regex that does not match leaves the record as it was (the tail input
wraps the raw line under `log`); an unparsable time is dropped from a regex parser's fields (kept by the json
parser) and the record keeps its previous time, i.e. the ingestion time when no earlier parser set one. Both are
recorded in `Record.trail`, the warnings Fluent Bit would log.
"""

from __future__ import annotations

import fnmatch
import json
import re
import time as _time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

import regex

from stratatest.errors import ConfigError
from stratatest.logs.strptime import NotModelled, TimeFormat, parse_offset

__all__ = [
    "Config",
    "Deployed",
    "NotModelled",
    "Parser",
    "Pipeline",
    "Record",
    "Section",
    "cri_lines",
    "cri_timestamp",
    "deployed_config",
]

_TRUE = {"on", "true", "yes", "1"}
_FALSE = {"off", "false", "no", "0"}
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
_BLANK = " \t"


# --------------------------------------------------------------------------------------------------------------
# Classic configuration format


@dataclass(frozen=True)
class Section:
    """One `[KIND]` block: keys lower-cased (Fluent Bit matches them case-insensitively), values trimmed."""

    kind: str
    entries: tuple[tuple[str, str], ...]
    origin: str  # "file:line" of the header, for messages

    def values(self, key: str) -> list[str]:
        """Every value of `key`, in file order (Parser and Rule may repeat)."""
        wanted = key.lower()
        return [v for k, v in self.entries if k == wanted]

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value of a single-valued key; ConfigError when it is set more than once (ambiguous)."""
        found = self.values(key)
        if len(found) > 1:
            raise ConfigError(f"{self.label}: '{key}' is set {len(found)} times ({found}); it takes one value")
        return found[0] if found else default

    def require(self, key: str) -> str:
        value = self.get(key)
        if value is None or value == "":
            raise ConfigError(f"{self.label}: '{key}' is required")
        return value

    def flag(self, key: str, default: bool) -> bool:
        """A boolean as `flb_utils_bool` reads it (on/off, true/false, yes/no, 1/0)."""
        value = self.get(key)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ConfigError(f"{self.label}: '{key}' must be on/off, true/false, yes/no or 1/0, not {value!r}")

    def __contains__(self, key: str) -> bool:
        return bool(self.values(key))

    @property
    def name(self) -> str:
        return (self.get("name") or "").lower()

    @property
    def properties(self) -> dict[str, str | list[str]]:
        """Keys to values; a repeated key maps to the list of its values."""
        out: dict[str, str | list[str]] = {}
        for key in dict.fromkeys(k for k, _ in self.entries):
            found = self.values(key)
            out[key] = found[0] if len(found) == 1 else found
        return out

    @property
    def label(self) -> str:
        """`[FILTER] parser (service-json) at fluent-bit.conf:40`: how messages name a section."""
        alias = self.get("alias") if len(self.values("alias")) == 1 else None
        name = f" {self.name}" if self.name else ""
        return f"[{self.kind.upper()}]{name}" + (f" ({alias})" if alias else "") + f" at {self.origin}"


@dataclass(frozen=True)
class Config:
    """A whole Fluent Bit configuration: the main file, its includes and the parsers files it names."""

    sections: tuple[Section, ...]
    variables: Mapping[str, str]  # @SET
    files: tuple[str, ...]  # every file read, in order

    @classmethod
    def load(
        cls,
        files: Mapping[str, str],
        main: str = "fluent-bit.conf",
        *,
        directory: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Config:
        """Read `main` from `files` (a ConfigMap's data: file name → text), as Fluent Bit reads it from disk.

        `directory` is where those files are mounted (e.g. /fluent-bit/etc): paths in `@INCLUDE` and
        `Parsers_File` are resolved against it, and a path outside it is an error (stratatest cannot read the
        image's own files). Without it, a path resolves by its file name. `env` is the container's environment
        for `${VAR}`; a variable neither `@SET` nor in `env` is an error (Fluent Bit would substitute nothing).
        """
        reader = _Reader(files, directory, env or {})
        reader.read(reader.resolve(main, "the main configuration")[0])
        service = [s for s in reader.raw if s[0] == "service"]
        for _, entries, origin in service:
            for key, value in entries:
                if key == "parsers_file":
                    for name in reader.resolve(reader.expand(value, origin), f"Parsers_File at {origin}"):
                        reader.read(name, parsers_only=True)
        sections = tuple(
            Section(kind, tuple((k, reader.expand(v, origin)) for k, v in entries), origin)
            for kind, entries, origin in reader.raw
        )
        return cls(sections, dict(reader.sets), tuple(reader.included))

    def of(self, kind: str) -> list[Section]:
        return [s for s in self.sections if s.kind == kind.lower()]

    @property
    def service(self) -> Section | None:
        found = self.of("service")
        return found[0] if found else None

    @property
    def inputs(self) -> list[Section]:
        return self.of("input")

    @property
    def filters(self) -> list[Section]:
        return self.of("filter")

    @property
    def outputs(self) -> list[Section]:
        return self.of("output")

    @property
    def parser_sections(self) -> list[Section]:
        return self.of("parser")

    @property
    def multiline_parser_sections(self) -> list[Section]:
        return self.of("multiline_parser")

    def section(self, kind: str, name: str) -> Section:
        """The one section of `kind` whose Name (or Alias) is `name`."""
        found = [s for s in self.of(kind) if name.lower() in (s.name, (s.get("alias") or "").lower())]
        if len(found) != 1:
            have = ", ".join(s.label for s in self.of(kind)) or "none"
            raise ConfigError(f"expected one [{kind.upper()}] named {name!r}, found {len(found)}; have: {have}")
        return found[0]


class _Reader:
    """`read_config` of flb_cf_fluentbit.c, over an in-memory set of files."""

    def __init__(self, files: Mapping[str, str], directory: str | None, env: Mapping[str, str]) -> None:
        self.files = files
        self.directory = directory.rstrip("/") if directory else None
        self.env = env
        self.sets: dict[str, str] = {}
        self.included: list[str] = []
        self.raw: list[tuple[str, list[tuple[str, str]], str]] = []

    def resolve(self, path: str, what: str) -> list[str]:
        """File names in `files` that `path` (possibly a glob) refers to."""
        if self.directory:
            if path.startswith("/"):
                parent = str(PurePosixPath(path).parent)
                if parent != self.directory:
                    raise ConfigError(
                        f"{what}: {path!r} is outside {self.directory}, where the ConfigMap is mounted; "
                        f"stratatest can only read the ConfigMap's files ({sorted(self.files)})"
                    )
            name = PurePosixPath(path).name if path.startswith("/") else path
        else:
            name = PurePosixPath(path).name
        found = sorted(k for k in self.files if fnmatch.fnmatchcase(k, name)) if "*" in name else [name]
        missing = [n for n in found if n not in self.files]
        if missing or not found:
            raise ConfigError(f"{what}: {path!r} is not in the ConfigMap; its files are {sorted(self.files)}")
        return found

    def expand(self, value: str, origin: str) -> str:
        def lookup(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in self.sets:
                return self.sets[key]
            if key in self.env:
                return self.env[key]
            raise ConfigError(
                f"{origin}: ${{{key}}} is neither @SET nor in the container's environment "
                f"(Fluent Bit would use an empty string); environment: {sorted(self.env)}"
            )

        return _VARIABLE.sub(lookup, value)

    def read(self, name: str, *, parsers_only: bool = False) -> None:
        if name in self.included:
            raise ConfigError(f"file already included: {name}")
        self.included.append(name)
        indent: str | None = None
        current: list[tuple[str, str]] | None = None
        kind = ""
        for number, raw in enumerate(self.files[name].split("\n"), start=1):
            line = raw[:-1] if raw.endswith("\r") else raw
            where = f"{name}:{number}"
            if not line or line[0] == "#":
                continue
            if len(line) > 9 and line[:9].lower() == "@include ":
                target = line[9:]
                for included in self.resolve(target, f"@INCLUDE at {where}"):
                    self.read(included, parsers_only=parsers_only)
                continue
            if line[0] == "@" and len(line) > 3:
                if line[:5].lower() == "@set " and "=" in line:
                    key, _, value = line[5:].partition("=")
                    self.sets[key.strip()] = value.strip()
                    continue
                raise ConfigError(f"{where}: unknown meta command {line!r}")
            if line[0] == "[":
                end = line.find("]")
                if end <= 0:
                    raise ConfigError(f"{where}: bad header definition {line!r}")
                kind = line[1:end].strip().lower()
                current = []
                if not parsers_only or kind in ("parser", "multiline_parser"):
                    self.raw.append((kind, current, where))
                continue
            if indent is None:
                if line[0] not in _BLANK:
                    raise ConfigError(f"{where}: entries must be indented under a [SECTION] header: {line!r}")
                width = 1
                while width < len(line) and line[width] in _BLANK:
                    width += 1
                indent = line[:width]
                if width == len(line):
                    continue  # a blank indented line fixes the indentation, as in Fluent Bit
            level = _indent_level(line, indent, where)
            if level == len(line) or line[level] == "#":
                continue
            space = line.find(" ", level)
            if space < 0:
                raise ConfigError(f"{where}: undefined value (key and value are separated by a space): {line!r}")
            key, value = line[level:space], line[space + 1 :]
            if key.startswith("["):
                raise NotModelled(f"{where}: configuration groups ({key}) are not modelled by stratatest")
            if not value:
                raise ConfigError(f"{where}: key {key!r} has an empty value")
            if current is None:
                raise ConfigError(f"{where}: {key!r} is outside any [SECTION]")
            current.append((key.strip().lower(), value.strip()))


def _indent_level(line: str, indent: str, where: str) -> int:
    """`check_indent`: the file's first indentation, exactly; or twice it (group content)."""
    if not line.startswith(indent):
        common = 0
        while common < len(line) and line[common] == indent[common]:
            common += 1
        at = line[common : common + 1]
        reason = "inconsistent use of tab and space" if at and at in _BLANK else "indentation level is too low"
        raise ConfigError(f"{where}: invalid indentation level ({reason}): {line!r}")
    level = len(indent)
    if level < len(line) and line[level] in _BLANK:
        extra = 0
        while level + extra < len(line) and line[level + extra] in _BLANK:
            extra += 1
        if extra != len(indent):
            raise ConfigError(f"{where}: invalid indentation level (extra indentation): {line!r}")
        level += extra
    return level


# --------------------------------------------------------------------------------------------------------------
# Parsers

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


# --------------------------------------------------------------------------------------------------------------
# Records and the pipeline


@dataclass(frozen=True)
class Record:
    """A log event as Fluent Bit hands it to the outputs: tag, time, fields in order, and how it got there."""

    tag: str
    time_ns: int
    pairs: tuple[tuple[str, Any], ...]
    trail: tuple[str, ...] = ()  # each step that touched it, and every warning Fluent Bit would log

    @property
    def fields(self) -> dict[str, Any]:
        """The fields as a dict (with duplicate keys the last wins; see `duplicate_keys`)."""
        return dict(self.pairs)

    @property
    def duplicate_keys(self) -> list[str]:
        """Keys present more than once: Elasticsearch rejects such a document (`Duplicate field`)."""
        keys = [k for k, _ in self.pairs]
        return sorted({k for k in keys if keys.count(k) > 1})

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)

    def __contains__(self, key: str) -> bool:
        return any(k == key for k, _ in self.pairs)

    @property
    def time(self) -> datetime:
        seconds, nanos = divmod(self.time_ns, 1_000_000_000)
        return datetime.fromtimestamp(seconds, UTC).replace(microsecond=nanos // 1000)

    @property
    def time_ms(self) -> int:
        """Milliseconds since the epoch: the precision the es output writes to `@timestamp`."""
        return self.time_ns // 1_000_000

    def _with(self, **changes: Any) -> Record:
        values = {"tag": self.tag, "time_ns": self.time_ns, "pairs": self.pairs, "trail": self.trail, **changes}
        return Record(**values)


def match_tag(section: Section, tag: str) -> bool:
    """Whether a FILTER/OUTPUT applies to `tag`: `Match` with `*` wildcards, or `Match_Regex`."""
    expression = section.get("match_regex")
    if expression is not None:
        return compile_onigmo(expression, section.label).search(tag) is not None
    pattern = section.get("match")
    if pattern is None:
        return False
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), tag, re.DOTALL) is not None


_TAIL_INERT = {  # tail options that do not change a record's content
    "name", "alias", "tag", "path", "exclude_path", "parser", "key", "path_key", "skip_empty_lines",
    "skip_long_lines", "buffer_chunk_size", "buffer_max_size", "db", "db.sync", "db.locking", "db.journal_mode",
    "db.compare_filename", "mem_buf_limit", "refresh_interval", "rotate_wait", "read_from_head", "ignore_older",
    "inotify_watcher", "storage.type", "storage.pause_on_chunks_overlimit", "threaded", "log_level",
    "multiline.parser", "progress_check_interval", "progress_check_interval_nsec", "file_cache_advise",
    "static_batch_size", "routable", "log_suppress_interval", "multiline.key_content",
}  # fmt: skip
_TAIL_OFF_ONLY = ("docker_mode", "multiline")  # allowed only when off
_KUBERNETES_INERT = {  # options that only shape API lookups, buffering or the metadata we do not invent
    "name", "alias", "match", "match_regex", "kube_url", "kube_ca_file", "kube_ca_path", "kube_token_file",
    "kube_token_command", "kube_token_ttl", "kube_tag_prefix", "merge_log", "merge_log_key", "merge_log_trim",
    "keep_log", "merge_parser", "k8s-logging.parser", "k8s-logging.exclude", "labels", "annotations",
    "buffer_size", "tls.debug", "tls.verify", "tls.vhost", "use_kubelet", "kubelet_host", "kubelet_port",
    "kube_meta_cache_ttl", "kube_meta_namespace_cache_ttl", "cache_use_docker_id", "dns_retries",
    "dns_wait_time", "namespace_labels", "namespace_annotations", "namespace_metadata_only", "owner_references",
    "log_level", "regex_parser", "use_journal", "kube_meta_preload_cache_dir", "use_tag_for_meta", "dummy_meta",
    "use_pod_association", "aws_pod_service_map_ttl", "set_platform", "tls.verify_hostname",
}  # fmt: skip
_KUBE_TAG = (
    r"(?<pod_name>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*)_(?<namespace_name>[^_]+)_"
    r"(?<container_name>.+)-(?<docker_id>[a-z0-9]{64})\.log$"
)  # filter_kubernetes/kube_regex.h, KUBE_TAG_TO_REGEX
_CRI_ML = r"^(?<time>.+?) (?<stream>stdout|stderr) (?<_p>F|P) (?<log>.*)$"  # flb_ml_parser_cri.c


def _size(text: str) -> int:
    """`flb_utils_size_to_bytes`: 32k, 5MB, 1G (powers of 1024)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG])?[bB]?\s*", text)
    if not match:
        raise ConfigError(f"invalid size {text!r}")
    factor = {"k": 1024, "m": 1024**2, "g": 1024**3}.get((match.group(2) or "").lower(), 1)
    return int(float(match.group(1)) * factor)


def _path_glob(pattern: str, path: str) -> bool:
    """glob(3) semantics for a tail Path: `*` and `?` stop at `/`."""
    out = ""
    for char in pattern:
        out += "[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char)
    return re.fullmatch(out, path) is not None


class Pipeline:
    """A loaded configuration run over log lines: tail INPUT → FILTERs matching the tag → OUTPUT routes."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.log: list[str] = []  # what Fluent Bit would log about lines that produce no record (skipped lines)
        self.parsers: dict[str, Parser] = {}
        for section in config.parser_sections:
            parser = Parser.from_section(section)
            if parser.name in self.parsers:
                raise ConfigError(f"{section.label}: parser {parser.name!r} already exists (Fluent Bit refuses)")
            self.parsers[parser.name] = parser
        self._ml_cri = Parser(
            name="_ml_cri",
            format="regex",
            origin="built-in multiline parser cri",
            pattern=_CRI_ML,
            time_key="time",
            time_format=TimeFormat("%Y-%m-%dT%H:%M:%S.%L%z", strict=False),
            time_keep=True,
            skip_empty=False,
            _compiled=compile_onigmo(_CRI_ML, "built-in cri"),
        )
        self._ml_docker = Parser(
            name="_ml_json_docker",
            format="json",
            origin="built-in multiline parser docker",
            time_key="time",
            time_format=TimeFormat("%Y-%m-%dT%H:%M:%S.%L", strict=False),
            time_keep=True,
        )
        for section in [*config.inputs, *config.filters]:
            for name in section.values("parser"):
                self.parser(name, section)

    def parser(self, name: str, section: Section | None = None) -> Parser:
        if name not in self.parsers:
            where = f"{section.label}: " if section else ""
            raise ConfigError(f"{where}parser {name!r} is not defined; parsers: {sorted(self.parsers)}")
        return self.parsers[name]

    # ---- inputs

    def tail(self, lines: Iterable[str], *, path: str, now: float | None = None) -> list[Record]:
        """The records Fluent Bit emits for `lines` appended to the file at `path` on the node, after filtering.

        Every tail INPUT whose Path covers `path` reads the lines (an error if none does). `now` is the ingestion
        time (defaults to the clock): the time of records no parser dates.
        """
        now = _time.time() if now is None else now
        inputs = [s for s in self.config.inputs if self._reads(s, path)]
        if not inputs:
            paths = [s.get("path") for s in self.config.inputs]
            raise ConfigError(f"no tail [INPUT] reads {path}; input paths: {paths}")
        lines = list(lines)
        records: list[Record] = []
        for section in inputs:
            for record in self._tail_records(section, lines, path, now):
                records.extend(self.filter(record, now=now))
        return records

    def _reads(self, section: Section, path: str) -> bool:
        """Whether a tail INPUT reads `path` (other input plugins read no files)."""
        if section.name != "tail":
            return False
        patterns = [p.strip() for p in (section.get("path") or "").split(",") if p.strip()]
        excluded = [p.strip() for p in (section.get("exclude_path") or "").split(",") if p.strip()]
        return any(_path_glob(p, path) for p in patterns) and not any(fnmatch.fnmatchcase(path, p) for p in excluded)

    def tag_for(self, section: Section, path: str) -> str:
        """in_tail's tag: the first `*` of Tag replaced by the path, `/` turned into `.` (a leading one dropped)."""
        if "tag_regex" in section:
            raise NotModelled(f"{section.label}: Tag_Regex is not modelled by stratatest")
        tag = section.get("tag")
        if not tag:
            index = [s for s in self.config.inputs if s.name == section.name].index(section)
            return f"{section.name}.{index}"
        if "*" not in tag:
            return tag
        flat = "".join("." if c in "/\\:" and i > 0 else "" if c in "/\\:" else c for i, c in enumerate(path))
        return tag.replace("*", flat, 1)

    def _tail_records(self, section: Section, lines: list[str], path: str, now: float) -> list[Record]:
        for key, _ in section.entries:
            if key not in _TAIL_INERT and key not in _TAIL_OFF_ONLY:
                raise NotModelled(f"{section.label}: tail option {key!r} is not modelled by stratatest")
        for key in _TAIL_OFF_ONLY:
            if section.flag(key, False):
                raise NotModelled(f"{section.label}: tail {key} On is not modelled by stratatest")
        tag = self.tag_for(section, path)
        key = section.get("key") or "log"
        path_key = section.get("path_key")
        now_ns = int(now * 1_000_000_000)
        limit = _size(section.get("buffer_max_size") or "32k")
        kept: list[str] = []
        for line in lines:
            if len(line.encode()) + 1 > limit:
                if not section.flag("skip_long_lines", False):
                    raise NotModelled(
                        f"{section.label}: a {len(line.encode())}-byte line exceeds Buffer_Max_Size with "
                        "Skip_Long_Lines Off: Fluent Bit stops reading the file"
                    )
                self.log.append(f"{section.label}: {len(line.encode())}-byte line over Buffer_Max_Size skipped")
                continue
            if not line and section.flag("skip_empty_lines", False):
                continue
            kept.append(line)
        if section.get("multiline.parser"):
            events = self._multiline(section, kept, now)
        else:
            events = []
            parser = self.parser(section.get("parser"), section) if section.get("parser") else None
            for line in kept:
                result = parser.parse(line, now=now) if parser else None
                if parser is None:
                    events.append((((key, line),), None, ()))
                elif result is None:
                    note = f"{section.label}: parser {parser.name} did not match; raw line kept under {key!r}"
                    events.append((((key, line),), None, (note,)))
                else:
                    events.append((result.pairs, result.time_ns, (f"{section.label}: parser {parser.name}",
                                                                   *result.warnings)))  # fmt: skip
        records = []
        for pairs, time_ns, steps in events:
            body = tuple(pairs)
            if path_key:
                body += ((path_key, path),)
            records.append(Record(tag, time_ns or now_ns, body, tuple(steps)))
        return records

    def _multiline(self, section: Section, lines: list[str], now: float) -> list[tuple[Any, int | None, Any]]:
        """Built-in `multiline.parser docker, cri`: the first mode that parses a line; partial lines joined."""
        modes = [m.strip().lower() for m in (section.get("multiline.parser") or "").split(",") if m.strip()]
        for mode in modes:
            if mode not in ("docker", "cri"):
                raise NotModelled(f"{section.label}: multiline parser {mode!r} is not modelled (only docker, cri)")
        events: list[tuple[Any, int | None, Any]] = []
        pending: dict[tuple[str, Any], tuple[list[tuple[str, Any]], int | None, list[str]]] = {}
        for line in lines:
            for mode in modes:
                parser = self._ml_cri if mode == "cri" else self._ml_docker
                result = parser.parse(line, now=now)
                if result is None or (mode == "docker" and not isinstance(dict(result.pairs).get("log"), str)):
                    continue
                fields = dict(result.pairs)
                group = (mode, fields.get("stream"))
                complete = fields.get("_p") == "F" if mode == "cri" else str(fields.get("log", "")).endswith("\n")
                if group in pending:
                    first_pairs, first_time, steps = pending.pop(group)
                    joined = str(dict(first_pairs).get("log", "")) + str(fields.get("log", ""))
                    pairs = [(k, joined if k == "log" else v) for k, v in first_pairs]
                    result_time, notes = first_time, [*steps, *result.warnings]
                else:
                    pairs, result_time = list(result.pairs), result.time_ns
                    notes = [f"{section.label}: multiline parser {mode}", *result.warnings]
                if complete:
                    events.append((tuple(pairs), result_time, tuple(notes)))
                else:
                    pending[group] = (pairs, result_time, notes)
                break
            else:
                note = f"{section.label}: no multiline parser ({', '.join(modes)}) matched; raw line kept under log"
                events.append(((("log", line),), None, (note,)))
        for pairs, result_time, notes in pending.values():  # flushed after flush_timeout, unterminated
            events.append((tuple(pairs), result_time, (*notes, "partial line flushed without its final part")))
        return events

    # ---- filters

    def filter(self, record: Record, *, now: float | None = None) -> list[Record]:
        """`record` through every FILTER matching its tag, in configuration order."""
        now = _time.time() if now is None else now
        current = [record]
        for section in self.config.filters:
            if not match_tag(section, record.tag):
                continue
            handler = {"parser": self._parser_filter, "kubernetes": self._kubernetes_filter}.get(section.name)
            if handler is None:
                raise NotModelled(f"{section.label}: filter plugin {section.name!r} is not modelled by stratatest")
            current = [handler(section, r, now) for r in current]
        return current

    def _parser_filter(self, section: Section, record: Record, now: float) -> Record:
        """filter_parser.c: parse Key_Name with the first Parser that succeeds; otherwise the record is untouched."""
        for key, _ in section.entries:
            if key not in ("name", "alias", "match", "match_regex", "key_name", "parser", "reserve_data",
                           "preserve_key", "nest_under", "log_level", "unescape_key"):  # fmt: skip
                raise NotModelled(f"{section.label}: parser filter option {key!r} is not modelled")
        key_name = section.require("key_name")
        if key_name.startswith("$"):
            raise NotModelled(f"{section.label}: record-accessor Key_Name {key_name!r} is not modelled")
        parsers = [self.parser(name, section) for name in section.values("parser")]
        if not parsers:
            raise ConfigError(f"{section.label}: no Parser (Fluent Bit refuses to start the filter)")
        reserve, preserve = section.flag("reserve_data", False), section.flag("preserve_key", False)
        nest_under = section.get("nest_under")
        parsed: ParseResult | None = None
        used: Parser | None = None
        source_index: int | None = None
        for index, (key, value) in enumerate(record.pairs):
            if key != key_name or not isinstance(value, str):
                continue
            for parser in parsers:
                result = parser.parse(value, now=now)
                if result is not None:
                    parsed, used, source_index = result, parser, index
                    break
        if parsed is None or used is None:
            note = f"{section.label}: no parser matched {key_name!r}; record unchanged"
            return record._with(trail=(*record.trail, note))
        body: tuple[tuple[str, Any], ...] = parsed.pairs
        if nest_under:
            body = ((nest_under, dict(body)),)
        if reserve:
            body += tuple(kv for i, kv in enumerate(record.pairs) if preserve or i != source_index)
        elif preserve:
            body += (record.pairs[source_index],)  # type: ignore[index]
        time_ns = parsed.time_ns if parsed.time_ns else record.time_ns
        steps = (f"{section.label}: parser {used.name} on {key_name!r}", *parsed.warnings)
        return record._with(time_ns=time_ns, pairs=body, trail=(*record.trail, *steps))

    def _kubernetes_filter(self, section: Section, record: Record, now: float) -> Record:
        """filter_kubernetes as far as it works without an API server: tag-derived metadata and Merge_Log.

        The `kubernetes` map gets what the tag says (pod, namespace, container, container id); what the API server
        would add (labels, host, pod_id, image) is not invented. Pod annotations (K8S-Logging.Parser/Exclude)
        are unknown here, so they are taken as absent and the trail says so.
        """
        for key, _ in section.entries:
            if key not in _KUBERNETES_INERT:
                raise NotModelled(f"{section.label}: kubernetes filter option {key!r} is not modelled")
        for key in ("use_journal", "dummy_meta"):
            if section.flag(key, False):
                raise NotModelled(f"{section.label}: kubernetes filter {key} On is not modelled")
        prefix = section.get("kube_tag_prefix") or "kube.var.log.containers."
        pattern = self.parser(section.require("regex_parser"), section).pattern if "regex_parser" in section else None
        match = None
        if record.tag.startswith(prefix):
            match = compile_onigmo(pattern or _KUBE_TAG, section.label).search(record.tag[len(prefix) :])
        if match is None:  # flb_kube_meta_get fails: Fluent Bit returns the records untouched, Merge_Log included
            return record._with(trail=(*record.trail, f"{section.label}: invalid pattern for given tag; unchanged"))
        pairs, time_ns, steps = self._merge_log(section, record, now)
        metadata = {k: v for k, v in match.groupdict().items() if v}
        note = (
            f"{section.label}: kubernetes fields from the tag only (API-server labels, host, pod_id, image not "
            "modelled); pod annotations taken as absent"
        )
        return record._with(
            time_ns=time_ns, pairs=(*pairs, ("kubernetes", metadata)), trail=(*record.trail, *steps, note)
        )

    def _merge_log(self, section: Section, record: Record, now: float) -> tuple[tuple[tuple[str, Any], ...], int, list]:
        """`pack_map_content`'s Merge_Log: the first `log` key's JSON (or Merge_Parser's fields) merged in."""
        index = next((i for i, (k, _) in enumerate(record.pairs) if k == "log"), None)
        if not section.flag("merge_log", False) or index is None:
            return record.pairs, record.time_ns, []
        value = record.pairs[index][1]
        keep_log = section.flag("keep_log", True)
        merged: tuple[tuple[str, Any], ...] | None = None
        time_ns = record.time_ns
        steps: list[str] = []
        if isinstance(value, dict):
            merged = tuple(value.items())
        elif isinstance(value, str):
            if section.get("merge_parser"):
                parser = self.parser(section.require("merge_parser"), section)
                result = parser.parse(value, now=now)
                if result is not None:
                    merged, steps = result.pairs, [f"{section.label}: Merge_Parser {parser.name}", *result.warnings]
                    time_ns = result.time_ns or int(now * 1_000_000_000)  # unparsed time: now, not the record's
            else:
                result = Parser("_kube_merge_json", "json", section.label).parse(value, now=now)
                if result is not None:
                    merged, steps = result.pairs, [f"{section.label}: Merge_Log merged the JSON in 'log'"]
            if merged is not None and section.flag("merge_log_trim", True):
                merged = tuple((k, _trim(v) if isinstance(v, str) else v) for k, v in merged)
        body = []
        for i, (key, item) in enumerate(record.pairs):
            if i != index or keep_log or merged is None:
                body.append((key, item))
        if merged:
            merge_key = section.get("merge_log_key")
            body.extend([(merge_key, dict(merged))] if merge_key else merged)
        elif merged is None:
            steps.append(f"{section.label}: 'log' is not a JSON object; kept as it is")
        return tuple(body), time_ns, steps

    # ---- outputs

    def routes(self, tag: str) -> list[Section]:
        """The OUTPUT sections a record with `tag` is delivered to."""
        return [s for s in self.config.outputs if match_tag(s, tag)]


# --------------------------------------------------------------------------------------------------------------
# The configuration a rendered workload actually loads

IMAGE_DEFAULT_CONFIG = "/fluent-bit/etc/fluent-bit.conf"  # the official image's CMD: -c /fluent-bit/etc/fluent-bit.conf


@dataclass(frozen=True)
class Deployed:
    """A rendered Fluent Bit workload and the configuration its container reads."""

    workload: Any  # stratatest.charts.Manifest
    container: dict[str, Any]
    config_path: str
    config: Config


def deployed_config(manifests: Any, *, kind: str = "DaemonSet") -> Deployed:
    """The Fluent Bit configuration a rendered workload loads: `-c`/`--config` (or the image default), read from
    the ConfigMap mounted at that file's directory, `${VAR}` resolved from the container's `env`.

    `manifests` is a `stratatest.charts.Manifests`. A Secret- or ConfigMap-sourced variable resolves to a marker
    (`<secret/key>`): its value is not in the chart, but the variable being defined is what Fluent Bit needs.
    """
    workload = manifests.find(kind=kind)
    pod = workload.pod_spec or {}
    candidates = [c for c in pod.get("containers") or [] if "fluent-bit" in str(c.get("image", ""))]
    if len(candidates) != 1:
        raise ConfigError(f"{workload.ref}: expected one fluent-bit container, found {len(candidates)}")
    container = candidates[0]
    args = [*(container.get("command") or [])[1:], *(container.get("args") or [])]
    config_path = IMAGE_DEFAULT_CONFIG
    for index, arg in enumerate(args):
        if arg.startswith("--config="):
            config_path = arg.split("=", 1)[1]
        elif arg in ("-c", "--config") and index + 1 < len(args):
            config_path = args[index + 1]
    directory = str(PurePosixPath(config_path).parent)
    mounts = {m["name"]: m for m in container.get("volumeMounts") or []}
    found = [
        (mounts[v["name"]], v["configMap"]["name"])
        for v in pod.get("volumes") or []
        if "configMap" in v and v["name"] in mounts and mounts[v["name"]]["mountPath"].rstrip("/") == directory
    ]
    if len(found) != 1:
        raise ConfigError(f"{workload.ref}: no ConfigMap is mounted at {directory}, where it reads {config_path}")
    mount, configmap = found[0]
    if "subPath" in mount:
        raise NotModelled(f"{workload.ref}: a subPath ConfigMap mount is not modelled (and never receives updates)")
    data = manifests.find(kind="ConfigMap", name=configmap).body.get("data") or {}
    env = {}
    for entry in container.get("env") or []:
        source = entry.get("valueFrom") or {}
        ref = source.get("secretKeyRef") or source.get("configMapKeyRef")
        env[entry["name"]] = str(entry.get("value", f"<{ref['name']}/{ref['key']}>" if ref else "<from the pod>"))
    if container.get("envFrom"):
        raise NotModelled(f"{workload.ref}: envFrom is not modelled (its variable names are not in the chart)")
    config = Config.load(data, PurePosixPath(config_path).name, directory=directory, env=env)
    return Deployed(workload, container, config_path, config)


# --------------------------------------------------------------------------------------------------------------
# The container runtime's side: CRI log lines


def _trim(value: str) -> str:
    """`value_trim_size` (Merge_Log_Trim): trailing newlines and escaped \\n / \\r sequences removed."""
    size = len(value)
    i = size - 1
    while i > 0:
        if value[i] == "\n":
            size -= 1
            i -= 1
            continue
        if value[i - 1] == "\\" and value[i] in "nr":
            size -= 2
            i -= 2
            continue
        break
    return value[:size]


def cri_timestamp(time_ns: int) -> str:
    """Go's time.RFC3339Nano in UTC, as containerd stamps a line: trailing zeros trimmed, no fraction when 0."""
    seconds, nanos = divmod(time_ns, 1_000_000_000)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{nanos:09d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def cri_lines(line: str, *, time_ns: int, stream: str = "stdout", max_bytes: int = 16 * 1024) -> list[str]:
    """One line a container wrote, as containerd stores it: `<time> <stream> <P|F> <chunk>`.

    Lines over `max_bytes` (containerd's max_container_log_line_size, 16 KiB by default) are cut into partial
    `P` chunks and a final `F` one. Cuts fall on character boundaries here (containerd cuts bytes).
    """
    if stream not in ("stdout", "stderr"):
        raise ValueError(f"stream must be stdout or stderr, not {stream!r}")
    if "\n" in line:
        raise ValueError("one line at a time: containerd splits the output at newlines")
    chunks: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        if size + width > max_bytes:
            chunks.append(current)
            current, size = "", 0
        current += char
        size += width
    chunks.append(current)
    stamp = cri_timestamp(time_ns)
    return [f"{stamp} {stream} {'F' if i == len(chunks) - 1 else 'P'} {chunk}" for i, chunk in enumerate(chunks)]
