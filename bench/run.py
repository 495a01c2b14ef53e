"""Run the harness-vs-raw benchmarks and print one table of median ratios.

Usage: python bench/run.py [--only P1,P2,P3,P4,P5,P6,P7,P8,P9] [--repeat N]

Ratios, not seconds, are the result: both sides run interleaved in one process on the same machine, so the
noise of a shared 2-core box mostly cancels. Nothing here asserts on time; the targets are printed to read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import p1_init
import p2_plan
import p3_apply
import p4_env
import p6_xdist
import p7_charts
import p8_targets
import p9_gate
from common import Comparison, resolved_toolchain, say, setup_line

from stratatest.toolchain import Toolchain

#: Benchmark → (runner, samples per side by default). P3, P5, P6, P8 and P9 take minutes per side: one sample
#: unless asked.
BENCHMARKS: dict[str, tuple[Callable[[Toolchain, int], list[Comparison]], int]] = {
    "P1": (p1_init.run, 5),
    "P2": (p2_plan.run, 3),
    "P3": (p3_apply.run, 1),
    "P4": (p4_env.run_plans, 1),
    "P5": (p4_env.run_apply, 1),
    "P6": (p6_xdist.run, 1),
    "P7": (p7_charts.run, 5),
    "P8": (p8_targets.run, 1),
    "P9": (p9_gate.run, 1),
}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="harness vs raw terraform, ratios of medians")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated subset, e.g. P1,P2")
    parser.add_argument("--repeat", type=int, help="samples per side (default: P1 5, P2 3, the others 1)")
    args = parser.parse_args(argv)
    args.only = [name.strip().upper() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in args.only if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    chain = resolved_toolchain()
    say(setup_line(chain))
    results: list[Comparison] = []
    for name in args.only:
        runner, default_repeat = BENCHMARKS[name]
        results += runner(chain, args.repeat or default_repeat)
    say("")
    say(setup_line(chain))
    for comparison in results:
        for line in comparison.lines():
            say(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
