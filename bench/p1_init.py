"""P1: preparing eight isolated working copies through the harness vs one raw `terraform init`.

The harness promises that isolation (one folder per test) costs about one init per module content, not one
per copy. The harness side starts each sample with that module's init cache cleared, so it pays the cold
first init and then seeds seven copies from the cache; the raw side inits one fresh copy of the module.
"""

from __future__ import annotations

import shutil

from common import (
    APPLY_VARS,
    MODULE,
    Comparison,
    Timing,
    bench_root,
    interleave,
    moto,
    raw_copy,
    raw_env,
    raw_terraform,
    run_id,
    say,
    scratch_cache,
    shared_dir,
    timed,
)

from stratatest.terraform import workdir as wd
from stratatest.terraform.harness import Harness, Workspace
from stratatest.toolchain import Toolchain

COPIES = 8
VARIABLES = {"bucket_name": "bench-p1-bucket", **APPLY_VARS}


def run(chain: Toolchain, repeat: int) -> list[Comparison]:
    say(f"P1 init: {COPIES} harness working copies (cold init cache) vs 1 raw `terraform init -backend=false`")
    with bench_root("p1") as root, moto(root) as target, scratch_cache(root):
        harness = Harness(chain, target, run_id("p1"), shared_dir(root, "shared"))
        env = raw_env(chain, target)
        digest = wd.content_hash(MODULE)
        # Untimed: one workspace's init writes the lock file P1b's raw side commits.
        harness.workspace(MODULE, VARIABLES).remove()
        lock_text = (wd.init_cache_dir(digest) / wd.LOCK_FILE).read_text()

        def harness_side(index: int) -> Timing:
            shutil.rmtree(wd.init_cache_dir(digest), ignore_errors=True)
            copies: list[Workspace] = []
            timing = timed(lambda: copies.extend(harness.workspace(MODULE, VARIABLES) for _ in range(COPIES)))
            for ws in copies:
                ws.remove()
            return timing

        def raw_side(index: int, *, with_lock: bool) -> Timing:
            copy = raw_copy(root / f"raw-{'lock' if with_lock else 'plain'}-{index}")
            if with_lock:
                (copy / wd.LOCK_FILE).write_text(lock_text)
            try:
                return timed(lambda: raw_terraform(chain, copy, env, "init", "-input=false", "-backend=false"))
            finally:
                shutil.rmtree(copy, ignore_errors=True)

        try:
            samples = interleave(
                [
                    ("harness", harness_side),
                    ("raw init", lambda i: raw_side(i, with_lock=False)),
                    ("raw init + lock file", lambda i: raw_side(i, with_lock=True)),
                ],
                repeat,
            )
        finally:
            harness.close()
    return [
        Comparison(
            "P1",
            f"init: {COPIES} isolated working copies via harness vs 1 raw `terraform init`",
            samples["harness"],
            samples["raw init"],
            1.3,
        ),
        Comparison(
            "P1b",
            f"init: {COPIES} copies via harness vs 1 raw `terraform init` with the lock file",
            samples["harness"],
            samples["raw init + lock file"],
            None,
        ),
    ]
