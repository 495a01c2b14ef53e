"""The embedded target: a moto server the suite starts itself, on 127.0.0.1, over HTTPS.

moto runs as a separate process (see `server.py`) with two listeners sharing one set of backends: HTTPS for
Terraform and boto3, plain HTTP only so tests can show that a TLS-only policy really denies. Documented
corrections of moto gaps are applied inside that process (see `corrections/`).

Environment: the harness builds terraform's environment from `os.environ` minus every `AWS_*` variable, plus
`env()`. Setting `AWS_PROFILE=""` instead would not do: the provider treats an empty profile as a name.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar

from stratatest.errors import ConfigError, TargetError
from stratatest.targets.base import ProviderSettings, Target
from stratatest.targets.emulator import emulator_client, emulator_env, emulator_provider
from stratatest.targets.moto import corrections as _corrections
from stratatest.targets.moto.tls import ensure_certificate

__all__ = ["KNOWN_GAPS", "MotoTarget"]

HOST = "127.0.0.1"
#: Dummy credentials: moto accepts any; these can never be mistaken for real ones.
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0

#: Known moto 5.2.5 gaps no correction covers yet, by gap id → reason (docs/emulator-gaps.md).
KNOWN_GAPS: dict[str, str] = {
    "s3_bucket_level_policy": "moto 5.2.5 evaluates bucket policies only on object requests, not on "
    "bucket-level ones such as ListObjects",
}


class MotoTarget(Target):
    """moto in a child process on two free 127.0.0.1 ports, with a self-signed certificate."""

    name = "moto"
    layer = "emulator"
    OPTIONS: ClassVar[dict[str, str]] = {
        "port": "HTTPS port for the embedded server (default: a free one)",
        "endpoint": "attach to a running moto server instead (https://127.0.0.1:N)",
        "ca_bundle": "the certificate of the server given with endpoint",
        "corrections": "moto corrections to apply: all (default), none, or names joined by +",
    }

    @classmethod
    def from_options(cls, options: dict[str, str], *, region: str, workdir: Path, run_id: str) -> MotoTarget:
        port = options.get("port")
        if port is not None and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
            raise ConfigError(f"moto: port={port!r} is not a TCP port", hint="give a number from 1 to 65535")
        if "ca_bundle" in options and "endpoint" not in options:
            raise ConfigError(
                "moto: ca_bundle goes with endpoint", hint="moto:endpoint=https://127.0.0.1:N,ca_bundle=F"
            )
        return cls(
            region,
            int(port) if port else None,
            workdir=workdir,
            run_id=run_id,
            corrections=options.get("corrections", "all").replace("+", ","),
            endpoint=options.get("endpoint"),
            ca_bundle=Path(options["ca_bundle"]) if "ca_bundle" in options else None,
        )

    def __init__(
        self,
        region: str = "us-east-1",
        port: int | None = None,
        *,
        workdir: Path,
        run_id: str = "",
        corrections: str = "all",
        endpoint: str | None = None,
        ca_bundle: Path | None = None,
        server_args: Sequence[str] = (),
    ) -> None:
        """`endpoint` (+ `ca_bundle`) attaches to a moto server someone else runs instead of starting one.

        `server_args` are extra flags for the server process (tests use its `--hold-first-attempt` hook).
        """
        super().__init__(region, workdir=workdir, run_id=run_id)
        self.attach_to = endpoint.rstrip("/") if endpoint else None
        self.port = port
        self.workdir: Path = Path(workdir)
        self.corrections = _corrections.select(corrections)  # unknown names fail here, before any start
        self._corrections_spec = ",".join(c.name for c in self.corrections) or "none"
        self._server_args = list(server_args)
        self._proc: subprocess.Popen[bytes] | None = None
        self._rundir: Path | None = None
        self._cert: Path | None = Path(ca_bundle) if ca_bundle else None
        self._https_port: int | None = None
        self._http_port: int | None = None
        self.exit_code: int | None = None  # the server's exit status after stop(); 0 means a clean exit

    # -- lifecycle ---------------------------------------------------------------------------------------

    def preflight(self) -> None:
        """A fixed port that is taken: one line on the controller, before any worker starts a server."""
        if self.port is not None and not self.attach_to and not self.running:
            _require_free(self.port)

    def check_processes(self, processes: int) -> None:
        """Each process starts its own embedded server: on one fixed port only one of them could."""
        if processes > 1 and self.port is not None and not self.attach_to:
            raise ConfigError(
                f"moto: port={self.port} is fixed, but {processes} worker processes would each start a server on it",
                hint="run one worker (pytest -n 0, stratatest run --workers 1), or start one server and attach "
                "every worker to it (moto:endpoint=https://127.0.0.1:N,ca_bundle=FILE)",
            )

    def in_region(self, region: str) -> MotoTarget:
        """One moto server serves every region: this one, attached (so stopping the view stops nothing)."""
        return MotoTarget(
            region,
            workdir=self.workdir,
            run_id=self.run_id,
            corrections=self._corrections_spec,
            endpoint=self.endpoint_url,
            ca_bundle=self.ca_bundle,
        )

    def start(self) -> None:
        """Start the server process and wait until it answers over HTTPS; idempotent."""
        if self._proc is not None and self._proc.poll() is None:
            return
        if self.attach_to:
            self._attach()
            return
        if self.port is not None:
            _require_free(self.port)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._cert, key = ensure_certificate(self.workdir / "tls")
        self._rundir = Path(tempfile.mkdtemp(prefix="moto-", dir=self.workdir))
        ready_file = self._rundir / "ready.json"
        command = [
            sys.executable,
            "-m",
            "stratatest.targets.moto.server",
            f"--host={HOST}",
            f"--https-port={self.port or 0}",
            "--http-port=0",
            f"--cert={self._cert}",
            f"--key={key}",
            f"--corrections={self._corrections_spec}",
            f"--ready-file={ready_file}",
            f"--events-file={self.events_file}",
            f"--requests-file={self.requests_file}",
            f"--parent-pid={os.getpid()}",
            *self._server_args,
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
        env["PYTHONUNBUFFERED"] = "1"
        with self.log_file.open("wb") as log:
            self._proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self._rundir,
                start_new_session=True,  # a Ctrl-C to pytest's process group must not kill the emulator
            )
        atexit.register(self.stop)
        try:
            ready = self._wait_ready(ready_file)
            self._https_port, self._http_port = int(ready["https_port"]), int(ready["http_port"])
            self._check_https()
        except BaseException:
            self.stop()
            raise

    def _attach(self) -> None:
        from urllib.parse import urlsplit

        url = urlsplit(self.attach_to)
        if url.scheme != "https" or url.hostname not in (HOST, "localhost") or not url.port:
            raise TargetError(f"moto: cannot attach to {self.attach_to}", hint=f"give https://{HOST}:PORT")
        if self._cert is None:
            raise TargetError("moto: attaching needs the server's certificate", hint="add ca_bundle=FILE to the spec")
        self._https_port = url.port
        self._check_https()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers; idempotent and safe after a failed start."""
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_TIMEOUT_S)
        self.exit_code = proc.returncode

    @property
    def outlives_run(self) -> bool:
        """An embedded server dies with its run, and its resources with it; an attached one lives on."""
        return self.attach_to is not None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _wait_ready(self, ready_file: Path) -> dict[str, Any]:
        deadline = time.monotonic() + READY_TIMEOUT_S
        assert self._proc is not None
        while time.monotonic() < deadline:
            if ready_file.exists():
                return json.loads(ready_file.read_text(encoding="utf-8"))
            code = self._proc.poll()
            if code is not None:
                if self.port is not None and "already in use" in self._log_tail():
                    raise _port_in_use(self.port)
                raise TargetError(f"moto: the server exited with code {code}: {self._log_tail()}")
            time.sleep(0.05)
        raise TargetError(
            f"moto: the server did not become ready within {READY_TIMEOUT_S:.0f} s: {self._log_tail()}",
            hint=f"full log: {self.log_file}",
        )

    def _check_https(self) -> None:
        context = ssl.create_default_context(cafile=str(self._cert))
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/", context=context, timeout=10):
                pass
        except (OSError, urllib.error.URLError) as err:
            raise TargetError(f"moto: the HTTPS endpoint {self.endpoint_url} does not answer: {err}") from err

    def _log_tail(self, lines: int = 8) -> str:
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:]) or "(empty server log)"

    # -- where things are --------------------------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        """The HTTPS endpoint every service is reached at."""
        return f"https://{HOST}:{self._require_started(self._https_port)}"

    @property
    def http_endpoint_url(self) -> str:
        """The plain-HTTP listener; only for showing that TLS-only policies deny it."""
        return f"http://{HOST}:{self._require_started(self._http_port)}"

    @property
    def ca_bundle(self) -> Path:
        """The self-signed certificate, usable as the CA bundle."""
        return self._require_started(self._cert)

    @property
    def log_file(self) -> Path:
        return self._require_started(self._rundir) / "server.log"

    @property
    def events_file(self) -> Path:
        """JSON lines, one per 5xx answer (see server.py)."""
        return self._require_started(self._rundir) / "events.jsonl"

    @property
    def requests_file(self) -> Path:
        """JSON lines, one per request, no bodies: start time, ms, action, status, SDK call id, attempt."""
        return self._require_started(self._rundir) / "requests.jsonl"

    def _require_started(self, value: Any) -> Any:
        if value is None:
            raise TargetError("moto: the target is not started", hint="call start() first")
        return value

    # -- Target interface --------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """Dummy credentials, region, CA bundle; terraform's env is os.environ minus AWS_* plus this."""
        return emulator_env(self.region, self.endpoint_url, (ACCESS_KEY, SECRET_KEY), self.ca_bundle)

    def provider_settings(self) -> ProviderSettings:
        return emulator_provider(self.region, self.endpoint_url, (ACCESS_KEY, SECRET_KEY), self.ca_bundle)

    def client(self, service: str, *, max_attempts: int = 3, read_timeout: float = 60) -> Any:
        """A boto3 client on the HTTPS listener, verifying the emulator's certificate."""
        return self._client(service, self.endpoint_url, str(self.ca_bundle), max_attempts, read_timeout)

    def http_client(self, service: str, *, max_attempts: int = 3) -> Any:
        """A boto3 client on the plain-HTTP listener (aws:SecureTransport is false there)."""
        return self._client(service, self.http_endpoint_url, False, max_attempts)

    def _client(
        self, service: str, endpoint: str, verify: str | bool, max_attempts: int, read_timeout: float = 60
    ) -> Any:
        keys = (ACCESS_KEY, SECRET_KEY)
        return emulator_client(
            service,
            region=self.region,
            endpoint=endpoint,
            keys=keys,
            verify=verify,
            max_attempts=max_attempts,
            read_timeout=read_timeout,
        )

    def gaps(self) -> dict[str, str]:
        """Uncorrected known gaps, plus the gaps of corrections switched off for this run."""
        selected = {c.name for c in self.corrections}
        off = {c.name: f"uncorrected: {c.gap}" for c in _corrections.CORRECTIONS if c.name not in selected}
        return {**KNOWN_GAPS, **off}

    def failure_watch(self) -> Callable[[], str | None] | None:
        """Stop terraform at moto's first crash or NotImplemented answer (the provider would retry for minutes).

        An event with an `error` is a Python exception inside moto, never a transient condition.
        """
        if self.attach_to:
            return None  # another process's server: its events file is not ours to read
        offset = self.events_offset()

        def check() -> str | None:
            nonlocal offset
            events, offset = self.events_since(offset)
            for event in events:
                if event.get("error"):
                    action = event.get("action") or f"{event.get('method')} {event.get('path')}"
                    service = event.get("service") or "?"
                    return f"moto failed {service} {action} with HTTP {event.get('status')}: {event['error']}"
            return None

        return check

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "moto_version": version("moto"),
            "endpoint": self.endpoint_url if self._https_port else None,
            "corrections": [c.name for c in self.corrections],
        }

    # -- helpers for the harness and tests ---------------------------------------------------------------

    def events_since(self, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """5xx events appended after byte `offset`, and the offset to pass next time (whole lines only)."""
        return _json_lines_since(self.events_file, offset)

    def events_offset(self) -> int:
        """The current end of the events file: remember it before a command, read from it after."""
        return _size(self.events_file)

    def requests_since(self, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Request-log lines appended after byte `offset`, and the offset to pass next time (whole lines only)."""
        return _json_lines_since(self.requests_file, offset)

    def requests_offset(self) -> int:
        """The current end of the request log: remember it before a command, read from it after."""
        return _size(self.requests_file)

    def retried_operations(self, offset: int = 0) -> dict[str, list[dict[str, Any]]]:
        """SDK calls that reached the server more than once since `offset`: invocation id -> its requests, in order.

        A create failing with AlreadyExists whose call shows up here was retried by the SDK after moto had run it;
        one that does not was sent twice as two calls (a provider-level retry, or two callers).
        """
        by_call: dict[str, list[dict[str, Any]]] = {}
        for line in self.requests_since(offset)[0]:
            if line.get("invocation_id"):
                by_call.setdefault(line["invocation_id"], []).append(line)
        return {call: lines for call, lines in by_call.items() if len(lines) > 1}

    def reset(self) -> None:
        """Empty every moto backend (POST /moto-api/reset), keeping the server and its corrections."""
        context = ssl.create_default_context(cafile=str(self.ca_bundle))
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST", data=b"")
        try:
            with urllib.request.urlopen(request, context=context, timeout=30):
                pass
        except (OSError, urllib.error.URLError) as err:
            raise TargetError(f"moto: reset failed: {err}") from err


def _json_lines_since(path: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return [], offset
    complete = data[: data.rfind(b"\n") + 1]
    return [json.loads(line) for line in complete.splitlines() if line.strip()], offset + len(complete)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _port_in_use(port: int) -> TargetError:
    return TargetError(
        f"moto: port {HOST}:{port} is already in use — choose another with --target moto:port=N, or omit port "
        "to pick a free one"
    )


def _require_free(port: int) -> None:
    """Fail with one clear line before spawning anything when the requested port is taken."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            raise _port_in_use(port) from None
