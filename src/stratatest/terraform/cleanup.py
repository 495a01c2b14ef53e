"""`stratatest cleanup RUN_ID`: finish a run that could not, from the state it kept.

A run keeps each applied stack's working copy (state included) in its run folder until destroy succeeds
(`stratatest.runs`). After a SIGKILL, a crash or a failed destroy, this reaches the same target again (a real
account goes through its guard again), destroys each kept stack and forgets the run. A terraform the killed
run left behind may still be applying: destroy waits for its state lock instead of racing it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from stratatest import runs
from stratatest.errors import ConfigError, StratatestError
from stratatest.localhost import pid_alive
from stratatest.secrets import redact
from stratatest.targets import make_target
from stratatest.terraform.harness import make_terraform
from stratatest.terraform.provider import terraform_env
from stratatest.toolchain import toolchain

#: How long destroy waits for a state lock an orphaned terraform of the killed run still holds.
LOCK_TIMEOUT = "300s"


def finish_run(run_id: str) -> tuple[list[str], bool]:
    """Destroy every stack run `run_id` kept; returns the lines to print and whether all are gone."""
    manifest = runs.read_manifest(run_id)
    kept = runs.kept_stacks(run_id)
    if not kept:
        runs.forget_if_empty(run_id)
        return [f"run {run_id}: nothing kept; forgotten"], True
    running = sorted({pid for s in kept if isinstance(pid := s.facts.get("pid"), int) and pid_alive(pid)})
    if running:
        raise ConfigError(
            f"run {run_id} is still running (pid {', '.join(map(str, running))}): its stacks are live, not left",
            hint="let it finish (it destroys what it applied), or stop it with Ctrl-C, then clean up what remains",
        )
    lines = [f"run {run_id}: {len(kept)} kept stack(s) on {manifest.get('target')}"]
    with tempfile.TemporaryDirectory(prefix="stratatest-cleanup-") as tmp:
        target = make_target(
            manifest["target"], workdir=Path(tmp), region=manifest.get("region", "us-east-1"), run_id=run_id
        )
        if not target.outlives_run:
            for stack in kept:
                shutil.rmtree(stack.folder, ignore_errors=True)
            runs.forget_if_empty(run_id)
            lines.append(f"{target.name}: the run's target ended with the run, and what it created with it; forgotten")
            return lines, True
        target.preflight()
        with target:
            tools, ok = toolchain(), True
            for stack in kept:
                name = stack.folder.name
                tf = make_terraform(tools, stack.workdir, terraform_env(target))
                try:
                    tf.execute_command(
                        "destroy", "-input=false", "-no-color", "-auto-approve", f"-lock-timeout={LOCK_TIMEOUT}"
                    )
                except StratatestError as err:
                    ok = False
                    lines.append(f"FAILED     {name}: {redact(str(err))} (kept in {stack.folder})")
                    continue
                shutil.rmtree(stack.folder, ignore_errors=True)
                lines.append(f"destroyed  {name} ({stack.facts.get('module', '?')})")
    if runs.forget_if_empty(run_id):
        lines.append(f"run {run_id}: every kept stack destroyed; forgotten")
    return lines, ok
