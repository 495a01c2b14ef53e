"""STRATA-LOGS-002: the log shipper runs on every node and turns the sample service's real log lines into fields.

No Fluent Bit binary can run here, so the closest real thing: the sample service runs for real and serves 200, 404
and 500 (fault API); its stdout is captured, each line wrapped the way containerd writes it on the node (CRI:
`<RFC3339Nano> stdout F <line>`), and fed through the shipper's OWN configuration read from the RENDERED ConfigMap
of each environment (`stratatest.logs`: stratatest's reading of Fluent Bit's parser semantics, not Fluent Bit).
The resulting Elasticsearch documents are then checked against the index template in platform/logging.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from stratatest.charts import Manifest, Manifests
from stratatest.logs import Config, Pipeline, Record, Section, cri_lines, deployed_config
from stratatest.logs.elasticsearch import IndexTemplate, document_fields, es_destination

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$")

pytestmark = pytest.mark.static

ROOT = Path(__file__).resolve().parents[3]
ENVS = ["dev", "staging", "prod"]
SHIPPER = ROOT / "charts" / "log-shipper"
TEMPLATE = ROOT / "platform" / "logging" / "index-template.json"
SAMPLE_APPSET = ROOT / "platform" / "gitops" / "applicationsets" / "sample.yaml"
ACCESS_FIELDS = {"level": str, "route": str, "method": str, "status": int, "duration_ms": (int, float)}
EXPECTED_TYPES = {
    "@timestamp": {"date", "date_nanos"},
    "time": {"date", "date_nanos"},
    "level": {"keyword"},
    "route": {"keyword"},
    "method": {"keyword"},
    "status": {"integer", "long", "short"},
    "duration_ms": {"float", "double", "half_float", "scaled_float"},
}


def millis(iso: str) -> int:
    """`2026-11-26T13:00:00.123Z` as milliseconds since the epoch, exactly (no float on the way)."""
    moment = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ")
    return calendar.timegm(moment.timetuple()) * 1000 + moment.microsecond // 1000


@dataclass(frozen=True)
class Captured:
    """The service's stdout and when it was read (the CRI time containerd would stamp is at or after the write)."""

    lines: list[str]
    read_ns: int


@pytest.fixture(scope="module")
def service_output(sample_service: Callable[..., Any]) -> Captured:
    """The real sample service (admin API on) answering 200, 404 and 500; every stdout line it wrote."""
    with sample_service(admin=True) as service:
        assert service.get("/api/items")[0] == 200
        assert service.get("/no/such/route")[0] == 404
        service.set_fault(error_rate=1.0)
        assert service.get("/api/items")[0] == 500
        service.set_fault(error_rate=0.0)
        for status in (200, 404, 500):
            service.wait_for_log(lambda r, s=status: r.get("status") == s)
    lines = service.stdout_lines()  # after stop: the shutdown lines are real output too
    return Captured(lines, time.time_ns())


@dataclass(frozen=True)
class Shipper:
    """One environment's render of the log shipper, and the Fluent Bit configuration its pods would load."""

    env: str
    manifests: Manifests
    daemonset: Manifest
    config: Config
    pipeline: Pipeline
    values: dict[str, Any]


def _merged_values(env: str) -> dict[str, Any]:
    """values.yaml then values-<env>.yaml, maps merged as helm merges them (what the render used)."""

    def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        return out

    base = yaml.safe_load((SHIPPER / "values.yaml").read_text()) or {}
    return merge(base, yaml.safe_load((SHIPPER / f"values-{env}.yaml").read_text()) or {})


def load_shipper(manifests: Manifests, env: str) -> Shipper:
    """The configuration file the DaemonSet's Fluent Bit reads, from the ConfigMap mounted where it reads it."""
    deployed = deployed_config(manifests)
    return Shipper(env, manifests, deployed.workload, deployed.config, Pipeline(deployed.config), _merged_values(env))


@pytest.fixture(scope="module", params=ENVS)
def shipper(request: pytest.FixtureRequest, chart: Callable[..., Any]) -> Shipper:
    env = request.param
    return load_shipper(chart("log-shipper").render(env=env, namespace="logging"), env)


@pytest.fixture(scope="module")
def sample_pod_path(chart: Callable[..., Any]) -> str:
    """The node file containerd writes the sample pod's log to, in the namespace GitOps deploys it into."""
    appset = yaml.safe_load(SAMPLE_APPSET.read_text())
    namespace = appset["spec"]["template"]["spec"]["destination"]["namespace"]
    release = appset["spec"]["template"]["spec"]["source"]["helm"]["releaseName"]
    sample = chart("microservice", values=["services/sample/values.yaml"], release=release)
    for env in ENVS:
        deployment = sample.render(env=env, namespace=namespace).find(kind="Deployment")
        pod_annotations = (deployment.spec.get("template", {}).get("metadata") or {}).get("annotations") or {}
        # K8S-Logging.Parser/Exclude act on these annotations; the model takes them as absent, so prove they are.
        assert not [a for a in pod_annotations if a.startswith("fluentbit.io/")], f"{env}: {pod_annotations}"
    container = deployment.containers[0].name
    docker_id = hashlib.sha256(b"sample-container").hexdigest()
    return f"/var/log/containers/{deployment.name}-6b8f9c7d5-x2k4q_{namespace}_{container}-{docker_id}.log"


@pytest.fixture(scope="module")
def shipped(shipper: Shipper, service_output: Captured, sample_pod_path: str) -> list[tuple[dict[str, Any], Record]]:
    """(the service's JSON line, the record the shipper emits for it), in order."""
    wrapped = [w for line in service_output.lines for w in cri_lines(line, time_ns=service_output.read_ns)]
    records = shipper.pipeline.tail(wrapped, path=sample_pod_path, now=time.time())
    assert len(records) == len(service_output.lines), "one record per line: no line was split, joined or dropped"
    return [(json.loads(line), record) for line, record in zip(service_output.lines, records, strict=True)]


@pytest.mark.control("STRATA-LOGS-002")
def test_every_service_line_is_parsed_into_fields(shipper: Shipper, shipped: list[tuple[dict, Record]]) -> None:
    statuses = set()
    for source, record in shipped:
        where = f"{shipper.env}: {source} → {record.pairs}\n  " + "\n  ".join(record.trail)
        assert record.duplicate_keys == [], where
        for key, value in source.items():  # every key of the line is a field with its JSON value and type
            if key == "time":  # Time_Keep Off: it became the record's time (next test); `time` is the runtime's
                continue
            assert key in record and record[key] == value and type(record[key]) is type(value), where
        assert record.get("log") is None and record.get("message") == source["message"], f"left unparsed: {where}"
        if "status" in source:
            statuses.add(record["status"])
            for key, kind in ACCESS_FIELDS.items():
                assert isinstance(record[key], kind) and not isinstance(record[key], bool), where
            if record["status"] >= 500:
                assert record["level"] == "error", where
    assert {200, 404, 500} <= statuses, f"{shipper.env}: access lines seen for {sorted(statuses)}"


@pytest.mark.control("STRATA-LOGS-002")
def test_record_time_is_the_service_time(shipper: Shipper, shipped: list[tuple[dict, Record]]) -> None:
    """The runtime's CRI time is replaced by the line's own `time`, to the millisecond, for every line."""
    for source, record in shipped:
        assert record.time_ms == millis(source["time"]), f"{shipper.env}: {record.time} for {source['time']}"


@pytest.mark.control("STRATA-LOGS-002")
def test_the_runtime_time_alone_would_fail_the_time_test(service_output: Captured) -> None:
    """Teeth for the test above: the CRI stamps differ from the service's times, so equality is the parser's work."""
    runtime_ms = service_output.read_ns // 1_000_000
    differing = [line for line in service_output.lines if millis(json.loads(line)["time"]) != runtime_ms]
    assert len(differing) >= len(service_output.lines) - 1


def es_output(shipper: Shipper, record: Record) -> Section:
    """The one es OUTPUT the record is routed to (other outputs, e.g. CloudWatch, may receive it too)."""
    routes = shipper.pipeline.routes(record.tag)
    found = [o for o in routes if o.name in ("es", "elasticsearch")]
    assert len(found) == 1, f"{shipper.env}: {record.tag} goes to {[o.label for o in routes]}, not to one es output"
    return found[0]


@pytest.mark.control("STRATA-LOGS-002")
def test_documents_go_to_the_values_host_and_a_templated_data_stream(
    shipper: Shipper, shipped: list[tuple[dict, Record]]
) -> None:
    template = IndexTemplate.load(TEMPLATE)
    expected = shipper.values["elasticsearch"]
    for source, record in shipped:
        output = es_output(shipper, record)
        target = es_destination(output, record)
        assert (target.host, target.port) == (expected["host"], int(expected["port"])), output.label
        assert target.index == expected["index"]
        assert template.matches(target.index), (
            f"{shipper.env}: index {target.index!r} is not matched by {TEMPLATE.name} index_patterns "
            f"{template.index_patterns}: it would get Elasticsearch's dynamic defaults and no ILM policy"
        )
        if template.is_data_stream:
            assert target.write_operation == "create", "data streams accept only the create operation"
        assert target.document["@timestamp"] == source["time"], "@timestamp must be the service's time (ms)"


@pytest.mark.control("STRATA-LOGS-002")
def test_template_maps_the_parsed_fields_with_their_types(shipper: Shipper, shipped: list[tuple[dict, Record]]) -> None:
    template = IndexTemplate.load(TEMPLATE)
    for field, allowed in EXPECTED_TYPES.items():
        assert template.field_type(field) in allowed, f"{TEMPLATE.name}: {field} mapped as {template.field_type(field)}"
    for _, record in shipped:
        document = es_destination(es_output(shipper, record), record).document
        for path, value in document_fields(document).items():
            kind = template.field_type(path)
            if kind is None:
                assert template.dynamic not in ("strict", "false"), f"{path}: unmapped, dynamic {template.dynamic}"
                continue
            if kind in {"integer", "long", "short"}:
                assert isinstance(value, int) and not isinstance(value, bool), f"{path}={value!r} is not an integer"
            elif kind in {"float", "double", "half_float", "scaled_float"}:
                assert isinstance(value, int | float) and not isinstance(value, bool), f"{path}={value!r}"
            elif kind in {"keyword", "text"}:
                assert isinstance(value, str), f"{path}={value!r} is not a string"
            elif kind in {"date", "date_nanos"}:  # strict_date_optional_time: up to nine fraction digits
                assert isinstance(value, str) and ISO_DATE.match(value), f"{path}={value!r} is not an ISO date"


@pytest.mark.control("STRATA-LOGS-002")
def test_daemonset_tolerates_every_taint_and_selects_every_linux_node(shipper: Shipper) -> None:
    pod = shipper.daemonset.pod_spec or {}
    tolerations = pod.get("tolerations") or []
    everything = [t for t in tolerations if t.get("operator") == "Exists" and not t.get("key") and not t.get("effect")]
    assert everything, f"{shipper.env}: no keyless `operator: Exists` toleration in {tolerations}: tainted nodes"
    assert set((pod.get("nodeSelector") or {}).items()) <= {("kubernetes.io/os", "linux")}, pod.get("nodeSelector")
    assert not pod.get("affinity"), f"affinity restricts the nodes the DaemonSet runs on: {pod.get('affinity')}"
    # The os=linux selector excludes no node the platform creates: its node groups use Linux AMIs (EKS defaults to
    # one when ami_type is not set).
    eks = "\n".join(p.read_text() for p in (ROOT / "terraform" / "modules" / "eks").glob("*.tf"))
    assert not [m for m in re.findall(r'ami_type\s*=\s*"([^"]*)"', eks) if "WINDOWS" in m.upper()]


@pytest.fixture(scope="module")
def long_line(service_output: Captured) -> list[str]:
    """The service's real 500 access line with a traceback-sized `message`, as containerd stores it (P + F chunks).

    The service cannot be made to write a line over containerd's 16 KiB limit on purpose (it caps logged paths;
    tracebacks come only from unexpected errors), so this one line is synthesised: the real line's shape and
    keys, with the `message` an unhandled error would carry (`log.exception`: message, newline, traceback).
    """
    (line,) = [line for line in service_output.lines if '"status":500' in line]
    document = json.loads(line)
    frames = "".join(f'  File "/app/sample_service/app.py", line {n}, in handler\n    do_work()\n' for n in range(300))
    document["message"] += "\nTraceback (most recent call last):\n" + frames + "RuntimeError: boom"
    wrapped = cri_lines(json.dumps(document, separators=(",", ":")), time_ns=time.time_ns())
    assert [w.split(" ", 3)[2] for w in wrapped] == ["P", "F"], "the line must be long enough for containerd to split"
    return wrapped


@pytest.mark.control("STRATA-LOGS-002")
def test_a_line_longer_than_containerd_splits_is_one_parsed_record(
    shipper: Shipper, long_line: list[str], sample_pod_path: str
) -> None:
    records = shipper.pipeline.tail(long_line, path=sample_pod_path, now=time.time())
    summary = "; ".join(f"{sorted(r.fields)}" for r in records)
    assert len(records) == 1, f"{shipper.env}: {len(records)} records for one line: {summary}"
    assert records[0].get("status") == 500 and records[0].get("level") == "error", summary
    assert records[0].duplicate_keys == [], summary
