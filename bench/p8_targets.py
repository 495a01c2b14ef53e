"""P8: the same module on two emulators: moto (embedded) vs LocalStack (attached), side by side in one run.

Both sides are the harness doing one job: `Stack.apply()`, `.assert_idempotent()`, `.destroy()` of
terraform/modules/network with the variables tests/integration/modules/test_network.py uses (three AZs, one
NAT gateway with its EIP, flow logs to a KMS-encrypted log group), each on a fresh Harness. Only the target
differs, so the ratio (LocalStack / moto) is what choosing LocalStack costs or saves for this module.

LocalStack is this benchmark's own: `scripts/localstack start` on a free port (installed on first use, before
the timing), stopped at the end whatever happens.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from common import (
    REPO,
    BenchError,
    Comparison,
    Timing,
    bench_root,
    interleave,
    moto,
    run_id,
    say,
    scratch_cache,
    shared_dir,
    timed_stack,
)

from stratatest.localhost import free_port
from stratatest.targets import Target, make_target
from stratatest.terraform.harness import Harness
from stratatest.toolchain import Toolchain

MODULE = REPO / "terraform" / "modules" / "network"
SCRIPT = REPO / "scripts" / "localstack"
#: The install (about a minute on first use) plus the script's own bounded wait for LocalStack's health.
START_TIMEOUT_S = 600


def variables(side: str, index: int) -> dict[str, object]:
    """test_network.py's variables, with a name of its own per sample (the module's names derive from it)."""
    return {
        "name": f"p8-{side[:2]}-{index}-{uuid.uuid4().hex[:6]}",
        "azs": ["us-east-1a", "us-east-1b", "us-east-1c"],
        "cidr": "10.42.0.0/16",
        "nat_gateway_mode": "single",
        "cluster_name": "acme-eks",
        "kms_deletion_window_in_days": 7,
        "tags": {"owner": "platform"},
    }


def _script(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@contextmanager
def localstack(root: Path) -> Iterator[Target]:
    """A LocalStack of the benchmark's own on a free port, attached to as the suite does, stopped at the end.

    Started before `scratch_cache`: the script keeps its venv in the real cache dir, so it is installed once.
    """
    port = str(free_port())
    try:
        started = _script("start", "--port", port, timeout=START_TIMEOUT_S)
        if started.returncode != 0:
            raise BenchError(f"scripts/localstack start exited {started.returncode}: {started.stderr.strip()}")
        say(f"    {started.stdout.strip()}")
        target = make_target(f"localstack:endpoint=http://127.0.0.1:{port}", workdir=root / "localstack")
        target.start()
        yield target
    finally:
        _script("stop", "--port", port)


def run(chain: Toolchain, repeat: int) -> list[Comparison]:
    say("P8 targets: the network module's Stack apply + assert_idempotent + destroy on moto vs LocalStack")
    with bench_root("p8") as root, localstack(root) as local, moto(root) as embedded, scratch_cache(root):
        # Untimed: one workspace fills the init cache; both targets share it.
        warm = Harness(chain, embedded, run_id("p8"), shared_dir(root, "warm"))
        warm.workspace(MODULE, variables("warm", 0)).remove()
        warm.close()

        def side(name: str, target: Target) -> Callable[[int], Timing]:
            def sample(index: int) -> Timing:
                harness = Harness(chain, target, run_id(f"p8-{name}"), shared_dir(root, f"{name}-{index}"))
                return timed_stack(harness, MODULE, variables(name, index))

            return sample

        ls_facts, moto_facts = local.describe(), embedded.describe()
        say(f"    LocalStack {ls_facts['edition']} {ls_facts['localstack_version']}; moto {moto_facts['moto_version']}")
        samples = interleave([("moto", side("moto", embedded)), ("localstack", side("localstack", local))], repeat)
    return [
        Comparison(
            "P8",
            "network module apply + idempotency + destroy, LocalStack vs moto",
            samples["localstack"],
            samples["moto"],
            None,
            sides=("localstack", "moto"),
        )
    ]
