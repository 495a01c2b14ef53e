"""Snapshot of every deployment's render per environment: a chart change shows up as a reviewed diff.

The snapshot is the whole rendered YAML (keys sorted). A mismatch prints the diff and the one command that
rewrites the snapshots; a missing snapshot fails the same way rather than being written silently.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable

import pytest

from stratatest.charts import Manifests

from .deployments import DEPLOYMENTS, ENVS, ROOT

pytestmark = pytest.mark.static

SNAPSHOTS = ROOT / "tests" / "unit" / "charts" / "snapshots"
UPDATE = "STRATATEST_UPDATE_SNAPSHOTS"
REGENERATE = f"{UPDATE}=1 pytest tests/unit/charts/test_snapshots.py -n 0"
MAX_DIFF_LINES = 80


@pytest.mark.parametrize(("release", "env"), [pytest.param(r, e, id=f"{r}-{e}") for r in DEPLOYMENTS for e in ENVS])
def test_render_matches_snapshot(rendered: Callable[[str, str], Manifests], release: str, env: str) -> None:
    actual = rendered(release, env).to_yaml()
    path = SNAPSHOTS / f"{release}-{env}.yaml"
    if os.environ.get(UPDATE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        return
    if not path.is_file():
        pytest.fail(
            f"no snapshot {path.relative_to(ROOT)}; review the render, then write it: {REGENERATE}", pytrace=False
        )
    expected = path.read_text()
    if actual != expected:
        diff = list(
            difflib.unified_diff(
                expected.splitlines(), actual.splitlines(), str(path.relative_to(ROOT)), "rendered", lineterm=""
            )
        )
        more = len(diff) - MAX_DIFF_LINES
        shown = "\n".join(diff[:MAX_DIFF_LINES]) + (f"\n… {more} more line(s)" if more > 0 else "")
        pytest.fail(
            f"{release} ({env}) render differs from its snapshot:\n{shown}\n\nif intended: {REGENERATE}", pytrace=False
        )
