"""The moto server process: `python -m stratatest.targets.moto.server --https-port N --http-port M ...`.

One process serves moto's server-mode app on two listeners that share the same backends: HTTPS (what
Terraform and boto3 use, so `aws:SecureTransport` is true) and plain HTTP (so tests can show a TLS-only
policy denying). It runs as its own process, in its own session, so that a Ctrl-C aimed at pytest does not
take the emulator down before the harness has destroyed what it created.

A middleware tells corrections which listener a request came in on, appends one line per request to the requests
file (to tell an SDK retry, same `amz-sdk-invocation-id`, from a second call) and every 5xx answer to the events
file: moto answers 500 for actions it lacks, and the aws provider would retry those for minutes.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

# Must be set before moto is imported: without it, attaching AWS-managed IAM policies fails.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from stratatest.localhost import pid_alive
from stratatest.targets.moto import corrections

EXIT_PORT_IN_USE = 3
BODY_HEAD_CHARS = 300
_FORM_PEEK_LIMIT = 1 << 20  # read form bodies (query-protocol actions) up to 1 MiB to name the action

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class _Handler(MotoRequestHandler):
    """moto's handler, plus a TLS handshake in the request thread and the negotiated TLS version."""

    def handle(self) -> None:
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError):
                return  # a client that cannot speak TLS to us: drop it quietly
        super().handle()

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        if isinstance(self.connection, ssl.SSLSocket):
            environ["stratatest.tls_version"] = self.connection.version()
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per request would bury the useful part of the log


class _LazyHandshakeContext(ssl.SSLContext):
    """Defer the handshake from accept() to the request thread, so one silent client cannot stall all."""

    def wrap_socket(self, sock: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["do_handshake_on_connect"] = False
        return super().wrap_socket(sock, *args, **kwargs)


class JsonLines:
    """An append-only JSON-lines file written by all request threads; whole lines only, so readers can tail it."""

    def __init__(self, path: Path | None) -> None:
        self._file = path.open("a", encoding="utf-8", buffering=1) if path else None  # line-buffered
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> str:
        line = json.dumps(record, sort_keys=True)
        if self._file is not None:
            with self._lock:
                self._file.write(line + "\n")
        return line


class EventRecorder(JsonLines):
    """One line per 5xx answer, also in the server log; the harness tails the file to fail fast."""

    def record(self, event: dict[str, Any]) -> None:
        print(f"stratatest: 5xx {self.write(event)}", file=sys.stderr)


def _peek_form(environ: dict[str, Any]) -> dict[str, list[str]]:
    """Read a small url-encoded body (keeping it readable for moto) to find its Action parameter."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return {}
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return {}
    if not 0 < length <= _FORM_PEEK_LIMIT:
        return {}
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return parse_qs(body.decode("utf-8", "replace"))


def _service_and_action(environ: dict[str, Any], form: dict[str, list[str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" in auth:  # .../<date>/<region>/<service>/aws4_request
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 5:
            found["service"] = scope[3]
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        found["action"] = target.rsplit(".", 1)[-1]
        found.setdefault("service", target.rsplit(".", 1)[0])
    else:
        action = parse_qs(environ.get("QUERY_STRING", "")).get("Action") or form.get("Action")
        if action:
            found["action"] = action[0]
    return found


def _sdk_attempt(environ: dict[str, Any]) -> tuple[str | None, int | None]:
    """The SDK call's id and attempt number, from `amz-sdk-invocation-id` and `amz-sdk-request: attempt=N; max=M`."""
    attempt = None
    for part in environ.get("HTTP_AMZ_SDK_REQUEST", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == "attempt" and value.isdigit():
            attempt = int(value)
    return environ.get("HTTP_AMZ_SDK_INVOCATION_ID") or None, attempt


def middleware(app: WSGIApp, scheme: str, recorder: EventRecorder, requests: JsonLines) -> WSGIApp:
    """Wrap moto's app for one listener: request context for corrections, the request log, 5xx events."""

    def wrapped(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started, clock = time.time(), time.monotonic()
        form = _peek_form(environ) if environ.get("REQUEST_METHOD") == "POST" else {}
        named = _service_and_action(environ, form)
        invocation_id, attempt = _sdk_attempt(environ)
        info = corrections.RequestInfo(
            scheme=scheme,
            tls_version=environ.get("stratatest.tls_version"),
            action=named.get("action"),
            invocation_id=invocation_id,
            attempt=attempt,
        )
        token = corrections.current_request.set(info)
        status: list[int] = []

        def capture(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status.append(int(status_line.split(" ", 1)[0]))
            return start_response(status_line, headers, exc_info)

        def log(code: int | None) -> None:
            line: dict[str, Any] = {
                "time": started,
                "ms": round((time.monotonic() - clock) * 1000, 1),
                "status": code,
                "method": environ.get("REQUEST_METHOD", ""),
                "path": environ.get("PATH_INFO", ""),
                "scheme": scheme,
                **named,
            }
            if invocation_id:
                line["invocation_id"] = invocation_id
            if attempt is not None:
                line["attempt"] = attempt
            if environ.get(corrections.REPLAYED):
                line["replayed"] = True
            requests.write(line)

        def record(code: int, body_head: str, error: str | None = None) -> None:
            event = {
                "time": time.time(),
                "status": code,
                "method": environ.get("REQUEST_METHOD", ""),
                "path": environ.get("PATH_INFO", ""),
                "scheme": scheme,
                **named,
                "body_head": body_head[:BODY_HEAD_CHARS],
            }
            if error:
                event["error"] = error[:BODY_HEAD_CHARS]
            recorder.record(event)

        try:
            result = app(environ, capture)
        except Exception as exc:
            # moto's Flask apps run in debug mode, so an unimplemented action (NotImplementedError) leaves
            # the app as an exception; werkzeug then answers 500, as moto_server does.
            log(500)
            record(500, "", f"{type(exc).__name__}: {exc}")
            raise
        finally:
            corrections.current_request.reset(token)
        log(status[-1] if status else None)
        if not status or status[-1] < 500:
            return result
        body = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        record(status[-1], body.decode("utf-8", "replace"))
        return [body]

    return wrapped


class _HeldDispatcher(DomainDispatcherApplication):
    """Test hook (--hold-first-attempt): moto starts attempt 1 of one action late, as on a loaded machine.

    The hold sits where moto picks the service, so the retry-replay correction already knows the attempt is running.
    """

    def __init__(self, action: str, seconds: float) -> None:
        super().__init__(create_backend_app)
        self.held_action, self.hold_s = action, seconds

    def get_application(self, environ: dict[str, Any]) -> Any:
        info = corrections.current_request.get()
        if info is not None and info.action == self.held_action and info.attempt == 1:
            time.sleep(self.hold_s)
        return super().get_application(environ)


def _action_and_seconds(value: str) -> tuple[str, float]:
    action, _, seconds = value.partition("=")
    try:
        return action, float(seconds)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ACTION=SECONDS, got {value!r}") from None


def _listen(host: str, port: int) -> socket.socket:
    """Bind ourselves (not werkzeug, which exits with its own message) so a busy port is one clear line."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        print(f"moto: port {host}:{port} is already in use ({err.strerror})", file=sys.stderr, flush=True)
        sys.exit(EXIT_PORT_IN_USE)
    sock.listen(128)
    return sock


def _serve(host: str, port: int, app: WSGIApp, ssl_context: ssl.SSLContext | None) -> BaseWSGIServer:
    sock = _listen(host, port)
    server = make_server(
        host, port, app, threaded=True, request_handler=_Handler, ssl_context=ssl_context, fd=sock.fileno()
    )
    sock.close()  # werkzeug holds its own duplicate of the descriptor
    # A short poll interval keeps shutdown (SIGTERM to exit) well under a second.
    serve = threading.Thread(target=server.serve_forever, args=(0.05,), name=f"moto-{port}", daemon=True)
    serve.start()
    return server


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m stratatest.targets.moto.server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--https-port", type=int, required=True, help="0 picks a free port")
    parser.add_argument("--http-port", type=int, required=True, help="0 picks a free port")
    parser.add_argument("--cert", type=Path, required=True)
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("--corrections", default="all", help='"all", "none" or a comma list of names')
    parser.add_argument("--ready-file", type=Path, help="written (JSON) once both listeners are up")
    parser.add_argument("--events-file", type=Path, help="JSON lines, one per 5xx answer")
    parser.add_argument("--requests-file", type=Path, help="JSON lines, one per request (no bodies)")
    parser.add_argument(
        "--hold-first-attempt",
        type=_action_and_seconds,
        metavar="ACTION=SECONDS",
        help="tests only: hold attempt 1 of ACTION (by its amz-sdk-request header) before moto runs it",
    )
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    selected = corrections.select(args.corrections)
    for correction in selected:
        correction.apply()

    if args.hold_first_attempt:
        moto_app = _HeldDispatcher(*args.hold_first_attempt)
    else:
        moto_app = DomainDispatcherApplication(create_backend_app)
    recorder, requests = EventRecorder(args.events_file), JsonLines(args.requests_file)

    tls = _LazyHandshakeContext(ssl.PROTOCOL_TLS_SERVER)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(args.cert, args.key)
    https = _serve(args.host, args.https_port, middleware(moto_app, "https", recorder, requests), tls)
    http = _serve(args.host, args.http_port, middleware(moto_app, "http", recorder, requests), None)
    # moto builds some URLs (SQS queue URLs, Lambda env) from MOTO_PORT; those callers speak plain HTTP.
    os.environ["MOTO_PORT"] = str(http.port)

    ready = {"https_port": https.port, "http_port": http.port, "pid": os.getpid()}
    names = [c.name for c in selected]
    print(f"stratatest moto server ready: {json.dumps(ready)} corrections={names}", file=sys.stderr)
    if args.ready_file:
        tmp = args.ready_file.with_name(args.ready_file.name + ".tmp")
        tmp.write_text(json.dumps(ready), encoding="utf-8")
        os.replace(tmp, args.ready_file)

    while not stop.wait(1.0):
        if args.parent_pid is not None and not pid_alive(args.parent_pid):
            print("stratatest moto server: parent process gone, exiting", file=sys.stderr, flush=True)
            break
    for server in (https, http):
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
