"""Elasticsearch rules the logging tests rely on: time units, index patterns, mappings, ILM, out_es documents."""

from __future__ import annotations

import calendar
from datetime import timedelta

import pytest

from stratatest.errors import ConfigError
from stratatest.logs import NotModelled, Record, Section
from stratatest.logs.elasticsearch import (
    IndexTemplate,
    document_fields,
    es_destination,
    ilm_delete_after,
    simple_match,
    time_value,
)

pytestmark = pytest.mark.static

T13 = calendar.timegm((2026, 11, 26, 13, 0, 0)) * 1_000_000_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("365d", timedelta(days=365)),
        ("8760H", timedelta(days=365)),
        ("30m", timedelta(minutes=30)),
        ("90s", timedelta(seconds=90)),
        ("500ms", timedelta(milliseconds=500)),
        ("0", timedelta(0)),
        ("7 d", timedelta(days=7)),
    ],
)
def test_time_value(text: str, expected: timedelta) -> None:
    assert time_value(text) == expected


@pytest.mark.parametrize("text", ["365", "1.5d", "d", "365days", "-1d"])
def test_time_value_refuses_what_elasticsearch_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="Elasticsearch"):
        time_value(text)


def test_index_patterns_use_star_only() -> None:
    assert simple_match("platform-logs-*", "platform-logs-prod")
    assert not simple_match("platform-logs-*", "platform-logs")
    assert not simple_match("platform.logs-*", "platformXlogs-prod")  # a dot is a dot, not a regex wildcard


TEMPLATE = {
    "index_patterns": ["app-*"],
    "data_stream": {},
    "template": {
        "settings": {"index": {"lifecycle": {"name": "app"}}, "number_of_shards": 1},
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "status": {"type": "integer"},
                "kubernetes": {"properties": {"namespace_name": {"type": "keyword"}}},
                "http.method": {"type": "keyword"},
            },
        },
    },
}


def test_template_settings_and_field_lookup() -> None:
    template = IndexTemplate(TEMPLATE)
    assert template.matches("app-dev") and template.is_data_stream
    assert template.lifecycle_name == "app"
    assert template.settings["index.number_of_shards"] == 1
    assert template.dynamic == "strict"
    assert template.field_type("status") == "integer"
    assert template.field_type("kubernetes.namespace_name") == "keyword"
    assert template.field_type("kubernetes") == "object"
    assert template.field_type("http.method") == "keyword"
    assert template.field_type("level") is None
    with pytest.raises(NotModelled, match="component templates"):
        IndexTemplate({**TEMPLATE, "composed_of": ["base"]}).field_type("status")


def test_ilm_delete_after() -> None:
    assert ilm_delete_after({"policy": {"phases": {"delete": {"min_age": "30d"}}}}) == timedelta(days=30)
    assert ilm_delete_after({"phases": {"delete": {"actions": {"delete": {}}}}}) == timedelta(0)
    assert ilm_delete_after({"policy": {"phases": {"hot": {}}}}) is None


def es(*entries: tuple[str, str]) -> Section:
    return Section("output", (("name", "es"), ("match", "*"), *entries), "t:1")


def test_es_document_and_index() -> None:
    record = Record("kube.x", T13 + 123_999_999, (("status", 500), ("app.kubernetes.io/name", "s")))
    target = es_destination(es(("host", "es.svc"), ("index", "app-dev"), ("replace_dots", "On")), record)
    assert (target.host, target.port, target.index, target.write_operation) == ("es.svc", 9200, "app-dev", "create")
    assert target.document == {"@timestamp": "2026-11-26T13:00:00.123Z", "status": 500, "app_kubernetes_io/name": "s"}
    daily = es_destination(es(("logstash_format", "On"), ("logstash_prefix", "app")), record)
    assert daily.index == "app-2026.11.26"
    nanos = es_destination(es(("time_key_nanos", "On"), ("time_key", "ts")), record)
    assert nanos.document["ts"] == "2026-11-26T13:00:00.123999999Z"
    with pytest.raises(NotModelled, match="logstash_prefix_key"):
        es_destination(es(("logstash_prefix_key", "$ns")), record)
    with pytest.raises(ConfigError, match="not an es output"):
        es_destination(Section("output", (("name", "stdout"),), "t:1"), record)


def test_document_fields_are_dotted_leaves() -> None:
    assert document_fields({"a": 1, "k": {"n": "x", "l": {"m": True}}}) == {"a": 1, "k.n": "x", "k.l.m": True}
