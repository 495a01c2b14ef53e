"""P4 and P5: the environments. P4 plans each one through the harness vs raw `plan -out` + `show -json`;
P5 applies the dev environment whole, checks idempotency and destroys it, through a Stack vs the raw CLI,
and then times the same raw apply with `-parallelism=1` to show what applying independent modules
concurrently gains (terraform's default walks the graph ten resources at a time).

The raw side works in a plain copy of terraform/ (the environment and the modules it calls, as written),
initialised outside the timing. Its one addition is what a user writes to plan or apply a root with a
remote backend locally: `backend_override.tf` with the local backend.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from common import (
    NOT_MODULE,
    RAW_VARS_FILE,
    REPO,
    Comparison,
    Timing,
    bench_root,
    interleave,
    moto,
    raw_cleanup,
    raw_env,
    raw_terraform,
    run_id,
    say,
    scratch_cache,
    shared_dir,
    timed,
    timed_stack,
)

from stratatest.terraform.harness import Harness
from stratatest.toolchain import Toolchain

TERRAFORM = REPO / "terraform"
ENVS = TERRAFORM / "envs"
#: What a user writes beside a root with an S3 backend to run it locally (terraform merges `*_override.tf`).
LOCAL_BACKEND = 'terraform {\n  backend "local" {}\n}\n'


def _raw_tree(name: str, dest: Path) -> Path:
    """A plain copy of terraform/ (the environment and its modules, as written) with the user's local-backend
    override in the environment; returns the environment's folder in it."""
    shutil.copytree(TERRAFORM, dest, ignore=NOT_MODULE)
    env_dir = dest / "envs" / name
    (env_dir / "backend_override.tf").write_text(LOCAL_BACKEND)
    return env_dir


def run_plans(chain: Toolchain, repeat: int) -> list[Comparison]:
    say("P4 plan per environment: Harness.plan vs raw plan -out + show -json")
    comparisons = []
    with bench_root("p4") as root, moto(root) as target, scratch_cache(root):
        env = raw_env(chain, target)
        for name in ("dev", "staging", "prod"):
            module = ENVS / name
            warm = Harness(chain, target, run_id("p4"), shared_dir(root, f"warm-{name}"))
            warm.workspace(module).remove()
            warm.close()
            copy = _raw_tree(name, root / f"raw-{name}")
            raw_terraform(chain, copy, env, "init", "-input=false", "-no-color")

            def harness_side(index: int, module: Path = module, name: str = name) -> Timing:
                harness = Harness(chain, target, run_id("p4"), shared_dir(root, f"{name}-{index}"))
                try:
                    return timed(lambda: harness.plan(module).raw)  # plans are shown when read
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
                    env = raw_env(chain, target)
                    copy = _raw_tree("dev", root / f"raw-{tag}-{index}")
                    (copy / RAW_VARS_FILE).write_text(json.dumps({"name": f"bench-{tag}{index}"}))
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
