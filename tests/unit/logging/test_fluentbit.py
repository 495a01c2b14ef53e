"""stratatest's model of Fluent Bit (config reader, parsers, pipeline) on small inline configurations.

Each expectation is what Fluent Bit's source does for the same input (cited per test where it is not obvious),
including its failure behaviour: the point of the model is that a config which would misbehave in Fluent Bit
misbehaves here too, and that anything the model does not cover is refused rather than passed.
"""

from __future__ import annotations

import calendar
import json

import pytest

from stratatest.charts import Manifests
from stratatest.errors import ConfigError
from stratatest.logs import Config, NotModelled, Pipeline, cri_lines, cri_timestamp, deployed_config
from stratatest.logs.config import Section
from stratatest.logs.parsers import Parser
from stratatest.logs.pipeline import match_tag

pytestmark = pytest.mark.static

NOW = calendar.timegm((2026, 11, 26, 12, 0, 0))  # ingestion time used by every test: 1 h before the log times
NOW_NS = NOW * 1_000_000_000
T13 = calendar.timegm((2026, 11, 26, 13, 0, 0)) * 1_000_000_000
PATH = "/var/log/containers/web-5d8f7c9b6-abcde_shop_web-" + "0123456789abcdef" * 4 + ".log"
TAG = "kube." + PATH[1:].replace("/", ".")


def load(text: str, **files: str) -> Config:
    return Config.load({"fluent-bit.conf": text, **files})


def parser(text: str) -> Parser:
    return Parser.from_section(load(text).parser_sections[0])


# ---------------------------------------------------------------------------------------------------- reader


def test_reader_sections_keys_comments_and_repeats() -> None:
    config = load(
        "# a comment\n"
        "[SERVICE]\n"
        "    Flush     1\n"
        "    # an indented comment\n"
        "\n"
        "[Filter]\n"
        "    NAME      parser\n"
        "    Match     app.*\n"
        "    Key_Name  log\n"
        "    Parser    first\n"
        "    parser    second\n"
    )
    assert [s.kind for s in config.sections] == ["service", "filter"]
    flt = config.filters[0]
    assert flt.name == "parser"
    assert flt.get("KEY_NAME") == "log"
    assert flt.values("Parser") == ["first", "second"]
    assert flt.properties["parser"] == ["first", "second"]
    assert flt.properties["match"] == "app.*"
    with pytest.raises(ConfigError, match="set 2 times"):
        flt.get("parser")


def test_reader_set_variables_environment_and_include() -> None:
    config = Config.load(
        {
            "fluent-bit.conf": "@SET level=debug\n@INCLUDE outputs-*.conf\n[SERVICE]\n    Log_Level ${level}\n",
            "outputs-es.conf": "[OUTPUT]\n    Name es\n    Host ${ES_HOST}\n",
            "outputs-null.conf": "[OUTPUT]\n    Name null\n",
        },
        env={"ES_HOST": "es.local", "level": "ignored: @SET wins"},
    )
    assert config.service is not None and config.service.get("log_level") == "debug"
    assert [o.name for o in config.outputs] == ["es", "null"]
    assert config.outputs[0].get("host") == "es.local"
    assert config.files == ("fluent-bit.conf", "outputs-es.conf", "outputs-null.conf")


def test_reader_refuses_an_unset_variable() -> None:
    with pytest.raises(ConfigError, match=r"\$\{ES_PASSWORD\} is neither @SET nor in the container's environment"):
        load("[OUTPUT]\n    Name es\n    HTTP_Passwd ${ES_PASSWORD}\n")


def test_reader_follows_parsers_file_inside_the_mount_only() -> None:
    files = {
        "fluent-bit.conf": "[SERVICE]\n    Parsers_File /fluent-bit/etc/parsers.conf\n",
        "parsers.conf": "[PARSER]\n    Name j\n    Format json\n[INPUT]\n    Name ignored-in-a-parsers-file\n",
    }
    config = Config.load(files, directory="/fluent-bit/etc")
    assert [s.name for s in config.parser_sections] == ["j"]
    assert config.inputs == []
    files["fluent-bit.conf"] = "[SERVICE]\n    Parsers_File /fluent-bit/conf/parsers.conf\n"
    with pytest.raises(ConfigError, match="outside /fluent-bit/etc"):
        Config.load(files, directory="/fluent-bit/etc")
    files["fluent-bit.conf"] = "[SERVICE]\n    Parsers_File missing.conf\n"
    with pytest.raises(ConfigError, match="not in the ConfigMap"):
        Config.load(files, directory="/fluent-bit/etc")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[INPUT]\n    Name tail\n  Tag x\n", "indentation level is too low"),
        ("[INPUT]\n    Name tail\n      Tag x\n", "extra indentation"),
        ("[INPUT]\n    Name tail\n\tTag x\n", "inconsistent use of tab and space"),
        ("[INPUT]\nName tail\n", "must be indented"),
        ("[INPUT]\n    Name\n", "undefined value"),
        ("    Name tail\n", "outside any"),
        ("[INPUT\n    Name tail\n", "bad header"),
        ("@INCLUDE a.conf\n", "not in the ConfigMap"),
        # A whitespace-only line indented less than the entries is an error in Fluent Bit's reader too.
        ("[INPUT]\n    Name tail\n  \n    Tag x\n", "indentation level is too low"),
    ],
)
def test_reader_refuses_what_fluent_bit_refuses(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(text)


def test_reader_refuses_including_a_file_twice() -> None:
    with pytest.raises(ConfigError, match="already included"):
        Config.load({"fluent-bit.conf": "@INCLUDE a.conf\n@INCLUDE a.conf\n", "a.conf": "[SERVICE]\n    Flush 1\n"})


# ---------------------------------------------------------------------------------------------------- regex parser

CRI = (
    "[PARSER]\n    Name cri\n    Format regex\n"
    "    Regex ^(?<time>[^ ]+) (?<stream>stdout|stderr) (?<logtag>[^ ]*) (?<message>.*)$\n"
    "    Time_Key time\n    Time_Format %Y-%m-%dT%H:%M:%S.%L%z\n"
)


def test_regex_parser_named_groups_and_time() -> None:
    result = parser(CRI).parse("2026-11-26T13:00:00.123456789Z stdout F hello world", now=NOW)
    assert result is not None
    assert result.pairs == (("stream", "stdout"), ("logtag", "F"), ("message", "hello world"))  # time not kept
    assert result.time_ns == T13 + 123_456_789


def test_regex_parser_time_keep_and_offsets() -> None:
    kept = parser(CRI + "    Time_Keep On\n").parse("2026-11-26T15:00:00.5+02:00 stderr F x", now=NOW)
    assert kept is not None
    assert kept.pairs[0] == ("time", "2026-11-26T15:00:00.5+02:00")
    assert kept.time_ns == T13 + 500_000_000


def test_regex_parser_that_does_not_match_returns_nothing() -> None:
    assert parser(CRI).parse("not a cri line", now=NOW) is None


def test_regex_parser_drops_a_time_it_cannot_read() -> None:
    """flb_parser_regex.c: an invalid time is warned about and the field skipped; the record keeps no parsed time."""
    result = parser(CRI + "    Time_Keep On\n").parse("26/11/2026 stdout F x", now=NOW)
    assert result is not None
    assert dict(result.pairs) == {"stream": "stdout", "logtag": "F", "message": "x"}
    assert result.time_ns is None
    assert result.warnings == ("[parser:cri] invalid time format %Y-%m-%dT%H:%M:%S.%L%z for '26/11/2026'",)


def test_whole_second_cri_time_fails_a_strict_l_format() -> None:
    """containerd trims trailing zeros: a line stamped on the whole second has no fraction, which `.%L` needs."""
    assert cri_timestamp(T13) == "2026-11-26T13:00:00Z"
    result = parser(CRI).parse(f"{cri_timestamp(T13)} stdout F x", now=NOW)
    assert result is not None and result.time_ns is None and result.warnings
    lenient = parser(CRI + "    Time_Strict Off\n").parse(f"{cri_timestamp(T13)} stdout F x", now=NOW)
    assert lenient is not None and lenient.time_ns == T13  # non-strict uses what strptime read before failing


def test_regex_parser_empty_values_and_types() -> None:
    text = (
        "[PARSER]\n    Name p\n    Format regex\n"
        "    Regex ^(?<code>\\d+) (?<ratio>[^ ]+) (?<ok>\\w+) (?<flag>\\w+)(?: (?<rest>.*))?$\n"
        "    Types code:integer ratio:float ok:bool flag:bool\n"
    )
    result = parser(text).parse("200 0.25 TRUE maybe", now=NOW)
    assert result is not None
    assert result.pairs == (("code", 200), ("ratio", 0.25), ("ok", True), ("flag", "maybe"))  # rest: skipped
    assert result.warnings == ("[PARSER] key=flag cast error. save as string.",)
    kept = parser(text + "    Skip_Empty_Values Off\n").parse("200 0.25 false no", now=NOW)
    assert kept is not None and dict(kept.pairs)["rest"] == ""


def test_regex_options_and_onigmo_dialect() -> None:
    insensitive = parser("[PARSER]\n    Name p\n    Format regex\n    Regex /^(?<word>HELLO)/i\n")
    assert insensitive.parse("hello there", now=NOW) is not None
    for pattern, message in [
        ("^(?<hex>\\h+)$", "hex digit"),
        ("(?m)^(?<all>.*)$", "dot-all"),
        ("^(\\d+)$", "only unnamed groups"),
    ]:
        with pytest.raises(NotModelled, match=message):
            parser(f"[PARSER]\n    Name p\n    Format regex\n    Regex {pattern}\n")
    with pytest.raises(ConfigError, match="invalid regex"):
        parser("[PARSER]\n    Name p\n    Format regex\n    Regex ^(?<open>\n")


# ---------------------------------------------------------------------------------------------------- json parser

JSON = "[PARSER]\n    Name j\n    Format json\n    Time_Key time\n    Time_Format %Y-%m-%dT%H:%M:%S.%LZ\n"
LINE = '{"time":"2026-11-26T13:00:00.123Z","level":"error","status":500,"duration_ms":1.5,"ok":false}'


def test_json_parser_keeps_types_and_reads_time() -> None:
    result = parser(JSON).parse(LINE, now=NOW)
    assert result is not None
    assert result.pairs == (("level", "error"), ("status", 500), ("duration_ms", 1.5), ("ok", False))
    assert result.time_ns == T13 + 123_000_000
    kept = parser(JSON + "    Time_Keep On\n").parse(LINE, now=NOW)
    assert kept is not None and kept.pairs[0] == ("time", "2026-11-26T13:00:00.123Z")


def test_json_parser_keeps_a_time_it_cannot_read() -> None:
    """flb_parser_json.c: with an invalid time the map is returned whole and the time stays unset."""
    result = parser(JSON).parse('{"time":"yesterday","level":"info"}', now=NOW)
    assert result is not None
    assert result.pairs == (("time", "yesterday"), ("level", "info"))
    assert result.time_ns is None and "invalid time format" in result.warnings[0]


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '"a string"', '{"a": 1} {"b": 2}', '{"a": NaN}', ""])
def test_json_parser_fails_on_anything_but_one_object(text: str) -> None:
    assert parser(JSON).parse(text, now=NOW) is None


def test_json_parser_keeps_duplicate_keys() -> None:
    result = parser("[PARSER]\n    Name j\n    Format json\n").parse('{"a":1,"a":2}', now=NOW)
    assert result is not None and result.pairs == (("a", 1), ("a", 2))


def test_time_format_without_a_year_takes_the_ingestion_year() -> None:
    syslog = parser(
        "[PARSER]\n    Name s\n    Format regex\n    Regex ^(?<time>\\w+ +\\d+ [\\d:]+) (?<msg>.*)$\n"
        "    Time_Format %b %d %H:%M:%S\n    Time_Offset +0100\n"
    )
    result = syslog.parse("Nov 26 14:00:00 up", now=NOW)
    assert result is not None and result.time_ns == T13


@pytest.mark.parametrize("fmt", ["logfmt", "ltsv"])
def test_unmodelled_formats_are_refused(fmt: str) -> None:
    with pytest.raises(NotModelled, match=f"format '{fmt}' is not modelled"):
        parser(f"[PARSER]\n    Name p\n    Format {fmt}\n").parse("a=1", now=NOW)


def test_a_duplicate_parser_name_stops_fluent_bit() -> None:
    with pytest.raises(ConfigError, match="already exists"):
        Pipeline(load(JSON + JSON))


# ---------------------------------------------------------------------------------------------------- pipeline

PIPELINE = (
    "[SERVICE]\n    Parsers_File parsers.conf\n"
    "[INPUT]\n    Name tail\n    Tag kube.*\n    Path /var/log/containers/*.log\n    Parser cri\n"
    "[FILTER]\n    Name parser\n    Match kube.*\n    Key_Name message\n    Parser j\n{filter}"
    "[OUTPUT]\n    Name es\n    Match kube.*\n[OUTPUT]\n    Name stdout\n    Match other.*\n"
)


PARSED = ["level", "status", "duration_ms", "ok"]


def pipeline(filter_options: str = "    Reserve_Data On\n") -> Pipeline:
    return Pipeline(load(PIPELINE.format(filter=filter_options), **{"parsers.conf": CRI + JSON}))


def cri(line: str, time_ns: int = T13 + 999_000_000) -> list[str]:
    return cri_lines(line, time_ns=time_ns)


def test_tail_tags_like_in_tail_and_routes_by_match() -> None:
    flow = pipeline()
    assert flow.tag_for(flow.config.inputs[0], PATH) == TAG
    (record,) = flow.tail(cri(LINE), path=PATH, now=NOW)
    assert record.tag == TAG
    assert [o.name for o in flow.routes(record.tag)] == ["es"]


def test_parser_filter_reserve_data_keeps_the_other_fields() -> None:
    (record,) = pipeline().tail(cri(LINE), path=PATH, now=NOW)
    assert record.pairs == (
        ("level", "error"),
        ("status", 500),
        ("duration_ms", 1.5),
        ("ok", False),
        ("stream", "stdout"),
        ("logtag", "F"),
    )
    assert record.time_ns == T13 + 123_000_000  # the JSON's time, not the runtime's .999
    assert record.duplicate_keys == []


@pytest.mark.parametrize(
    ("options", "keys"),
    [
        ("", PARSED),
        ("    Preserve_Key On\n", [*PARSED, "message"]),
        ("    Reserve_Data On\n    Preserve_Key On\n", [*PARSED, "stream", "logtag", "message"]),
    ],
)
def test_parser_filter_reserve_and_preserve(options: str, keys: list[str]) -> None:
    (record,) = pipeline(options).tail(cri(LINE), path=PATH, now=NOW)
    assert sorted(k for k, _ in record.pairs) == sorted(keys)


def test_a_line_the_filter_cannot_parse_is_kept_with_the_runtime_time() -> None:
    (record,) = pipeline().tail(cri("Traceback (most recent call last):"), path=PATH, now=NOW)
    assert record.fields == {"stream": "stdout", "logtag": "F", "message": "Traceback (most recent call last):"}
    assert record.time_ns == T13 + 999_000_000
    assert "no parser matched 'message'; record unchanged" in record.trail[-1]


def test_a_line_the_input_cannot_parse_is_kept_raw_at_ingestion_time() -> None:
    (record,) = pipeline().tail(["garbage"], path=PATH, now=NOW)
    assert record.pairs == (("log", "garbage"),)
    assert record.time_ns == NOW_NS


def test_a_bad_json_time_leaves_the_runtime_time() -> None:
    (record,) = pipeline().tail(cri('{"time":"soon","level":"info"}'), path=PATH, now=NOW)
    assert record.fields["time"] == "soon"
    assert record.time_ns == T13 + 999_000_000
    assert any("invalid time format" in step for step in record.trail)


def test_time_keep_with_reserve_data_can_duplicate_a_key() -> None:
    """A kept `time` next to a reserved `time` is two keys in one map: Elasticsearch rejects that document."""
    config = PIPELINE.format(filter="    Reserve_Data On\n")
    flow = Pipeline(load(config, **{"parsers.conf": CRI + "    Time_Keep On\n" + JSON + "    Time_Keep On\n"}))
    (record,) = flow.tail(cri(LINE), path=PATH, now=NOW)
    assert record.duplicate_keys == ["time"]


def test_filters_apply_only_to_matching_tags() -> None:
    flow = pipeline()
    (record,) = flow.tail(cri(LINE), path="/var/log/containers/x.log", now=NOW)
    assert record.tag == "kube.var.log.containers.x.log"
    assert match_tag(Section("filter", (("match", "kube.*"),), "t:1"), record.tag)
    assert not match_tag(Section("filter", (("match", "kube.var.log.*.y.log"),), "t:1"), record.tag)
    assert match_tag(Section("filter", (("match_regex", r"^kube\..*\.log$"),), "t:1"), record.tag)
    assert not match_tag(Section("filter", (), "t:1"), record.tag)  # no Match: Fluent Bit applies it nowhere
    with pytest.raises(ConfigError, match="no tail"):
        flow.tail(["x"], path="/var/log/pods/x.log", now=NOW)


def test_unmodelled_plugins_and_options_are_refused() -> None:
    lua = PIPELINE.format(filter="    Reserve_Data On\n[FILTER]\n    Name lua\n    Match *\n    call f\n")
    with pytest.raises(NotModelled, match="filter plugin 'lua'"):
        Pipeline(load(lua, **{"parsers.conf": CRI + JSON})).tail(cri(LINE), path=PATH, now=NOW)
    odd_input = PIPELINE.format(filter="").replace("Parser cri\n", "Parser cri\n    Offset_Key offset\n")
    with pytest.raises(NotModelled, match="'offset_key'"):
        Pipeline(load(odd_input, **{"parsers.conf": CRI + JSON})).tail(cri(LINE), path=PATH, now=NOW)
    with pytest.raises(ConfigError, match="parser 'missing' is not defined"):
        Pipeline(load(PIPELINE.format(filter="    Parser missing\n"), **{"parsers.conf": CRI + JSON}))


def test_builtin_cri_multiline_joins_partial_lines() -> None:
    config = "[INPUT]\n    Name tail\n    Path /logs/*.log\n    multiline.parser docker, cri\n"
    flow = Pipeline(load(config))
    long_line = '{"message":"' + "x" * 40 + '"}'
    lines = cri_lines(long_line, time_ns=T13, max_bytes=20)
    assert [line.split(" ")[2] for line in lines] == ["P", "P", "F"]
    (record,) = flow.tail(lines, path="/logs/a.log", now=NOW)
    assert record.tag == "tail.0"
    assert record.fields["log"] == long_line
    assert record.fields["_p"] == "P" and record.fields["stream"] == "stdout"
    assert record.time_ns == T13


def test_tail_parser_does_not_join_partial_lines() -> None:
    """With `Parser cri` (not multiline.parser) each containerd chunk is its own record: the JSON is cut."""
    flow = pipeline()
    long_line = '{"level":"info","message":"' + "y" * 40 + '"}'
    lines = cri_lines(long_line, time_ns=T13, max_bytes=30)
    records = flow.tail(lines, path=PATH, now=NOW)
    assert len(lines) == len(records) == 3
    assert all("level" not in r for r in records)


def test_kubernetes_filter_adds_only_the_tag_derived_fields() -> None:
    config = (
        "[INPUT]\n    Name tail\n    Tag kube.*\n    Path /var/log/containers/*.log\n"
        "[FILTER]\n    Name kubernetes\n    Match kube.*\n    Labels On\n"
    )
    (record,) = Pipeline(load(config)).tail(['{"a":1}'], path=PATH, now=NOW)
    assert "log" in record  # raw line: Merge_Log (off here) would act on it
    assert record.fields["kubernetes"] == {
        "pod_name": "web-5d8f7c9b6-abcde",
        "namespace_name": "shop",
        "container_name": "web",
        "docker_id": "0123456789abcdef" * 4,
    }
    unknown = config.replace("Labels On", "Kube_Meta_Cache_Dir /x")
    with pytest.raises(NotModelled, match="'kube_meta_cache_dir'"):
        Pipeline(load(unknown)).tail(['{"a":1}'], path=PATH, now=NOW)
    (elsewhere,) = Pipeline(load(config)).tail(["x"], path="/var/log/containers/not-a-pod.log", now=NOW)
    assert "kubernetes" not in elsewhere  # the tag names no pod: Fluent Bit leaves the record untouched


@pytest.mark.parametrize(
    ("options", "pairs", "time_ns"),
    [
        # Default JSON merge: fields added after the original ones, `log` dropped, time NOT taken from the JSON.
        ("    Keep_Log Off\n", (("stream", "stdout"), ("a", 1), ("msg", "hi")), T13),
        ("", (("stream", "stdout"), ("log", '{"a":1,"msg":"hi\\n"}'), ("a", 1), ("msg", "hi")), T13),
        ("    Merge_Log_Key app\n    Keep_Log Off\n", (("stream", "stdout"), ("app", {"a": 1, "msg": "hi"})), T13),
        ("    Merge_Log_Trim Off\n    Keep_Log Off\n", (("stream", "stdout"), ("a", 1), ("msg", "hi\n")), T13),
    ],
)
def test_kubernetes_merge_log(options: str, pairs: tuple, time_ns: int) -> None:
    config = (
        "[INPUT]\n    Name tail\n    Tag kube.*\n    Path /var/log/containers/*.log\n    multiline.parser cri\n"
        "[FILTER]\n    Name kubernetes\n    Match kube.*\n    Merge_Log On\n" + options
    )
    line = cri_lines('{"a":1,"msg":"hi\\n"}', time_ns=T13)
    (record,) = Pipeline(load(config)).tail(line, path=PATH, now=NOW)
    body = tuple((k, v) for k, v in record.pairs if k not in ("time", "_p", "kubernetes"))
    assert body == pairs
    assert record.time_ns == time_ns


def test_kubernetes_merge_parser_takes_the_time_or_now() -> None:
    config = (
        "[SERVICE]\n    Parsers_File parsers.conf\n"
        "[INPUT]\n    Name tail\n    Tag kube.*\n    Path /var/log/containers/*.log\n    multiline.parser cri\n"
        "[FILTER]\n    Name kubernetes\n    Match kube.*\n    Merge_Log On\n    Merge_Parser j\n    Keep_Log Off\n"
    )
    flow = Pipeline(load(config, **{"parsers.conf": JSON}))
    (dated,) = flow.tail(cri(LINE), path=PATH, now=NOW)
    assert dated.time_ns == T13 + 123_000_000 and dated.fields["status"] == 500 and "log" not in dated
    (undated,) = flow.tail(cri('{"level":"info"}'), path=PATH, now=NOW)
    assert undated.time_ns == NOW_NS  # Merge_Parser without a time: the filter stamps now, not the runtime's time


def test_cri_lines_follow_containerd() -> None:
    assert cri_timestamp(T13 + 120_000_000) == "2026-11-26T13:00:00.12Z"
    assert cri_lines("héllo", time_ns=T13 + 1) == ["2026-11-26T13:00:00.000000001Z stdout F héllo"]
    assert cri_lines("", time_ns=T13, stream="stderr") == ["2026-11-26T13:00:00Z stderr F "]
    with pytest.raises(ValueError, match="stream"):
        cri_lines("x", time_ns=T13, stream="stdin")
    assert json.loads(cri_lines(LINE, time_ns=T13)[0].split(" ", 3)[3]) == json.loads(LINE)


DAEMONSET = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: fb}
spec:
  template:
    spec:
      containers:
        - name: fb
          image: cr.fluentbit.io/fluent/fluent-bit:3.2.8
          args: [-c, /etc/fb/main.conf]
          env:
            - {name: HOST, value: es.local}
            - name: PASSWORD
              valueFrom: {secretKeyRef: {name: es-user, key: password}}
          volumeMounts:
            - {name: config, mountPath: /etc/fb}
      volumes:
        - name: config
          configMap: {name: fb-config}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: fb-config}
data:
  main.conf: "[OUTPUT]\\n    Name es\\n    Host ${HOST}\\n    HTTP_Passwd ${PASSWORD}\\n"
"""


def test_deployed_config_reads_what_the_container_reads() -> None:
    deployed = deployed_config(Manifests.parse(DAEMONSET, origin="inline"))
    assert deployed.config_path == "/etc/fb/main.conf"
    assert deployed.config.outputs[0].properties == {
        "name": "es",
        "host": "es.local",
        "http_passwd": "<es-user/password>",
    }
    moved = DAEMONSET.replace("mountPath: /etc/fb", "mountPath: /etc/other")
    with pytest.raises(ConfigError, match="no ConfigMap is mounted at /etc/fb"):
        deployed_config(Manifests.parse(moved, origin="inline"))
    unset = DAEMONSET.replace("- {name: HOST, value: es.local}", "- {name: OTHER, value: x}")
    with pytest.raises(ConfigError, match=r"\$\{HOST\}"):
        deployed_config(Manifests.parse(unset, origin="inline"))


def test_tail_skips_lines_over_buffer_max_size_only_when_told() -> None:
    config = "[INPUT]\n    Name tail\n    Path /logs/*.log\n    Buffer_Max_Size 1k\n    Skip_Long_Lines On\n"
    flow = Pipeline(load(config))
    assert [r.fields["log"] for r in flow.tail(["x" * 2000, "short"], path="/logs/a.log", now=NOW)] == ["short"]
    assert flow.log == ["[INPUT] tail at fluent-bit.conf:1: 2000-byte line over Buffer_Max_Size skipped"]
    with pytest.raises(NotModelled, match="stops reading the file"):
        Pipeline(load(config.replace("On", "Off"))).tail(["x" * 2000], path="/logs/a.log", now=NOW)
