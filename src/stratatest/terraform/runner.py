"""Run terraform commands: tftest's command set, with what it lacks for unattended test runs.

Added over tftest.TerraformTest:
- terraform runs in its own process group, so a Ctrl-C aimed at the test run reaches it once, from us, as a
  graceful SIGINT: it finishes writing state, and the caller can then destroy what was created;
- retries with back-off on a documented list of transient errors (TRANSIENT_ERRORS);
- a state lock left behind by this runner's own earlier command (its release timed out under load) is
  force-unlocked and the command run again, so a retried apply and the destroy after it are not locked out;
- fail fast when the emulator answers an action with HTTP 500 (NotImplemented), instead of waiting out the
  provider's minutes of retries;
- errors as one readable line (command, folder, terraform's own `Error:` lines), secrets redacted.
- output into unlinked temporary files, not pipes, so terraform outlives a killed test run and records state.
"""

from __future__ import annotations

import getpass
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import tftest

from stratatest.errors import TerraformFailed, ToolMissing
from stratatest.secrets import redact
from stratatest.toolchain import AWS_PROVIDER, find_mirror

#: Errors worth a retry: throttling and connection trouble, never configuration or permission errors.
TRANSIENT_ERRORS: tuple[str, ...] = (
    r"RequestLimitExceeded",
    r"Throttling(Exception)?",
    r"TooManyRequestsException",
    r"ServiceUnavailable",
    r"connection reset by peer",
    r"TLS handshake timeout",
    r"i/o timeout",
    r"EOF\b.*(dial|read|write)",
    r"timeout awaiting response headers",
)
_TRANSIENT = re.compile("|".join(TRANSIENT_ERRORS))
_LOCK_HELD = re.compile(r"Error acquiring the state lock")
_LOCK_INFO = re.compile(r"^[\s│|]*(ID|Who|Created):\s+(\S.*?)\s*$", re.MULTILINE)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PROVIDER_MISSING = re.compile(
    r"Failed to query available provider packages|Failed to install provider|could not connect to registry"
)
#: The provider an init error block is about: "... versions for provider hashicorp/random: ...",
#: "Error while installing hashicorp/aws v5.100.0: ...".
_PROVIDER_NAMED = re.compile(r"(?:versions for provider|while installing|while importing) ([\w.-]+(?:/[\w.-]+){1,2})")
_NOT_IN_MIRROR = re.compile(r"not found in any of the search locations((?:\s+- \S+)+)")
_UNREACHABLE = re.compile(r"could not (?:connect to|query provider registry for) ([\w.-]+)")
_NO_MATCH = re.compile(r"no available releases match the given constraints (.+?)(?:\s+To see |$)")

#: How long terraform may take to stop after our SIGINT before it is killed.
STOP_GRACE_S = 120.0
#: Called while terraform runs; returns a reason to stop it early (e.g. the emulator answered 500) or None.
Watchdog = Callable[[], str | None]


@dataclass
class Result:
    retcode: int
    out: str
    err: str


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) arrived while terraform ran; terraform was stopped gracefully first."""

    def __init__(self, command: str, result: Result) -> None:
        super().__init__(command)
        self.command = command
        self.result = result


def error_lines(text: str, limit: int = 12) -> str:
    """Terraform's `Error:` blocks, trimmed to what a person needs to read."""
    lines = [line.strip(" │╷╵") for line in _ANSI.sub("", text).splitlines()]
    keep: list[str] = []
    capturing = False
    for line in lines:
        if line.startswith("Error:"):
            capturing = True
        if capturing and line.strip():
            keep.append(line.strip())
        if len(keep) >= limit:
            break
    return " | ".join(keep) if keep else (text.strip().splitlines() or ["(no output)"])[-1]


def _error_blocks(text: str) -> list[str]:
    """Each `Error:` block of terraform's output on one line (terraform wraps its text at 78 columns)."""
    blocks: list[list[str]] = []
    for line in _ANSI.sub("", text).splitlines():
        line = line.strip(" │╷╵")
        if line.startswith("Error:"):
            blocks.append([])
        if blocks and line:
            blocks[-1].append(line)
    return [" ".join(block) for block in blocks]


def _why_missing(provider: str, detail: str) -> tuple[str, tuple[str, ...]]:
    """Where terraform looked for `provider` and what it found there; the fixes that would do (`{them}`: the
    providers they concern)."""
    name = provider.removeprefix("registry.terraform.io/")
    hashicorp, aws = name.startswith("hashicorp/"), name == "hashicorp/aws"
    if found := _NOT_IN_MIRROR.search(detail):
        places = ", ".join(re.findall(r"- (\S+)", found.group(1)))
        return f"not in the filesystem mirror {places}", (
            f"add {{them}} to the mirror at {places} (`terraform providers mirror {places}` in the module, on a "
            "machine with registry access)",
            "run where the registry is reachable",
        )
    if found := _UNREACHABLE.search(detail):
        host = found.group(1)
        fixes = [f"run where {host} is reachable"]
        if aws:
            fixes.append(f"set STRATATEST_PROVIDER_MIRROR to a folder holding {AWS_PROVIDER}/<version>/<os_arch>/")
        elif hashicorp:
            fixes.append("put {them} in a filesystem mirror beside hashicorp/aws (STRATATEST_PROVIDER_MIRROR)")
        return f"{host} is unreachable", tuple(fixes)
    if found := _NO_MATCH.search(detail):
        mirror, aws_versions = find_mirror() if hashicorp else (None, ())
        where = f"the filesystem mirror {mirror}" if mirror else "the registry"
        holds = f" (it holds {', '.join(aws_versions)})" if mirror and aws else ""
        return f"no release in {where}{holds} matches {found.group(1)}", (
            "relax the module's version constraint for {them}",
            f"add a matching release to {where}",
        )
    reason = detail.split(f"{provider}:", 1)[-1].split(" To see ")[0].strip()
    return reason, ("run where the registry is reachable",)


def provider_missing(output: str, tfdir: str | Path) -> ToolMissing:
    """The one line for an init that could not get providers: each one terraform named, where it looked, the fix.

    Only what terraform's own errors name is blamed: a module that needs hashicorp/random is not an aws problem.
    """
    why: dict[str, tuple[str, tuple[str, ...]]] = {}
    for block in _error_blocks(output):
        if _PROVIDER_MISSING.search(block) and (named := _PROVIDER_NAMED.search(block)):
            why.setdefault(named.group(1), _why_missing(named.group(1), block))
    if not why:
        return ToolMissing(
            f"terraform init in {tfdir} could not install a provider: {redact(error_lines(output))}",
            hint="put it in a filesystem mirror (STRATATEST_PROVIDER_MIRROR), or run where the registry is reachable",
        )
    reasons: dict[str, list[str]] = {}
    fixes: dict[str, list[str]] = {}
    for provider, (reason, provider_fixes) in sorted(why.items()):
        reasons.setdefault(reason, []).append(provider)
        for fix in provider_fixes:
            fixes.setdefault(fix, []).append(provider)
    what = "; ".join(f"{', '.join(names)}: {reason}" for reason, names in reasons.items())
    hint = ", or ".join(fix.format(them=", ".join(names)) for fix, names in fixes.items())
    noun = "provider" if len(why) == 1 else "providers"
    return ToolMissing(f"terraform init in {tfdir} could not get {noun} {redact(what)}", hint=hint)


class Terraform(tftest.TerraformTest):
    """A terraform binary bound to one working copy and one environment."""

    def __init__(
        self,
        tfdir: Path,
        *,
        binary: str,
        env: dict[str, str],
        retries: int = 3,
        backoff: float = 2.0,
        watchdog: Watchdog | None = None,
        label: str | None = None,
    ) -> None:
        super().__init__(str(tfdir), binary=binary, env=env)
        #: What messages call this copy: the module it was made from, as the user names it (else the copy's path).
        self.where = label or str(tfdir)
        # tftest starts from os.environ; drop the user's AWS/TF settings so only the target's apply.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))} | env
        self.retries = retries
        self.backoff = backoff
        self.watchdog = watchdog
        self.first_started: datetime | None = None  # when this runner first ran terraform (lock ownership)

    def execute_command(self, cmd: str, *cmd_args: str) -> Result:  # type: ignore[override]
        """Run `terraform cmd args` with retries on transient errors; raise TerraformFailed otherwise."""
        attempt = 0
        while True:
            result = self.run_raw(cmd, *cmd_args)
            if result.retcode == 0 or (cmd == "plan" and result.retcode == 2):  # 2: -detailed-exitcode
                return result
            both = result.out + result.err
            if attempt < self.retries and (lock_id := self.own_stale_lock(both)):
                attempt += 1
                self.run_raw("force-unlock", "-force", lock_id)
                continue
            if attempt < self.retries and _TRANSIENT.search(both):
                attempt += 1
                time.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            if cmd == "init" and _PROVIDER_MISSING.search(both):
                raise provider_missing(both, self.where)
            said = error_lines(result.err or result.out)
            if not (result.err or result.out).strip():  # nothing to read: how it ended is all there is
                said = f"no output, {_exit_status(result.retcode)}"
            raise TerraformFailed(f"terraform {cmd} failed in {self.where}: {redact(said)}")

    def own_stale_lock(self, output: str) -> str | None:
        """The id of the state lock `output` says is held, when this runner's own earlier command took it.

        Ours means: taken by this user on this host since this runner first ran terraform. A runner belongs to
        one working copy and runs one command at a time, so such a lock is a leftover (terraform could not
        release it, e.g. its DynamoDB call timed out), never a live operation. Anyone else's lock is respected.
        """
        if self.first_started is None or not _LOCK_HELD.search(output):
            return None
        info = dict(_LOCK_INFO.findall(output))
        try:
            created = datetime.strptime(info["Created"][:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        except (KeyError, ValueError):
            return None
        mine = info.get("Who") == f"{getpass.getuser()}@{socket.gethostname()}"
        return info.get("ID") if mine and created >= self.first_started.replace(microsecond=0) else None

    def run_raw(self, cmd: str, *args: str) -> Result:
        """One attempt, no error handling: for commands whose exit code is the answer (fmt -check).

        Terraform writes into unlinked temporary files, not pipes: if this process dies (SIGKILL), a pipe would
        break and terraform would die of SIGPIPE at its next progress line, mid-apply, with resources created
        but never recorded. With files it finishes, writes its state, and `stratatest cleanup` can use it.
        """
        if self.first_started is None:
            self.first_started = datetime.now(UTC)
        argv = [self.binary, cmd, *args]
        with (
            tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as out,
            tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as err,
        ):
            try:
                proc = subprocess.Popen(
                    argv,
                    cwd=self.tfdir,
                    env=self.env,
                    stdout=out,
                    stderr=err,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            except FileNotFoundError as error:
                raise ToolMissing(f"terraform not found at {self.binary}", hint="put terraform on PATH") from error
            return self._supervise(proc, cmd, argv, (out, err))

    def _supervise(self, proc: subprocess.Popen[bytes], cmd: str, argv: list[str], files: _Outputs) -> Result:
        """Wait while polling the watchdog; turn Ctrl-C into a graceful stop of terraform."""
        stop_reason: str | None = None
        kill_at = float("inf")
        try:
            while proc.poll() is None:
                try:
                    proc.wait(timeout=0.5)
                except subprocess.TimeoutExpired:
                    if self.watchdog and stop_reason is None:
                        stop_reason = self.watchdog()
                        if stop_reason:
                            proc.send_signal(signal.SIGINT)  # graceful: terraform still writes its state
                            kill_at = time.monotonic() + STOP_GRACE_S
                    elif time.monotonic() > kill_at:
                        proc.kill()
        except KeyboardInterrupt:
            self._stop_gracefully(proc)
            raise Interrupted(" ".join(argv[:2]), _result(proc, files)) from None
        if stop_reason:
            raise TerraformFailed(f"terraform {cmd} stopped early in {self.where}: {stop_reason}")
        return _result(proc, files)

    @staticmethod
    def _stop_gracefully(proc: subprocess.Popen[bytes]) -> None:
        """One SIGINT: terraform stops starting new work, waits for in-flight calls, writes state."""
        proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                proc.wait(timeout=1)
            except (subprocess.TimeoutExpired, KeyboardInterrupt):
                continue  # further Ctrl-C must not abandon terraform mid-write
        if proc.poll() is None:
            proc.kill()
            proc.wait()


_Outputs = tuple[IO[str], IO[str]]


def _exit_status(code: int) -> str:
    """`exit status 1`, or the signal that ended the process (`killed by SIGINT`)."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _result(proc: subprocess.Popen[bytes], files: _Outputs) -> Result:
    texts = []
    for handle in files:
        handle.seek(0)
        texts.append(handle.read())
    return Result(proc.returncode, texts[0], texts[1])
