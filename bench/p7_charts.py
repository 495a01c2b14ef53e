"""P7: the chart layer's renders (every deployment and environment, asked for by many tests) vs raw helm.

The chart tests ask for the same render dozens of times (one per control and environment); the layer promises
that costs one `helm template` per distinct input plus the YAML parse. The harness side clears the render cache,
then makes ASKS render calls per (deployment, environment) and one `helm lint --strict` each; the raw side runs
`helm template` and `helm lint --strict` once per (deployment, environment), output discarded.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from common import Comparison, Timing, interleave, say, timed

from stratatest.charts import Chart
from stratatest.charts import helm as helm_module
from stratatest.toolchain import Toolchain

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "unit" / "charts"))
from deployments import DEPLOYMENTS, ENVS  # noqa: E402  (the chart tests' own list of what is deployed)

ASKS = 20  # render calls per (deployment, environment): about what test_workload_controls + the others make


def _charts() -> list[tuple[Chart, str, str]]:
    return [
        (
            Chart(ROOT / "charts" / spec["chart"], values_files=[ROOT / v for v in spec["values"]], release=release),
            spec["namespace"],
            env,
        )
        for release, spec in DEPLOYMENTS.items()
        for env in ENVS
    ]


def _harness(_: int) -> Timing:
    helm_module._template.cache_clear()
    helm_module._parsed.cache_clear()

    def work() -> None:
        for chart, namespace, env in _charts():
            for _ in range(ASKS):
                assert chart.render(env=env, namespace=namespace).workloads
            assert chart.lint(env=env).ok

    return timed(work)


def _raw(_: int) -> Timing:
    helm = helm_module.helm_binary()

    def work() -> None:
        for chart, namespace, env in _charts():
            files = [arg for f in (*chart.values_files, chart.env_file(env)) for arg in ("-f", str(f))]
            for argv in (
                [helm, "template", chart.release, str(chart.path), "--namespace", namespace, *files],
                [helm, "lint", "--strict", str(chart.path), *files],
            ):
                subprocess.run(argv, check=True, capture_output=True)

    return timed(work)


def run(chain: Toolchain, repeat: int) -> list[Comparison]:
    del chain  # helm, not terraform
    renders = len(DEPLOYMENTS) * len(ENVS)
    say(f"P7 charts: {renders} renders asked {ASKS}x each + lint, via the chart layer vs raw helm template + lint once")
    samples = interleave([("chart layer", _harness), ("raw helm", _raw)], repeat)
    return [Comparison("P7", "chart renders + lint", samples["chart layer"], samples["raw helm"], 1.2)]
