"""What Elasticsearch does with the shipper's records: index names, templates, mappings, ILM ages.

Pure functions over the JSON the platform keeps in the repository (index template, ILM policies) and over
`pipeline.Record`s: no Elasticsearch runs here. The es output's document shape follows Fluent Bit's out_es
(`@timestamp` from the record time, milliseconds, `Replace_Dots`), the matching rules follow Elasticsearch's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stratatest.errors import ConfigError
from stratatest.logs.config import Section
from stratatest.logs.pipeline import Record
from stratatest.logs.strptime import NotModelled

#: Elasticsearch TimeValue suffixes, longest first so `ms` is not read as `m`.
_UNITS = (
    ("nanos", timedelta(microseconds=0.001)),
    ("micros", timedelta(microseconds=1)),
    ("ms", timedelta(milliseconds=1)),
    ("d", timedelta(days=1)),
    ("h", timedelta(hours=1)),
    ("m", timedelta(minutes=1)),
    ("s", timedelta(seconds=1)),
)


def time_value(text: str) -> timedelta:
    """An Elasticsearch time value (`365d`, `12h`, `30m`, `90s`, `500ms`); ValueError where Elasticsearch refuses.

    Like `TimeValue.parseTimeValue`: case-insensitive, whole numbers only (fractions are refused), `0` alone
    allowed without a unit.
    """
    lowered = text.strip().lower()
    if lowered == "0":
        return timedelta(0)
    for suffix, unit in _UNITS:
        if lowered.endswith(suffix):
            number = lowered[: -len(suffix)].strip()
            if not re.fullmatch(r"\d+", number):
                raise ValueError(f"{text!r}: Elasticsearch time values are whole numbers with a unit (d/h/m/s/ms)")
            return int(number) * unit
    raise ValueError(f"{text!r} has no Elasticsearch time unit (nanos, micros, ms, s, m, h, d)")


def simple_match(pattern: str, name: str) -> bool:
    """Elasticsearch's `Regex.simpleMatch`, used for index_patterns: `*` is the only wildcard."""
    expression = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(expression, name, re.DOTALL) is not None


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else key, inner, out)
    else:
        out[prefix] = value


@dataclass(frozen=True)
class IndexTemplate:
    """A composable index template as `PUT _index_template/<name>` takes it (or as GET returns it)."""

    body: dict[str, Any]
    source: str = ""

    @classmethod
    def load(cls, path: Path) -> IndexTemplate:
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise ConfigError(f"cannot read index template {path}: {err}") from None
        if isinstance(document, dict) and "index_template" in document:
            document = document["index_template"]
        if not isinstance(document, dict):
            raise ConfigError(f"{path} is not an index template object")
        return cls(document, str(path))

    @property
    def index_patterns(self) -> list[str]:
        patterns = self.body.get("index_patterns") or []
        return [patterns] if isinstance(patterns, str) else list(patterns)

    def matches(self, index: str) -> bool:
        return any(simple_match(p, index) for p in self.index_patterns)

    @property
    def is_data_stream(self) -> bool:
        return "data_stream" in self.body

    @property
    def settings(self) -> dict[str, Any]:
        """Settings flattened to dotted keys, with the `index.` prefix Elasticsearch adds to bare ones."""
        out: dict[str, Any] = {}
        _flatten("", (self.body.get("template") or {}).get("settings") or {}, out)
        return {k if k.startswith("index.") else f"index.{k}": v for k, v in out.items()}

    @property
    def lifecycle_name(self) -> str | None:
        return self.settings.get("index.lifecycle.name")

    @property
    def mappings(self) -> dict[str, Any]:
        return (self.body.get("template") or {}).get("mappings") or {}

    @property
    def dynamic(self) -> str:
        """The root `dynamic` setting as a string: true (default), false, strict or runtime."""
        return str(self.mappings.get("dynamic", True)).lower()

    def field(self, dotted: str) -> dict[str, Any] | None:
        """The mapping of a field (`status`, `kubernetes.namespace_name`), following objects and dotted names."""
        if self.body.get("composed_of"):
            raise NotModelled(f"{self.source}: component templates {self.body['composed_of']} are not read")
        return _lookup(self.mappings.get("properties") or {}, dotted)

    def field_type(self, dotted: str) -> str | None:
        mapping = self.field(dotted)
        if mapping is None:
            return None
        return str(mapping.get("type", "object" if "properties" in mapping else ""))


def _lookup(properties: dict[str, Any], dotted: str) -> dict[str, Any] | None:
    if dotted in properties:
        return properties[dotted]
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        head, rest = ".".join(parts[:cut]), ".".join(parts[cut:])
        if head in properties:
            return _lookup(properties[head].get("properties") or {}, rest)
    return None


def ilm_delete_after(policy: dict[str, Any]) -> timedelta | None:
    """The delete phase's `min_age` of an ILM policy (`PUT _ilm/policy/<name>` body); None without a delete phase.

    A delete phase without `min_age` starts at 0ms, as Elasticsearch defaults it.
    """
    phases = (policy.get("policy") or policy).get("phases") or {}
    delete = phases.get("delete")
    if delete is None:
        return None
    return time_value(str(delete.get("min_age", "0ms")))


@dataclass(frozen=True)
class EsDestination:
    """Where Fluent Bit's es output sends a record, and the document it writes."""

    host: str
    port: int
    index: str
    write_operation: str
    document: dict[str, Any]


_ES_MODELLED = {
    "name", "alias", "match", "match_regex", "host", "port", "index", "logstash_format", "logstash_prefix",
    "logstash_prefix_separator", "logstash_dateformat", "time_key", "time_key_format", "time_key_nanos",
    "include_tag_key", "tag_key", "replace_dots", "write_operation", "suppress_type_name", "generate_id",
    "http_user", "http_passwd", "tls", "tls.verify", "tls.ca_file", "tls.crt_file", "tls.key_file", "tls.vhost",
    "trace_error", "trace_output", "retry_limit", "buffer_size", "workers", "compress", "type", "path",
    "pipeline", "current_time_index", "id_key", "net.keepalive", "storage.total_limit_size", "log_level",
}  # fmt: skip


def es_destination(section: Section, record: Record) -> EsDestination:
    """out_es for one record: host, port, the index (or data stream) name, and the JSON document.

    `@timestamp` (Time_Key) is the record time in UTC with milliseconds, truncated, and a `Z`, unless
    Time_Key_Nanos. Options that change the document or its index and are not modelled raise `NotModelled`.
    """
    if section.name not in ("es", "elasticsearch"):
        raise ConfigError(f"{section.label} is not an es output")
    for key, _ in section.entries:
        if key not in _ES_MODELLED:
            raise NotModelled(f"{section.label}: es option {key!r} is not modelled by stratatest")
    for key in ("current_time_index",):
        if section.flag(key, False):
            raise NotModelled(f"{section.label}: {key} On is not modelled")
    if section.get("id_key") or section.get("cloud_id"):
        raise NotModelled(f"{section.label}: Id_Key/Cloud_ID are not modelled")
    moment = datetime.fromtimestamp(record.time_ns // 1_000_000_000, UTC)
    nanos = record.time_ns % 1_000_000_000
    stamp = moment.strftime(section.get("time_key_format") or "%Y-%m-%dT%H:%M:%S")
    stamp += f".{nanos:09d}Z" if section.flag("time_key_nanos", False) else f".{nanos // 1_000_000:03d}Z"
    if section.flag("logstash_format", False):
        prefix = section.get("logstash_prefix") or "logstash"
        separator = section.get("logstash_prefix_separator") or "-"
        index = prefix + separator + moment.strftime(section.get("logstash_dateformat") or "%Y.%m.%d")
    else:
        index = section.get("index") or "fluent-bit"
    body: dict[str, Any] = {section.get("time_key") or "@timestamp": stamp}
    if section.flag("include_tag_key", False):
        body[section.get("tag_key") or "_flb-key"] = record.tag
    replace = section.flag("replace_dots", False)
    for key, value in record.pairs:
        body[_dots(key) if replace else key] = _replace_dots(value) if replace else value
    return EsDestination(
        host=section.get("host") or "127.0.0.1",
        port=int(section.get("port") or 9200),
        index=index,
        write_operation=(section.get("write_operation") or "create").lower(),
        document=body,
    )


def _dots(key: str) -> str:
    return key.replace(".", "_")


def _replace_dots(value: Any) -> Any:
    if isinstance(value, dict):
        return {_dots(k): _replace_dots(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_dots(v) for v in value]
    return value


def document_fields(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Leaf fields of a document by dotted path (`kubernetes.namespace_name`): what a mapping must cover."""
    out: dict[str, Any] = {}
    for key, value in document.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out.update(document_fields(value, path))
        else:
            out[path] = value
    return out
