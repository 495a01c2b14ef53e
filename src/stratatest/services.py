"""Run the platform's sample service (services/sample) as a subprocess on 127.0.0.1: the live target of the
metrics and logging tests (a real Prometheus scrapes it; the log shipper's parsers read its real output).
Every wait is bounded and the process is always reaped: SIGTERM first, SIGKILL if it does not stop in time.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from stratatest.localhost import free_port


class SampleProcess:
    """A running service: its URL, captured output, a small HTTP client and a bounded stop."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._lock = threading.Lock()
        self._stdout: list[str] = []
        self._stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._pump, args=(process.stdout, self._stdout), daemon=True),
            threading.Thread(target=self._pump, args=(process.stderr, self._stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _pump(self, stream: Any, sink: list[str]) -> None:
        for raw in iter(stream.readline, b""):
            with self._lock:
                sink.append(raw.decode("utf-8", errors="replace").rstrip("\n"))

    def stdout_lines(self) -> list[str]:
        """Lines the service wrote to stdout so far (a copy)."""
        with self._lock:
            return list(self._stdout)

    def stderr_lines(self) -> list[str]:
        with self._lock:
            return list(self._stderr)

    def log_records(self) -> list[dict[str, Any]]:
        """stdout parsed as JSON lines; raises ValueError on the first line that is not a JSON object."""
        records = []
        for line in self.stdout_lines():
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError(f"log line is not a JSON object: {line!r}")
            records.append(record)
        return records

    def wait_for_log(self, predicate: Any, timeout: float = 5.0) -> dict[str, Any]:
        """The first parsed log record matching `predicate`, waiting up to `timeout` seconds for it to appear."""
        deadline = time.monotonic() + timeout
        while True:
            for record in self.log_records():
                if predicate(record):
                    return record
            if time.monotonic() > deadline:
                raise TimeoutError(f"no matching log line within {timeout} s; stdout: {self.stdout_lines()[-20:]}")
            time.sleep(0.05)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | dict[str, Any] | None = None,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for one request; HTTP error statuses are returned, not raised."""
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        all_headers = {"Content-Type": "application/json"} if data is not None else {}
        all_headers.update(headers or {})
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, dict(error.headers.items()), error.read()

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
        status, _, body = self.request("GET", path, timeout=timeout)
        return status, body

    def set_fault(self, error_rate: float = 0.0, delay_ms: int = 0) -> None:
        """POST /admin/fault (needs admin=True); raises if the service refuses."""
        status, _, body = self.request("POST", "/admin/fault", {"error_rate": error_rate, "delay_ms": delay_ms})
        if status != 200:
            raise RuntimeError(f"POST /admin/fault answered {status}: {body!r}")

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Poll /readyz until 200; fail fast (with the service's output) if the process exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"sample service exited with {self.process.returncode} before ready:\n{self._output()}"
                )
            with suppress(OSError, http.client.HTTPException):
                if self.get("/readyz", timeout=1.0)[0] == 200:
                    return
            time.sleep(0.05)
        raise TimeoutError(f"sample service not ready within {timeout} s:\n{self._output()}")

    def stop(self, timeout: float = 5.0) -> int:
        """SIGTERM, wait up to `timeout`, then SIGKILL. Returns the exit code (negative: killed by a signal)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5.0)
        for reader in self._readers:
            reader.join(timeout=2.0)
        return self.process.returncode

    def _output(self) -> str:
        return "stdout:\n" + "\n".join(self.stdout_lines()) + "\nstderr:\n" + "\n".join(self.stderr_lines())


@contextmanager
def run_sample_service(
    service_dir: Path,
    port: int | None = None,
    admin: bool = False,
    env: Mapping[str, str] | None = None,
    *,
    ready_timeout: float = 10.0,
    python: str = sys.executable,
) -> Iterator[SampleProcess]:
    """Start `python -m sample_service` on 127.0.0.1, wait for /readyz, yield it, and stop it on the way out.

    The child gets a minimal environment (not the caller's), so a stray LOG_LEVEL or proxy setting cannot change
    what a test sees; `env` adds to or overrides it.
    """
    chosen = port if port is not None else free_port()
    child_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(service_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "HOST": "127.0.0.1",
        "PORT": str(chosen),
        "SAMPLE_ADMIN_ENABLED": "true" if admin else "false",
    }
    child_env.update(env or {})
    process = subprocess.Popen(
        [python, "-m", "sample_service"],
        cwd=service_dir,
        env=child_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    service = SampleProcess(process, chosen)
    try:
        service.wait_ready(ready_timeout)
        yield service
    finally:
        service.stop()
