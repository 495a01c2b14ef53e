"""The HTTP server: routing, the metrics and access log around every request, and a graceful SIGTERM."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

from sample_service import __version__, logs
from sample_service.config import ConfigError, Settings, log_level
from sample_service.faults import FaultState, parse_fault
from sample_service.metrics import HttpMetrics

log = logging.getLogger("sample_service")
access_log = logging.getLogger("sample_service.access")
http_log = logging.getLogger("sample_service.http")

OTHER = "other"  # the route label of every path that is not a route: raw paths would explode cardinality
METRICS_PATH = "/metrics"
QUIET_ROUTES = frozenset({"/healthz", "/readyz", METRICS_PATH})  # probes and scrapes: access-logged at debug only
MAX_BODY_BYTES = 4096
MAX_LOGGED_PATH = 256
DRAIN_SECONDS = 10.0  # in-flight requests get this long after SIGTERM; below the pod's 30 s grace period
ITEMS = ({"id": 1, "name": "anvil"}, {"id": 2, "name": "bellows"}, {"id": 3, "name": "crucible"})


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def json_response(status: int, document: Any) -> Response:
    return Response(status, json.dumps(document, separators=(",", ":")).encode() + b"\n")


@dataclass(frozen=True)
class Route:
    template: str
    methods: Mapping[str, Callable[[Handler], Response]]


class SampleServer(ThreadingHTTPServer):
    """ThreadingHTTPServer plus the service's state, readiness and a count of requests in flight (for the drain)."""

    daemon_threads = True  # a stuck client must not keep the process alive past the drain deadline
    request_queue_size = 128

    def __init__(self, settings: Settings, metrics: HttpMetrics, faults: FaultState) -> None:
        self.settings = settings
        self.metrics = metrics
        self.faults = faults
        self.ready = threading.Event()
        self.routes = build_routes(settings.admin_enabled)
        self._in_flight = 0
        self._idle = threading.Condition()
        super().__init__((settings.host, settings.port), Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN: a reverse DNS lookup that can stall start in a pod.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.exception("unhandled error while serving a connection")

    def enter(self) -> None:
        with self._idle:
            self._in_flight += 1

    def leave(self) -> None:
        with self._idle:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is in flight; False if the deadline came first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)


class SampleServer6(SampleServer):
    address_family = socket.AF_INET6


class Handler(BaseHTTPRequestHandler):
    """Every method goes through `_dispatch`, which times, counts and access-logs the request once."""

    server: SampleServer
    server_version = f"sample-service/{__version__}"
    timeout = 10  # seconds a connection may sit idle before its thread gives up on it

    # Errors the base class answers itself (malformed request line, unknown method): JSON, and no echo of the
    # request back to the client.
    error_content_type = "application/json"
    error_message_format = '{"error":"%(message)s"}\n'

    def version_string(self) -> str:
        return self.server_version  # the base class appends the Python version

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        super().send_error(code, phrase)

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        started = time.perf_counter()
        # The query string is dropped: it is no route, and may carry secrets.
        path = self.path.partition("?")[0].partition("#")[0]
        route = self.server.routes.get(path)
        template = route.template if route else OTHER
        self.server.enter()
        self._started = False
        status = 500
        try:
            response = self._respond(route)
            status = response.status
            self._write(response)
        except (BrokenPipeError, ConnectionResetError):
            http_log.debug("client went away during %s %s", self.command, template)
        except Exception:
            log.exception("unhandled error in %s %s", self.command, template)
            status = 500
            if not self._started:  # once the status line is out, a second response would corrupt the stream
                with suppress(OSError):
                    self._write(json_response(500, {"error": "internal error"}))
        finally:
            seconds = time.perf_counter() - started
            self.server.leave()
            if template != METRICS_PATH:
                self.server.metrics.observe(self.command, template, status, seconds)
            self._access_log(template, path, status, seconds)

    def _respond(self, route: Route | None) -> Response:
        if route is None:
            return json_response(404, {"error": "not found"})
        method = "GET" if self.command == "HEAD" else self.command
        endpoint = route.methods.get(method)
        if endpoint is None:
            allow = sorted({*route.methods, *(("HEAD",) if "GET" in route.methods else ())})
            return replace(json_response(405, {"error": "method not allowed"}), headers=(("Allow", ", ".join(allow)),))
        return endpoint(self)

    def _write(self, response: Response) -> None:
        self._started = True
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _access_log(self, template: str, path: str, status: int, seconds: float) -> None:
        if template in QUIET_ROUTES:
            level = logging.DEBUG
        elif status >= 500:
            level = logging.ERROR
        elif status >= 400:
            level = logging.WARNING
        else:
            level = logging.INFO
        if not access_log.isEnabledFor(level):
            return
        shown = path if len(path) <= MAX_LOGGED_PATH else path[:MAX_LOGGED_PATH] + "..."
        fields = {
            "method": self.command,
            "route": template,
            "path": shown,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
        }
        access_log.log(level, "%s %s %d", self.command, shown, status, extra={logs.ACCESS_ATTRIBUTE: fields})

    def read_body(self) -> bytes | Response:
        """The request body, or the error response when it is missing, too large or unreadable."""
        length = self.headers.get("Content-Length")
        if length is None:
            return json_response(411, {"error": "Content-Length required"})
        try:
            size = int(length)
        except ValueError:
            return json_response(400, {"error": "invalid Content-Length"})
        if size < 0:
            return json_response(400, {"error": "invalid Content-Length"})
        if size > MAX_BODY_BYTES:
            return json_response(413, {"error": f"body larger than {MAX_BODY_BYTES} bytes"})
        return self.rfile.read(size)

    # BaseHTTPRequestHandler's own logging writes free text to stderr; ours is JSON on stdout.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return  # every routed request gets an access line from _dispatch instead

    def log_message(self, format: str, *args: Any) -> None:  # `format`: the base class's parameter name
        # Only reached for requests rejected before routing (bad request line, unknown method, idle timeout).
        # The request line itself is left out: its query string may carry a secret.
        if args and isinstance(args[0], int):
            http_log.warning("request rejected before routing with status %d", args[0])
        else:
            http_log.warning("connection error before routing: %s", args[0] if args else format)


def healthz(handler: Handler) -> Response:
    return json_response(200, {"status": "ok"})


def readyz(handler: Handler) -> Response:
    if handler.server.ready.is_set():
        return json_response(200, {"status": "ready"})
    return json_response(503, {"status": "not ready"})


def scrape(handler: Handler) -> Response:
    body, content_type = handler.server.metrics.render()
    return Response(200, body, content_type)


def items(handler: Handler) -> Response:
    delay_ms, fail = handler.server.faults.roll()
    if delay_ms:
        time.sleep(delay_ms / 1000)
    if fail:
        return json_response(500, {"error": "injected fault"})
    return json_response(200, {"items": list(ITEMS)})


def set_fault(handler: Handler) -> Response:
    body = handler.read_body()
    if isinstance(body, Response):
        return body
    try:
        fault = parse_fault(body)
    except ValueError as error:
        return json_response(400, {"error": str(error)})
    handler.server.faults.set(fault)
    log.warning("fault injection set: error_rate=%s delay_ms=%d", fault.error_rate, fault.delay_ms)
    return json_response(200, fault.as_dict())


def build_routes(admin_enabled: bool) -> dict[str, Route]:
    """Path -> route. Without admin, /admin/fault is no route at all: 404 and route="other", like any unknown path."""
    routes = [
        Route("/healthz", {"GET": healthz}),
        Route("/readyz", {"GET": readyz}),
        Route(METRICS_PATH, {"GET": scrape}),
        Route("/api/items", {"GET": items}),
    ]
    if admin_enabled:
        routes.append(Route("/admin/fault", {"POST": set_fault}))
    return {route.template: route for route in routes}


def serve(settings: Settings) -> int:
    """Serve until SIGTERM or SIGINT, then stop accepting, drain in-flight requests (bounded) and return 0."""
    metrics = HttpMetrics()
    for status in (200, 500):  # the series the error-rate alert divides, present from the first scrape
        metrics.prime("GET", "/api/items", status)
    server_class = SampleServer6 if ":" in settings.host else SampleServer
    try:
        server = server_class(settings, metrics, FaultState())
    except OSError as error:
        log.error("cannot listen on %s:%d: %s", settings.host, settings.port, error.strerror or error)
        return 1

    stop = threading.Event()
    received: list[str] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="http", daemon=True)
    worker.start()
    server.ready.set()  # the socket is listening and the accept loop is running: connections get answered
    log.info(
        "sample-service %s listening on %s:%d (admin fault API %s, log level %s)",
        __version__,
        settings.host,
        server.server_port,
        "enabled" if settings.admin_enabled else "disabled",
        settings.log_level,
    )
    while not stop.wait(0.5):  # a timed wait, so the signal handler runs promptly on every platform
        pass

    log.info("%s received: draining", received[0] if received else "signal")
    server.ready.clear()
    server.shutdown()  # the accept loop stops; requests already being handled go on
    if not server.wait_idle(DRAIN_SECONDS):
        log.warning("requests still in flight after %.0f s; stopping anyway", DRAIN_SECONDS)
    server.server_close()
    worker.join(timeout=1.0)
    log.info("stopped")
    return 0


def main(environ: Mapping[str, str] | None = None) -> int:
    """Entry point: 0 after a graceful stop, 1 if the port cannot be bound, 2 for invalid settings."""
    env = os.environ if environ is None else environ
    try:
        level = log_level(env)
    except ConfigError as error:
        logs.configure("info")
        log.error("invalid configuration: %s", error)
        return 2
    logs.configure(level)
    try:
        settings = Settings.from_env(env)
    except ConfigError as error:
        log.error("invalid configuration: %s", error)
        return 2
    return serve(settings)
