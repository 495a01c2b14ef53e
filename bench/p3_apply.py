"""P3: apply + idempotency check + destroy through a Stack vs the same three raw CLI commands.

The harness side times the whole Stack life on a fresh Harness: workspace (init from the warm cache,
provider file), apply, the plan-after-apply check (`plan -detailed-exitcode`, plus `show -json` only on changes),
destroy (plus its `state list` check). The raw side runs apply, `plan -detailed-exitcode` expecting 0 and
destroy in a plain copy of the module, initialised outside the timing. Every sample uses its own bucket name.
"""

from __future__ import annotations

from common import (
    APPLY_VARS,
    MODULE,
    Comparison,
    Timing,
    bench_root,
    interleave,
    moto,
    raw_cleanup,
    raw_copy,
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


def variables(side: str, index: int) -> dict[str, object]:
    return {"bucket_name": f"bench-p3-{side}-{index}-{run_id('b')[-8:]}", **APPLY_VARS}


def run(chain: Toolchain, repeat: int) -> list[Comparison]:
    say("P3 apply: Stack apply + assert_idempotent + destroy vs raw apply / plan -detailed-exitcode / destroy")
    with bench_root("p3") as root, moto(root) as target, scratch_cache(root):
        env = raw_env(chain, target)
        # Untimed: one workspace fills the init cache, the state the harness runs in.
        warm = Harness(chain, target, run_id("p3"), shared_dir(root, "warm"))
        warm.workspace(MODULE, {"bucket_name": "bench-p3-warm", **APPLY_VARS}).remove()
        warm.close()

        def harness_side(index: int) -> Timing:
            harness = Harness(chain, target, run_id("p3"), shared_dir(root, f"shared-{index}"))
            return timed_stack(harness, MODULE, variables("h", index))

        def raw_side(index: int) -> Timing:
            copy = raw_copy(root / f"raw-{index}", variables("r", index))
            raw_terraform(chain, copy, env, "init", "-input=false", "-backend=false")
            applied = False

            def work() -> None:
                nonlocal applied
                applied = True  # from the first call on, something may exist
                raw_terraform(chain, copy, env, "apply", "-input=false", "-no-color", "-auto-approve")
                raw_terraform(chain, copy, env, "plan", "-input=false", "-no-color", "-detailed-exitcode")
                raw_terraform(chain, copy, env, "destroy", "-input=false", "-no-color", "-auto-approve")
                applied = False

            try:
                return timed(work)
            finally:
                raw_cleanup(chain, copy, env, applied, copy)

        samples = interleave([("harness", harness_side), ("raw", raw_side)], repeat)
    return [
        Comparison(
            "P3",
            "apply + idempotency + destroy via Stack vs raw apply/plan/destroy",
            samples["harness"],
            samples["raw"],
            1.1,
        )
    ]
