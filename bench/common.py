"""Shared pieces of the benchmarks: the module, timing, raw terraform calls, scratch state, the table.

Every benchmark compares the harness with the raw CLI doing the same job in the same run, so machine noise
hits both sides alike; only the ratio of medians is reported, never an absolute threshold.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stratatest.targets.moto import MotoTarget
from stratatest.terraform.harness import Harness
from stratatest.terraform.runner import Terraform
from stratatest.terraform.stack import Stack
from stratatest.toolchain import Toolchain, toolchain

REPO = Path(__file__).resolve().parents[1]
MODULE = REPO / "terraform" / "modules" / "state-backend"
#: Settings that let an applied copy be destroyed at once (the defaults protect real state buckets).
APPLY_VARS: dict[str, Any] = {
    "force_destroy": True,
    "deletion_protection_enabled": False,
    "kms_deletion_window_in_days": 7,
}
#: What the raw side's working copy must not inherit from the module folder.
NOT_MODULE = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "*.tfplan", "inventory")
#: The raw side's variables: the file plain terraform loads by itself, as a user would write it.
RAW_VARS_FILE = "terraform.tfvars.json"


class BenchError(RuntimeError):
    """A side failed to do its job; a timing of a failed run would mean nothing."""


def say(message: str) -> None:
    """Progress as it happens: a P3 round takes minutes, silence would look like a hang."""
    print(message, flush=True)


@dataclass
class Timing:
    """Seconds of one side's measured work, and how much of it each terraform subcommand took."""

    seconds: float = 0.0
    commands: dict[str, list[float]] = field(default_factory=dict)

    def breakdown(self) -> str:
        """E.g. `plan 8.9, show 1.5, other 0.4`: other is Python (copies, cache seeding, assertions)."""
        parts = [
            f"{name} {len(times)}x {sum(times):.1f}" if len(times) > 1 else f"{name} {times[0]:.1f}"
            for name, times in self.commands.items()
        ]
        other = self.seconds - sum(sum(times) for times in self.commands.values())
        return ", ".join([*parts, f"other {other:.1f}"])


@dataclass(frozen=True)
class Comparison:
    """One printed result: median harness time against median raw time, the target for the ratio, and where
    each side's time went (per command, in its median sample)."""

    key: str
    label: str
    harness: list[Timing]
    raw: list[Timing]
    target: float | None  # None: an informational baseline, no target
    sides: tuple[str, str] = ("harness", "raw")  # what the two sides are called in the printed lines

    @property
    def ratio(self) -> float:
        return _median(self.harness) / _median(self.raw)

    def lines(self) -> list[str]:
        verdict = "informational" if self.target is None else f"target <= {self.target:g}"
        if self.target is not None:
            verdict += ", met" if self.ratio <= self.target else ", MISSED"
        first, second = self.sides
        width = max(len(first), len(second))
        return [
            f"{self.key} {self.label}   {first} {_median(self.harness):.2f} s  {second} {_median(self.raw):.2f} s  "
            f"ratio {self.ratio:.3f}  ({verdict})",
            *(
                f"      {name:<{width}}  {_median_sample(timings).breakdown()}"
                for name, timings in ((first, self.harness), (second, self.raw))
            ),
        ]


def _median(timings: list[Timing]) -> float:
    return statistics.median(t.seconds for t in timings)


def _median_sample(timings: list[Timing]) -> Timing:
    """The sample at the (lower) median: its breakdown adds up to a time that was measured."""
    middle = statistics.median_low(t.seconds for t in timings)
    return next(t for t in timings if t.seconds == middle)


#: The Timing collecting terraform calls right now; set only inside timed(), so setup never counts.
_current: Timing | None = None


def _clock(cmd: str, args: Sequence[str], seconds: float) -> None:
    if _current is not None:
        name = f"{cmd} {args[0]}" if cmd == "providers" and args else cmd
        _current.commands.setdefault(name, []).append(seconds)


def _clocked_run_raw(self: Terraform, cmd: str, *args: str) -> Any:
    start = time.perf_counter()
    try:
        return _run_raw(self, cmd, *args)
    finally:
        _clock(cmd, args, time.perf_counter() - start)


# Every harness terraform call goes through Terraform.run_raw; wrapping it costs one clock read per call.
_run_raw = Terraform.run_raw
Terraform.run_raw = _clocked_run_raw  # type: ignore[method-assign]


def timed(action: Callable[[], object]) -> Timing:
    """Run the measured work, recording its terraform calls (harness and raw alike) for the breakdown."""
    global _current
    timing = _current = Timing()
    start = time.perf_counter()
    try:
        action()
    finally:
        timing.seconds = time.perf_counter() - start
        _current = None
    return timing


def timed_stack(harness: Harness, module: Path, variables: dict[str, Any]) -> Timing:
    """The harness side of P3 and P5: apply, assert idempotent, destroy, timed; cleaned up whatever happens."""
    stack = Stack(harness, module, variables)

    def work() -> None:
        stack.apply()
        stack.assert_idempotent()
        stack.destroy()

    try:
        return timed(work)
    finally:
        stack.destroy()  # no-op after a clean destroy; cleans up after a failure
        harness.close()


def interleave(sides: Sequence[tuple[str, Callable[[int], Timing]]], repeat: int) -> dict[str, list[Timing]]:
    """Run the sides A B A B …, so drift in machine load spreads over both; each side times itself.

    A side does its own untimed setup and cleanup and returns only the Timing of the measured work.
    """
    samples: dict[str, list[Timing]] = {name: [] for name, _ in sides}
    for index in range(repeat):
        for name, side in sides:
            timing = side(index)
            samples[name].append(timing)
            load = os.getloadavg()[0]  # other work on the box shows here, not hidden in the medians
            say(
                f"    round {index + 1}/{repeat}  {name:<26} {timing.seconds:7.2f} s  "
                f"[{timing.breakdown()}]  load {load:.1f}"
            )
    return samples


def resolved_toolchain() -> Toolchain:
    """Resolve terraform, the CLI config and the plugin cache before any scratch cache is set.

    toolchain() is cached per process, so a later STRATATEST_CACHE_DIR change moves only the init cache,
    never the plugin cache: providers stay warm for both sides.
    """
    return toolchain()


def raw_env(chain: Toolchain, target: MotoTarget) -> dict[str, str]:
    """What a user exports to point plain terraform at the emulator, and the machine's CLI config.

    `target.env()` is the emulator's variables (AWS_ENDPOINT_URL, AWS_CA_BUNDLE, dummy keys, AWS_REGION), which the
    aws provider reads with no provider block at all; `chain.env()` is the CLI config and plugin cache both sides
    share. Inherited AWS_*/TF_* variables are dropped, as the harness's runner drops them.
    """
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    return inherited | chain.env() | target.env()


def raw_terraform(chain: Toolchain, cwd: Path, env: dict[str, str], *args: str, expect: tuple[int, ...] = (0,)) -> None:
    """One plain terraform call, output captured like the harness captures it, nothing else around it."""
    start = time.perf_counter()
    proc = subprocess.run(
        [chain.terraform.path or "terraform", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    _clock(args[0], args[1:], time.perf_counter() - start)
    if proc.returncode not in expect:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-8:]
        raise BenchError(f"raw `terraform {' '.join(args)}` exited {proc.returncode} in {cwd}: {tail}")


def raw_cleanup(chain: Toolchain, cwd: Path, env: dict[str, str], applied: bool, folder: Path) -> None:
    """Destroy whatever a failed raw sample left in moto (run in `cwd`), then remove its `folder`."""
    try:
        if applied:
            raw_terraform(chain, cwd, env, "destroy", "-input=false", "-no-color", "-auto-approve")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def raw_copy(dest: Path, variables: dict[str, Any] | None = None) -> Path:
    """The module folder as its author wrote it (no generated files), plus the user's own tfvars for `variables`."""
    shutil.copytree(MODULE, dest, ignore=NOT_MODULE)
    if variables is not None:
        (dest / RAW_VARS_FILE).write_text(json.dumps(variables, indent=2))
    return dest


def run_id(tag: str) -> str:
    return f"bench-{tag}-{uuid.uuid4().hex[:8]}"


@contextmanager
def bench_root(tag: str) -> Iterator[Path]:
    """One temp folder per benchmark holding everything it creates; removed whatever happens."""
    root = Path(tempfile.mkdtemp(prefix=f"stratatest-bench-{tag}-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def scratch_cache(root: Path) -> Iterator[Path]:
    """A fresh STRATATEST_CACHE_DIR (the init cache), restored afterwards."""
    resolved_toolchain()
    previous = os.environ.get("STRATATEST_CACHE_DIR")
    path = root / "cache"
    path.mkdir()
    os.environ["STRATATEST_CACHE_DIR"] = str(path)
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop("STRATATEST_CACHE_DIR", None)
        else:
            os.environ["STRATATEST_CACHE_DIR"] = previous


@contextmanager
def moto(root: Path) -> Iterator[MotoTarget]:
    """A moto server of the benchmark's own, stopped at the end."""
    target = MotoTarget(workdir=root / "moto")
    target.start()
    try:
        yield target
    finally:
        target.stop()


def shared_dir(root: Path, name: str) -> Path:
    """A fresh Harness shared folder: its plans/ cache must never serve an earlier sample's plan."""
    path = root / name
    path.mkdir()
    return path


def setup_line(chain: Toolchain) -> str:
    return (
        f"terraform {chain.terraform.version} ({chain.terraform.path}); "
        f"providers from {chain.provider_source}\n"
        f"both sides use toolchain().env(): TF_CLI_CONFIG_FILE={chain.cli_config} "
        f"(plugin cache {chain.plugin_cache}, warm); {os.cpu_count()} CPUs\n"
        "raw side (P1-P5): plain terraform on the module as written, its variables in terraform.tfvars.json, "
        "pointed at the same moto by AWS_ENDPOINT_URL, AWS_CA_BUNDLE, AWS_REGION and dummy keys in its environment"
    )
