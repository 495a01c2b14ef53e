"""A loaded configuration run over log lines as Fluent Bit runs it: tail INPUT → FILTERs → OUTPUT routes.

Only these plugins are modelled; any other plugin or option raises `NotModelled`. INPUT `tail`: `Path`/`Exclude_Path`,
`Tag` with `*` expansion, `Parser`, `Key`, `Path_Key`, `Skip_Empty_Lines`, `Skip_Long_Lines`, and the built-in
`multiline.parser` modes `docker` and `cri` (partial `P` lines joined). FILTER `parser` (`Key_Name`, several
`Parser`, `Reserve_Data`, `Preserve_Key`, `Nest_Under`) and FILTER `kubernetes` as far as it works without an API
server: the tag-derived `kubernetes` fields and `Merge_Log` (`Merge_Parser`, `Merge_Log_Key`, `Keep_Log`,
`Merge_Log_Trim`); what the API server would add is not invented, pod annotations are taken as absent. Filters and
outputs select records by `Match` or `Match_Regex`.

Failure behaviour follows Fluent Bit: a parser that does not match leaves the record as it was (the tail input wraps
the raw line under `log`), and a record no parser dates keeps the ingestion time. `Record.trail` holds each step and
every warning Fluent Bit would log, so a test can say why a record looks as it does.
"""

from __future__ import annotations

import fnmatch
import re
import time as _time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stratatest.errors import ConfigError
from stratatest.logs.config import Config, Section
from stratatest.logs.parsers import Parser, ParseResult, compile_onigmo
from stratatest.logs.strptime import NotModelled, TimeFormat

__all__ = ["Pipeline", "Record", "match_tag"]


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
