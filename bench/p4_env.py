"""P4 and P5: the environments. P4 plans each one through the harness vs raw `plan -out` + `show -json`;
P5 applies the dev environment whole, checks idempotency and destroys it, through a Stack vs the raw CLI,
and then times the same raw apply with `-parallelism=1` to show what applying independent modules
concurrently gains (terraform's default walks the graph ten resources at a time).

The raw side works in a copy of a harness workspace's whole tree (the environment and the modules it calls,
with the same provider override, tfvars and local-backend override), initialised outside the timing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from common import (
    NOT_MODULE,
    REPO,
    Comparison,
    Timing,
    bench_root,
    interleave,
    moto,
    raw_cleanup,
    raw_terraform,
    run_id,
    say,
    scratch_cache,
    shared_dir,
    terraform_env,
    timed,
    timed_stack,
)

from stratatest.terraform.harness import Harness, Workspace
from stratatest.toolchain import Toolchain

ENVS = REPO / "terraform" / "envs"


def _raw_tree(ws: Workspace, dest: Path) -> Path:
    """A copy of the workspace's tree without `.terraform`/state; returns where the environment sits in it."""
    shutil.copytree(ws.copy.root, dest, ignore=NOT_MODULE)
    return dest / ws.path.relative_to(ws.copy.root)


def run_plans(chain: Toolchain, repeat: int) -> list[Comparison]:
    say("P4 plan per environment: Harness.plan vs raw plan -out + show -json")
    comparisons = []
    with bench_root("p4") as root, moto(root) as target, scratch_cache(root):
        env = terraform_env(chain, target)
        for name in ("dev", "staging", "prod"):
            module = ENVS / name
            warm = Harness(chain, target, run_id("p4"), shared_dir(root, f"warm-{name}"))
            ws = warm.workspace(module)
            copy = _raw_tree(ws, root / f"raw-{name}")
            ws.remove()
            warm.close()
            raw_terraform(chain, copy, env, "init", "-input=false", "-no-color")

            def harness_side(index: int, module: Path = module, name: str = name) -> Timing:
                harness = Harness(chain, target, run_id("p4"), shared_dir(root, f"{name}-{index}"))
                try:
                    return timed(lambda: harness.plan(module))
                finally:
                    harness.close()

            def raw_side(index: int, copy: Path = copy) -> Timing:
                def work() -> None:
                    raw_terraform(chain, copy, env, "plan", "-input=false", "-no-color", "-out=raw.tfplan")
                    raw_terraform(chain, copy, env, "show", "-json", "-no-color", "raw.tfplan")

                return timed(work)

            samples = interleave([(f"harness {name}", harness_side), (f"raw {name}", raw_side)], repeat)
            comparisons.append(
                Comparison(
                    "P4",
                    f"plan {name:<7} Harness.plan vs raw plan -out + show -json",
                    samples[f"harness {name}"],
                    samples[f"raw {name}"],
                    1.1,
                )
            )
    return comparisons


def run_apply(chain: Toolchain, repeat: int) -> list[Comparison]:
    say("P5 dev environment: Stack apply + idempotency + destroy vs raw; raw apply -parallelism=1 vs default")
    module = ENVS / "dev"
    with bench_root("p5") as root, scratch_cache(root):
        # Every sample gets its own moto server: account-wide singletons (GuardDuty detector, password policy,
        # EBS default key) and moto's multi-region trail bookkeeping must not carry over between samples.
        with moto(root / "warm-moto") as target:
            warm = Harness(chain, target, run_id("p5"), shared_dir(root, "warm"))
            warm.workspace(module, {"name": "bench-warm"}).remove()
            warm.close()

        def harness_side(index: int) -> Timing:
            with moto(root / f"moto-h{index}") as target:
                harness = Harness(chain, target, run_id("p5"), shared_dir(root, f"shared-{index}"))
                return timed_stack(harness, module, {"name": f"bench-h{index}"})

        def raw(parallelism: str | None, tag: str):
            def side(index: int) -> Timing:
                with moto(root / f"moto-{tag}{index}") as target:
                    env = terraform_env(chain, target)
                    prep = Harness(chain, target, run_id("p5"), shared_dir(root, f"prep-{tag}-{index}"))
                    ws = prep.workspace(module, {"name": f"bench-{tag}{index}"})
                    copy = _raw_tree(ws, root / f"raw-{tag}-{index}")
                    ws.remove()
                    prep.close()
                    raw_terraform(chain, copy, env, "init", "-input=false", "-no-color")
                    extra = (f"-parallelism={parallelism}",) if parallelism else ()
                    applied = False

                    def work() -> None:
                        nonlocal applied
                        applied = True
                        raw_terraform(chain, copy, env, "apply", "-input=false", "-no-color", "-auto-approve", *extra)
                        raw_terraform(chain, copy, env, "plan", "-input=false", "-no-color", "-detailed-exitcode")
                        raw_terraform(chain, copy, env, "destroy", "-input=false", "-no-color", "-auto-approve")
                        applied = False

                    try:
                        return timed(work)
                    finally:
                        raw_cleanup(chain, copy, env, applied, root / f"raw-{tag}-{index}")

            return side

        samples = interleave(
            [("harness", harness_side), ("raw", raw(None, "r")), ("raw -parallelism=1", raw("1", "s"))], repeat
        )
    return [
        Comparison(
            "P5",
            "dev env apply + idempotency + destroy via Stack vs raw",
            samples["harness"],
            samples["raw"],
            1.1,
        ),
        Comparison(
            "P5b",
            "dev env raw, default parallelism (10) vs -parallelism=1 (serial)",
            samples["raw"],
            samples["raw -parallelism=1"],
            None,
        ),
    ]
