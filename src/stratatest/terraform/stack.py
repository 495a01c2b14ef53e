"""Applied modules whose destroy is guaranteed.

A Stack is registered as live from the moment apply starts until destroy succeeds. Destroy runs from the
fixture finalizer; if the run is interrupted (Ctrl-C, SIGTERM) during apply, the stack waits for terraform
to write its state and destroys at once; any stack still live when the interpreter exits is destroyed by an
atexit hook. The working copy lives in the run's kept folder (`stratatest.runs`) from apply until destroy
succeeds, so a destroy that fails, or a run killed outright, leaves the state where `stratatest cleanup RUN_ID`
finds it. On a target that ends with the run (an emulator the run embeds) a failed destroy keeps nothing: what it
left goes with the target, and the notice says what that was.
"""

from __future__ import annotations

import atexit
import json
import threading
from pathlib import Path
from typing import Any

from stratatest import interrupts, runs
from stratatest.errors import NotAssessable, StratatestError
from stratatest.notices import notice
from stratatest.secrets import register_output_secrets
from stratatest.targets.services import services_for
from stratatest.terraform.harness import Harness, Workspace, make_terraform
from stratatest.terraform.plan import Plan
from stratatest.terraform.provider import terraform_env
from stratatest.terraform.runner import Interrupted

#: Where `move_to` puts the pulled state for `state push` (removed once pushed).
STATE_MOVED_FILE = "stratatest.moved.tfstate"
_LIVE: dict[int, Stack] = {}
_LOCK = threading.Lock()


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
            self.ws = self.harness.workspace(self.module, self.variables, backend=self.backend, keep=True)
        return self.ws

    def apply(self) -> None:
        """Apply; on interrupt, destroy what was created, then re-raise. Read results with `outputs()`.

        On a target that serves only some services, plan first and check the plan's resource types against
        them: what it lacks raises NotAssessable before anything is created, and exactly the checked plan is
        applied. A target that serves everything needs no check, so the apply costs what `terraform apply` does.
        """
        ws = self.workspace
        with _LOCK:
            _LIVE[id(self)] = self
        try:
            if self.harness.target.services() is None:
                ws.tf.execute_command("apply", "-input=false", "-no-color", "-auto-approve")
                return
            reason = self.harness.target.unsupported(services_for(ws.plan().resource_types))
            if reason:
                self._discard()  # nothing was applied
                raise NotAssessable(f"{self.module.name}: {reason}")
            ws.tf.execute_command("apply", "-input=false", "-no-color", "stratatest.tfplan")
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
        self.apply_planned("update")
        return plan

    def apply_planned(self, what: str) -> None:
        """Apply the plan file `workspace.plan()` left in the working copy; an interrupt destroys, as during `apply`
        (`what` names the step in the notice)."""
        try:
            self.workspace.tf.execute_command("apply", "-input=false", "-no-color", "stratatest.tfplan")
        except Interrupted:
            self.interrupted = True
            notice(f"interrupted during {what} of {self.module}; destroying what was created")
            self.destroy()
            raise

    def move_to(self, module: Path, variables: dict[str, Any] | None = None) -> None:
        """Carry the stack's state into a fresh working copy of `module`, another tree of the same module (a
        release to upgrade to or roll back to), with `variables`. Nothing is applied; the stack stays live, and its
        destroy runs from the new copy.

        A remote backend already holds the state both copies read; local state moves with terraform's own
        `state pull` and `state push`. The old copy is removed only once the new one holds the state.
        """
        old = self.workspace
        new = self.harness.workspace(module, variables, backend=self.backend, keep=True)
        try:
            if self.backend is None:
                new.copy.write(STATE_MOVED_FILE, old.tf.execute_command("state", "pull").out)
                new.tf.execute_command("state", "push", STATE_MOVED_FILE)
                (new.path / STATE_MOVED_FILE).unlink()
        except BaseException:
            new.remove()
            raise
        self.module, self.variables, self.ws = module, variables or {}, new
        old.remove()

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.workspace.tf.execute_command("output", "-json", "-no-color").out or "{}")
        register_output_secrets(raw)
        return {name: item.get("value") for name, item in raw.items()}

    def state_addresses(self) -> list[str]:
        """The resources in the stack's state. Read without the target's failure watch: listing the state calls
        no AWS API, and a watch that stopped the destroy before would stop the listing at the emulator's next 5xx
        answer to that destroy's retries."""
        env = terraform_env(self.harness.target)
        tf = make_terraform(self.harness.toolchain, Path(self.workspace.tf.tfdir), env, module=self.module)
        out = tf.execute_command("state", "list", "-no-color").out
        return [line for line in out.splitlines() if line.strip()]

    def assert_idempotent(self) -> None:
        """The plan right after apply must be empty; the failure lists every pending change."""
        plan = self.workspace.pending_changes()
        assert plan is None or plan.is_empty, (
            f"{self.module.name} is not idempotent: the plan after apply wants {len(plan.changes)} "
            f"change(s):\n{plan.diff_text()}"
        )

    def destroy(self) -> None:
        """Destroy and check the state is empty; on failure say what was left and, where it outlives the run,
        keep the working copy and say how to finish."""
        if self.destroyed or self.ws is None:
            self._forget()
            return
        with interrupts.deferred():  # an interrupt now is honoured once this destroy is done, not half-way
            self._destroy()

    def _destroy(self) -> None:
        assert self.ws is not None
        try:
            self.ws.tf.execute_command("destroy", "-input=false", "-no-color", "-auto-approve")
            left = self.state_addresses()
            if left:
                raise StratatestError(f"destroy of {self.module} left {left} in state")
        except (StratatestError, KeyboardInterrupt) as err:
            failed = f"destroy of {self.module} failed ({err or type(err).__name__})"
            if self.harness.target.outlives_run:
                notice(
                    f"{failed}; its state is kept in {self.ws.copy.root}. "
                    f"Finish with: stratatest cleanup {self.harness.run_id}"
                )
                self.ws = None  # the kept copy holds the only state: it stays for `stratatest cleanup`
                self._forget()
            else:
                notice(f"{failed}; {self._ended_with_the_run()}")
                self._discard()
            raise
        self.destroyed = True
        self._forget()
        self.ws.remove()
        runs.forget_if_empty(self.harness.run_id)
        if self.interrupted:
            notice(f"{self.module}: everything created before the interrupt was destroyed; nothing is left")

    def _ended_with_the_run(self) -> str:
        """What a failed destroy left on a target that ends with the run: its state's addresses.

        Nothing there outlives the run, so nothing is left to finish and the state is not kept (a kept copy would
        only pile up, and `stratatest cleanup` could not reach the target again).
        """
        try:
            left = ", ".join(self.state_addresses()) or "nothing"
        except StratatestError as err:
            left = f"unknown (the state could not be read: {err})"
        target = self.harness.target.name
        return (
            f"left in its state: {left}. The {target} target ends with this run and everything in it, so nothing "
            "real is left and its state is not kept"
        )

    def _discard(self) -> None:
        """Drop a working copy whose state nothing needs: no resources, or only ones that end with the run."""
        self._forget()
        if self.ws is not None:
            self.ws.remove()
            self.ws = None
        runs.forget_if_empty(self.harness.run_id)

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


def install_guards() -> None:
    """Nothing live survives interpreter exit (signals are `stratatest.interrupts`'s)."""
    atexit.register(destroy_live, "exiting")
