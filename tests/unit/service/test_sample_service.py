"""The sample service's own tests: the real process over real HTTP, checked against the contract the chart,
alert and log-shipper tests rely on (routes, metric names and labels, JSON log shape, graceful SIGTERM)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from stratatest import services

SERVICE_DIR = Path(__file__).resolve().parents[3] / "services" / "sample"


def run_sample_service(**options: Any) -> Any:
    return services.run_sample_service(SERVICE_DIR, **options)


TIME_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
BASE_KEYS = {"time", "level", "logger", "message"}
ACCESS_KEYS = BASE_KEYS | {"method", "route", "path", "status", "duration_ms"}
Labels = tuple[tuple[str, str], ...]


@pytest.fixture
def service() -> Iterator[Any]:
    with run_sample_service() as running:
        yield running


@pytest.fixture
def admin_service() -> Iterator[Any]:
    with run_sample_service(admin=True) as running:
        yield running


def scrape(service: Any) -> dict[tuple[str, Labels], float]:
    """/metrics parsed: (sample name, sorted labels) -> value."""
    status, headers, body = service.request("GET", "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def http_labels(route: str, status: int, method: str = "GET", **extra: str) -> Labels:
    return tuple(sorted({"method": method, "route": route, "status": str(status), **extra}.items()))


def access_records(service: Any, route: str | None = None) -> list[dict[str, Any]]:
    return [r for r in service.log_records() if "status" in r and (route is None or r["route"] == route)]


def test_routes_answer_with_the_contract_codes(service: Any) -> None:
    assert service.get("/healthz") == (200, b'{"status":"ok"}\n')
    assert service.get("/readyz") == (200, b'{"status":"ready"}\n')
    status, headers, body = service.request("GET", "/api/items")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert [item["id"] for item in json.loads(body)["items"]] == [1, 2, 3]
    assert service.get("/api/items/1")[0] == 404
    assert service.get("/nope")[0] == 404
    status, headers, body = service.request("POST", "/api/items", b"{}")
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"
    status, _, body = service.request("HEAD", "/healthz")
    assert (status, body) == (200, b"")
    assert service.get("/api/items?page=2")[0] == 200  # a query string does not change the route


def test_metrics_count_by_route_template_and_other(service: Any) -> None:
    before = scrape(service)
    # Primed at zero before any traffic, so rate() sees the first error of the error-rate alert.
    assert before[("http_requests_total", http_labels("/api/items", 500))] == 0
    assert before[("http_requests_total", http_labels("/api/items", 200))] == 0

    for _ in range(3):
        service.get("/api/items")
    service.get("/api/items?secret=1")
    service.get("/no/such/path/123")
    service.get("/also-missing")
    service.request("DELETE", "/api/items")
    samples = scrape(service)

    assert samples[("http_requests_total", http_labels("/api/items", 200))] == 4
    assert samples[("http_requests_total", http_labels("other", 404))] == 2
    assert samples[("http_requests_total", http_labels("/api/items", 405, method="DELETE"))] == 1
    assert samples[("http_request_duration_seconds_count", http_labels("/api/items", 200))] == 4
    assert samples[("http_request_duration_seconds_bucket", http_labels("/api/items", 200, le="+Inf"))] == 4
    buckets = {dict(labels)["le"] for name, labels in samples if name == "http_request_duration_seconds_bucket"}
    assert {"0.005", "0.25", "5.0", "+Inf"} <= buckets
    routes = {dict(labels).get("route") for name, labels in samples if name.startswith("http_")}
    assert routes == {"/api/items", "/readyz", "other"}  # templates only: no raw path ever
    assert not any(name.endswith("_created") for name, _ in samples)
    assert any(name == "process_cpu_seconds_total" for name, _ in samples)


def test_metrics_endpoint_is_not_counted(service: Any) -> None:
    for _ in range(3):
        scrape(service)
    samples = scrape(service)
    assert not [labels for name, labels in samples if name.startswith("http_") and ("route", "/metrics") in labels]
    # The probes are counted, though: only /metrics is exempt.
    assert samples[("http_requests_total", http_labels("/readyz", 200))] >= 1


def test_fault_api_is_404_when_admin_is_disabled(service: Any) -> None:
    status, _, _ = service.request("POST", "/admin/fault", {"error_rate": 1.0, "delay_ms": 0})
    assert status == 404
    assert service.get("/api/items")[0] == 200  # and the fault was not applied
    samples = scrape(service)
    assert samples[("http_requests_total", http_labels("other", 404, method="POST"))] == 1


def test_error_rate_one_fails_every_request_and_counts_500(admin_service: Any) -> None:
    admin_service.set_fault(error_rate=1.0)
    statuses = [admin_service.get("/api/items")[0] for _ in range(5)]
    assert statuses == [500] * 5
    samples = scrape(admin_service)
    assert samples[("http_requests_total", http_labels("/api/items", 500))] == 5
    assert samples[("http_requests_total", http_labels("/api/items", 200))] == 0

    status, _, body = admin_service.request("POST", "/admin/fault", {})  # a missing field means no fault
    assert (status, json.loads(body)) == (200, {"error_rate": 0.0, "delay_ms": 0})
    assert admin_service.get("/api/items")[0] == 200


def test_error_rate_half_fails_some_requests(admin_service: Any) -> None:
    admin_service.set_fault(error_rate=0.5)
    statuses = [admin_service.get("/api/items")[0] for _ in range(60)]
    # P(all 60 on one side) = 2 * 0.5**60: this cannot flake, and a rate stuck at 0 or 1 cannot pass.
    assert set(statuses) == {200, 500}


def test_delay_shows_in_the_histogram(admin_service: Any) -> None:
    admin_service.set_fault(delay_ms=300)
    started = time.monotonic()
    assert admin_service.get("/api/items")[0] == 200
    assert time.monotonic() - started >= 0.3
    samples = scrape(admin_service)
    labels = http_labels("/api/items", 200)
    assert samples[("http_request_duration_seconds_count", labels)] == 1
    assert samples[("http_request_duration_seconds_sum", labels)] >= 0.3
    assert samples[("http_request_duration_seconds_bucket", http_labels("/api/items", 200, le="0.25"))] == 0
    assert samples[("http_request_duration_seconds_bucket", http_labels("/api/items", 200, le="0.5"))] == 1
    (record,) = access_records(admin_service, "/api/items")
    assert record["duration_ms"] >= 300


@pytest.mark.parametrize(
    "body",
    [
        b'{"error_rate": 1.5}',
        b'{"error_rate": -0.1}',
        b'{"error_rate": "0.5"}',
        b'{"error_rate": true}',
        b'{"error_rate": NaN}',
        b'{"delay_ms": -1}',
        b'{"delay_ms": 1.5}',
        b'{"delay_ms": 60001}',
        b'{"delay": 100}',
        b"[0.5, 100]",
        b"not json",
        b"\xff\xfe",
    ],
)
def test_fault_api_rejects_invalid_bodies(admin_service: Any, body: bytes) -> None:
    status, _, answer = admin_service.request("POST", "/admin/fault", body)
    assert status == 400, answer
    assert "error" in json.loads(answer)
    assert admin_service.get("/api/items")[0] == 200  # the previous (empty) fault still holds


def raw_exchange(service: Any, request: bytes) -> bytes:
    """Send bytes as they are (no client library tidying them up) and read the reply to the end."""
    with socket.create_connection(("127.0.0.1", service.port), timeout=5.0) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_fault_api_bounds_the_body(admin_service: Any) -> None:
    status, _, _ = admin_service.request("POST", "/admin/fault", b"{" + b" " * 5000 + b"}")
    assert status == 413
    assert raw_exchange(admin_service, b"POST /admin/fault HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 411 ")
    assert admin_service.request("GET", "/admin/fault")[0] == 405


def test_requests_rejected_before_routing_log_json_not_stderr(service: Any) -> None:
    reply = raw_exchange(service, b"BREW /pot?token=s3cr3t HTTP/1.0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.0 501 ")
    assert reply.endswith(b'\r\n\r\n{"error":"Not Implemented"}\n')
    reply = raw_exchange(service, b"GET /x?token=s3cr3t HTTP/1.x\r\n\r\n")
    assert reply.endswith(b'{"error":"Bad Request"}\n')  # HTTP/0.9 style, no status line: the version was bad
    assert b"s3cr3t" not in reply  # the base class would echo the request line into its error page
    record = service.wait_for_log(lambda r: "status 400" in r["message"])
    assert (record["level"], record["logger"]) == ("warning", "sample_service.http")
    assert service.wait_for_log(lambda r: "status 501" in r["message"])
    assert service.stop() == 0
    assert "s3cr3t" not in "\n".join(service.stdout_lines())
    assert service.stderr_lines() == []


def test_logs_are_json_lines_in_the_contract_shape() -> None:
    # A far-from-UTC zone for the child: the literal Z must still mean UTC.
    with run_sample_service(admin=True, env={"TZ": "Pacific/Kiritimati"}) as service:
        service.get("/api/items")
        service.get("/api/items?token=s3cr3t-value")
        service.get("/missing")
        service.get("/healthz")
        scrape(service)
        service.set_fault(error_rate=1.0)
        service.get("/api/items")
        assert service.stop() == 0
    lines = service.stdout_lines()
    records = [json.loads(line) for line in lines]  # every line is JSON ...
    assert all(isinstance(r, dict) for r in records)  # ... and an object

    now = datetime.now(UTC)
    for record in records:
        assert set(record) in (BASE_KEYS, ACCESS_KEYS), record
        assert TIME_FORMAT.match(record["time"]), record["time"]
        stamp = datetime.strptime(record["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert abs((now - stamp).total_seconds()) < 120
        assert record["level"] in {"info", "warning", "error"}  # no debug at the default level
        assert isinstance(record["logger"], str) and record["logger"].startswith("sample_service")
        assert isinstance(record["message"], str)

    access = [r for r in records if set(r) == ACCESS_KEYS]
    assert [(r["method"], r["route"], r["path"], r["status"], r["level"]) for r in access] == [
        ("GET", "/api/items", "/api/items", 200, "info"),
        ("GET", "/api/items", "/api/items", 200, "info"),  # the query string is not logged
        ("GET", "other", "/missing", 404, "warning"),
        ("POST", "/admin/fault", "/admin/fault", 200, "info"),
        ("GET", "/api/items", "/api/items", 500, "error"),
    ]  # and no line for /healthz, /readyz (the readiness polls) or /metrics
    for record in access:
        assert type(record["status"]) is int
        assert type(record["duration_ms"]) is float
    assert "s3cr3t" not in "\n".join(lines)
    messages = [r["message"] for r in records if set(r) == BASE_KEYS]
    assert any("listening on 127.0.0.1" in m for m in messages)
    assert messages[-1] == "stopped"
    assert service.stderr_lines() == []


def test_probes_and_scrapes_are_access_logged_at_debug_only() -> None:
    with run_sample_service(env={"LOG_LEVEL": "debug"}) as service:
        service.get("/healthz")
        scrape(service)
        service.wait_for_log(lambda r: r.get("route") == "/metrics")
        quiet = {r["route"]: r["level"] for r in access_records(service) if r["route"] != "other"}
    assert quiet == {"/readyz": "debug", "/healthz": "debug", "/metrics": "debug"}


def test_sigterm_lets_the_request_in_flight_finish_and_exits_zero(admin_service: Any) -> None:
    admin_service.set_fault(delay_ms=1500)
    answers: list[int] = []
    client = threading.Thread(target=lambda: answers.append(admin_service.get("/api/items")[0]), daemon=True)
    client.start()
    time.sleep(0.5)  # the request is now sleeping inside the handler
    started = time.monotonic()
    assert admin_service.stop(timeout=5.0) == 0
    assert time.monotonic() - started < 5.0
    client.join(timeout=5.0)
    assert answers == [200]
    messages = [r["message"] for r in admin_service.log_records()]
    # The request finished after the drain began and before the stop: it was waited for, not cut off.
    assert messages[-3:] == ["SIGTERM received: draining", "GET /api/items 200", "stopped"]


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"PORT": "http"}, "PORT must be an integer"),
        ({"PORT": "0"}, "PORT must be between 1 and 65535"),
        ({"SAMPLE_ADMIN_ENABLED": "ture"}, "SAMPLE_ADMIN_ENABLED must be true or false"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of"),
    ],
)
def test_invalid_configuration_refuses_to_start(env: dict[str, str], problem: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sample_service"],
        cwd=SERVICE_DIR,
        env={"PYTHONPATH": str(SERVICE_DIR), "PYTHONDONTWRITEBYTECODE": "1", "HOST": "127.0.0.1", **env},
        capture_output=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 2
    (record,) = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert record["level"] == "error"
    assert problem in record["message"]


def test_a_taken_port_exits_one(service: Any) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sample_service"],
        cwd=SERVICE_DIR,
        env={
            "PYTHONPATH": str(SERVICE_DIR),
            "PYTHONDONTWRITEBYTECODE": "1",
            "HOST": "127.0.0.1",
            "PORT": str(service.port),
        },
        capture_output=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 1
    assert "cannot listen on 127.0.0.1" in json.loads(result.stdout.decode().splitlines()[-1])["message"]


# --- the image -------------------------------------------------------------------------------------------------


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuations joined and comments dropped; ARG defaults substituted."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    args: dict[str, str] = {}
    instructions = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "ARG" and "=" in rest:
            name, _, default = rest.strip().partition("=")
            args[name] = default
        rest = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m[1] or m[2], m[0]), rest.strip())
        instructions.append((keyword, rest))
    return instructions


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    assert starts, "no FROM"
    return instructions[starts[-1] :]


def test_dockerfile_runs_as_a_numeric_non_root_user() -> None:
    instructions = dockerfile_instructions(SERVICE_DIR / "Dockerfile")
    stage = final_stage(instructions)
    users = [(i, rest) for i, (keyword, rest) in enumerate(stage) if keyword == "USER"]
    assert users, "the final stage never sets USER, so the container runs as root"
    index, user = users[-1]
    # Numeric, so Kubernetes' runAsNonRoot can verify it without an /etc/passwd lookup.
    match = re.fullmatch(r"(\d+):(\d+)", user)
    assert match, f"USER {user!r} is not numeric UID:GID"
    uid, gid = int(match[1]), int(match[2])
    assert uid != 0 and gid != 0
    assert (uid, gid) == (10001, 10001)
    # Nothing after the USER runs a command or switches back; the entrypoint is the service.
    assert not [keyword for keyword, _ in stage[index + 1 :] if keyword in {"RUN", "USER"}]
    assert ("ENTRYPOINT", '["python", "-m", "sample_service"]') in stage[index + 1 :]
    assert not [rest for keyword, rest in instructions if keyword == "USER" and rest.split(":")[0] in {"0", "root"}]
    # The user the image creates is the one it runs as.
    created = " ".join(rest for keyword, rest in stage[:index] if keyword == "RUN")
    assert f"--uid {uid}" in created and f"--gid {gid}" in created


def test_dockerfile_base_image_is_pinned() -> None:
    images = [
        rest.split()[0] for keyword, rest in dockerfile_instructions(SERVICE_DIR / "Dockerfile") if keyword == "FROM"
    ]
    assert images
    for image in images:
        name, _, tag = image.partition("@")[0].rpartition(":")
        assert name and tag and tag != "latest", f"base image {image!r} is not pinned to a version tag"


def test_image_requirements_pin_the_venv_version_with_a_hash() -> None:
    text = (SERVICE_DIR / "requirements.txt").read_text()
    logical = re.sub(r"\\\n\s*", " ", text)
    requirements = [line.split() for line in logical.splitlines() if line.strip() and not line.startswith("#")]
    assert [parts[0] for parts in requirements] == [f"prometheus-client=={version('prometheus-client')}"]
    assert re.fullmatch(r"--hash=sha256:[0-9a-f]{64}", requirements[0][1])
    ignore = (SERVICE_DIR / ".dockerignore").read_text().splitlines()
    assert ignore[ignore.index("*") + 1 :] and "!sample_service/" in ignore  # the context is an allow-list
