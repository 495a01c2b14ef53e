"""Correction: a retried SDK call gets the answer of the attempt moto already executed, instead of running twice.

Gap (moto 5.2.5): moto runs every request it receives. An AWS SDK retries an operation whose attempt it got no
answer for (a broken connection, a read timeout while the machine is loaded) and sends every attempt with the same
`amz-sdk-invocation-id` and with `amz-sdk-request: attempt=N; max=M`. When moto had already executed the first
attempt, the retry of a create fails (`InvalidLaunchTemplateName.AlreadyExistsException`, `EntityAlreadyExists`) and
the retry of a revoke fails with `InvalidPermission.NotFound`, so Terraform reports an error for a change that was
made.

Fix: the answer (status, headers, body) of each successful mutating request that carries both SDK headers is kept
by invocation id. A later attempt of the same call (same method, path and action) gets that answer back instead of
running again; while the first attempt is still running, the later one waits for it (at most `WAIT_S`). An attempt
that failed (not 2xx, or an exception) leaves nothing to replay, so the retry runs again, as the SDK means it to.
Reads (GET, HEAD, Describe*/Get*/List* actions), answers over `MAX_BODY` and requests without the headers are never
kept, and only the `MAX_ENTRIES` most recently used invocations are remembered. The server's request log marks a
replayed answer (`"replayed": true`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from stratatest.targets.moto.corrections import REPLAYED, current_request

MAX_ENTRIES = 2_000
MAX_BODY = 64 * 1024  # answers to mutating calls are a few KiB; a larger one is not worth holding in memory
WAIT_S = 60.0  # how long a retry waits for its first attempt, still running, to finish
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ACTION_PREFIXES = ("Describe", "Get", "List", "Head")

StartResponse = Callable[..., Any]
WSGICall = Callable[[DomainDispatcherApplication, dict[str, Any], StartResponse], Iterable[bytes]]
#: What must match for an attempt to count as the same call: method, path, action.
Fingerprint = tuple[str, str, str | None]


@dataclass(frozen=True)
class _Answer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class _Execution:
    """One run of an invocation through moto; `done` is set when it ended, `answer` only if it succeeded."""

    fingerprint: Fingerprint
    done: threading.Event = field(default_factory=threading.Event)
    answer: _Answer | None = None

    @property
    def failed(self) -> bool:
        return self.done.is_set() and self.answer is None


class _Executions:
    """The latest execution of each recent invocation id, least recently used first out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_invocation: OrderedDict[str, _Execution] = OrderedDict()

    def claim(self, invocation_id: str, attempt: int, fingerprint: Fingerprint) -> tuple[_Execution, bool]:
        """The execution this request is answered by, and whether this request has to run it itself.

        A later attempt of a call follows the call's execution unless that one failed; anything else runs.
        """
        with self._lock:
            known = self._by_invocation.get(invocation_id)
            if attempt > 1 and known is not None and known.fingerprint == fingerprint and not known.failed:
                self._by_invocation.move_to_end(invocation_id)
                return known, False
            mine = _Execution(fingerprint)
            self._by_invocation[invocation_id] = mine
            self._by_invocation.move_to_end(invocation_id)
            if len(self._by_invocation) > MAX_ENTRIES:
                self._by_invocation.popitem(last=False)
            return mine, True


def _mutating(method: str, action: str | None) -> bool:
    """Reads are harmless to run twice, so their answers are not kept."""
    return method not in READ_METHODS and not (action or "").startswith(READ_ACTION_PREFIXES)


def _run(
    original: WSGICall,
    app: DomainDispatcherApplication,
    environ: dict[str, Any],
    start_response: StartResponse,
    execution: _Execution,
) -> list[bytes]:
    """Run the request through moto, keeping a successful answer for the call's later attempts."""
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append((status, headers))
        return start_response(status, headers, exc_info)

    try:
        result = original(app, environ, capture)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        if started and started[-1][0].startswith("2") and len(body) <= MAX_BODY:
            status, headers = started[-1]
            execution.answer = _Answer(status, list(headers), body)
    finally:
        execution.done.set()
    return [body]


def apply() -> None:
    """Wrap DomainDispatcherApplication.__call__, moto's WSGI entry point (idempotent)."""
    original: WSGICall = DomainDispatcherApplication.__call__
    if getattr(original, "__stratatest__", False):
        return
    executions = _Executions()

    def __call__(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: StartResponse) -> Any:
        info = current_request.get()
        method = environ.get("REQUEST_METHOD", "")
        if info is None or info.invocation_id is None or info.attempt is None or not _mutating(method, info.action):
            return original(self, environ, start_response)
        fingerprint = (method, environ.get("PATH_INFO", ""), info.action)
        deadline = time.monotonic() + WAIT_S
        while True:
            execution, mine = executions.claim(info.invocation_id, info.attempt, fingerprint)
            if mine:
                return _run(original, self, environ, start_response, execution)
            if not execution.done.wait(max(0.0, deadline - time.monotonic())):
                return original(self, environ, start_response)  # still running after WAIT_S: run it, as moto would
            if execution.answer is not None:
                environ[REPLAYED] = True
                start_response(execution.answer.status, list(execution.answer.headers))
                return [execution.answer.body]
            # The execution it waited for failed: claim again, so one of the waiting attempts runs the call.

    __call__.__stratatest__ = True  # type: ignore[attr-defined]
    DomainDispatcherApplication.__call__ = __call__  # type: ignore[method-assign]
