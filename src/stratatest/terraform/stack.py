"""Applied modules whose destroy is guaranteed.

A Stack is registered as live from the moment apply starts until destroy succeeds. Destroy runs from the
fixture finalizer; if the run is interrupted (Ctrl-C, SIGTERM) during apply, the stack waits for terraform
to write its state and destroys at once; any stack still live when the interpreter exits is destroyed by an
atexit hook. A destroy that fails keeps the working copy (the state) and says how to finish by hand.
"""

from __future__ import annotations

import atexit
import json
import os
import shlex
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from stratatest.errors import StratatestError
from stratatest.report.redact import register_output_secrets
from stratatest.terraform.harness import Harness, Workspace
from stratatest.terraform.plan import Plan
from stratatest.terraform.runner import Interrupted
from stratatest.toolchain import cache_dir

_LIVE: dict[int, Stack] = {}
_LOCK = threading.Lock()
#: Where notices go; the pytest plugin swaps in a writer that gets past its output capture.
_notify: list[Callable[[str], None]] = [lambda text: print(text, file=sys.stderr, flush=True)]
NOTICES: list[str] = []


def set_notifier(write: Callable[[str], None]) -> None:
    _notify[0] = write


def notice(message: str) -> None:
    """Tell the person at the terminal now (and keep it for the end-of-run summary)."""
    NOTICES.append(message)
    _notify[0](f"stratatest: {message}")


def keep_folder(path: Path, module: Path) -> Path:
    """Move a working copy whose state still holds resources out of the run folder (which is deleted)."""
    kept = cache_dir() / "kept-state" / f"{module.name}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(path), kept)
    return kept


class Stack:
    """One module applied into the target, with idempotency check and guaranteed destroy."""

    def __init__(
        self,
        harness: Harness,
        module: Path,
        variables: dict[str, Any] | None = None,
        *,
        backend: dict[str, Any] | None = None,
    ) -> None:
        self.harness = harness
        self.module = module
        self.variables = variables or {}
        self.backend = backend
        self.ws: Workspace | None = None
        self.destroyed = False
        self.interrupted = False

    @property
    def workspace(self) -> Workspace:
        if self.ws is None:
            self.ws = self.harness.workspace(self.module, self.variables, backend=self.backend)
        return self.ws

    def apply(self) -> None:
        """Apply; on interrupt, destroy what was created, then re-raise. Read results with `outputs()`."""
        ws = self.workspace
        with _LOCK:
            _LIVE[id(self)] = self
        try:
            ws.tf.execute_command("apply", "-input=false", "-no-color", "-auto-approve")
        except Interrupted:
            self.interrupted = True
            notice(f"interrupted during apply of {self.module}; destroying what was created")
            self.destroy()
            raise

    def update(self, **variables: Any) -> Plan:
        """Re-apply in the same state with some variables changed; returns the plan that was applied.

        The plan is applied from its file, so what a test asserts about it (in place, no replacement) is
        exactly what ran. An interrupt destroys, as during `apply`.
        """
        self.variables = {**self.variables, **variables}
        ws = self.workspace
        self.harness.write_variables(ws.copy, self.module, self.variables)
        plan = ws.plan()
        try:
            ws.tf.execute_command("apply", "-input=false", "-no-color", "stratatest.tfplan")
        except Interrupted:
            self.interrupted = True
            notice(f"interrupted during update of {self.module}; destroying what was created")
            self.destroy()
            raise
        return plan

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.workspace.tf.execute_command("output", "-json", "-no-color").out or "{}")
        register_output_secrets(raw)
        return {name: item.get("value") for name, item in raw.items()}

    def state_addresses(self) -> list[str]:
        out = self.workspace.tf.execute_command("state", "list", "-no-color").out
        return [line for line in out.splitlines() if line.strip()]

    def assert_idempotent(self) -> None:
        """The plan right after apply must be empty; the failure lists every pending change."""
        plan = self.workspace.pending_changes()
        assert plan is None or plan.is_empty, (
            f"{self.module.name} is not idempotent: the plan after apply wants {len(plan.changes)} "
            f"change(s):\n{plan.diff_text()}"
        )

    def destroy(self) -> None:
        """Destroy and check the state is empty; on failure keep the working copy and say how to finish."""
        if self.destroyed or self.ws is None:
            self._forget()
            return
        try:
            self.ws.tf.execute_command("destroy", "-input=false", "-no-color", "-auto-approve")
            left = self.state_addresses()
            if left:
                raise StratatestError(f"destroy of {self.module} left {left} in state")
        except (StratatestError, KeyboardInterrupt) as err:
            kept = keep_folder(self.ws.copy.root, self.module) / self.ws.path.relative_to(self.ws.copy.root)
            notice(
                f"destroy of {self.module} failed ({err or type(err).__name__}); its state is kept in {kept}. "
                f"Finish with: cd {shlex.quote(str(kept))} && TF_CLI_CONFIG_FILE="
                f"{shlex.quote(self.harness.toolchain.env()['TF_CLI_CONFIG_FILE'])} terraform destroy"
            )
            self.ws = None  # the folder now lives outside the run folder: it holds the only state
            self._forget()
            raise
        self.destroyed = True
        self._forget()
        self.ws.remove()
        if self.interrupted:
            notice(f"{self.module}: everything created before the interrupt was destroyed; nothing is left")

    def _forget(self) -> None:
        with _LOCK:
            _LIVE.pop(id(self), None)

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()


def live_stacks() -> list[Stack]:
    with _LOCK:
        return list(_LIVE.values())


def destroy_live(reason: str) -> int:
    """Destroy every stack still live; returns how many. Used at exit and on termination signals."""
    stacks = live_stacks()
    for stack in stacks:
        notice(f"{reason}: destroying {stack.module}")
        try:
            stack.destroy()
        except (StratatestError, KeyboardInterrupt):
            continue
    return len(stacks)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Same path as Ctrl-C: the running terraform is stopped gracefully, finalizers destroy.
    raise KeyboardInterrupt(f"signal {signum}")


def install_guards() -> None:
    """SIGTERM behaves like Ctrl-C, and nothing live survives interpreter exit."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    atexit.register(destroy_live, "exiting")
