"""The catalogue and the test tree agree: every control is assessed by a layered test, unless it says why not.

A control with no test would roll up to "not assessed" in every report, run after run, without anyone being
told; a `not_assessable` reason that a test has since made untrue would keep telling auditors the wrong thing.
The whole tree is collected once, in a subprocess (this file run as a script), without running any test, so the
check costs a collection (a few seconds) and cannot disturb the pytest session it runs in. This module carries
no layer marker: it tests the suite itself, not the platform.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stratatest.compliance.catalogue import Catalogue, Control, load_catalogue
from stratatest.compliance.collector import item_controls
from stratatest.layers import LAYERS, item_layer

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = ROOT / "controls" / "catalogue.yaml"
COLLECT_TIMEOUT = 300  # seconds; collection takes a few, the rest is headroom for a loaded machine


def coverage_gaps(catalogue: Catalogue, collected: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(controls needing a test, controls whose not_assessable is stale), from collected {layer, controls} rows.

    Only a test with a layer marker counts: `stratatest run` selects tests by layer, so an unlayered test
    tagged with a control never runs in a real assessment.
    """
    assessed = {control_id for row in collected if row["layer"] for control_id in row["controls"]}
    untested = [c.id for c in catalogue if not c.not_assessable and c.id not in assessed]
    stale = [c.id for c in catalogue if c.not_assessable and c.id in assessed]
    return untested, stale


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Every test in tests/ with its layer and control ids, as this file run as a script reports them."""
    out = tmp_path_factory.mktemp("coverage") / "collected.json"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "STRATATEST_CATALOGUE")}
    proc = subprocess.run(
        [sys.executable, __file__, str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COLLECT_TIMEOUT,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"collecting tests/ failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    rows: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
    return rows


def test_the_tree_collects_tests_with_layers_and_controls(collected: list[dict[str, Any]]) -> None:
    """Guards the other two tests: an empty or unlabelled collection would make both pass vacuously."""
    assert len(collected) > 100
    assert {row["layer"] for row in collected} >= {"static", "plan", "emulator"}
    assert any(row["controls"] for row in collected)
    assert any(row["nodeid"].endswith("test_every_assessable_control_has_a_layered_test") for row in collected)


def test_every_assessable_control_has_a_layered_test(collected: list[dict[str, Any]]) -> None:
    untested, _ = coverage_gaps(load_catalogue(CATALOGUE), collected)
    assert not untested, (
        f"no test at any layer assesses {', '.join(untested)}: add one marked with a layer ({', '.join(LAYERS)}) "
        f'and @pytest.mark.control("<id>"); if none can run on these machines, give the control '
        f"`not_assessable: <why>` in {CATALOGUE.relative_to(ROOT)}"
    )


def test_not_assessable_controls_have_no_layered_test(collected: list[dict[str, Any]]) -> None:
    _, stale = coverage_gaps(load_catalogue(CATALOGUE), collected)
    assert not stale, (
        f"{', '.join(stale)} say `not_assessable` but a layered test assesses them: delete the field from "
        f"{CATALOGUE.relative_to(ROOT)} so reports show the test's result instead of the stale reason"
    )


def test_gaps_count_only_layered_tests_and_flag_stale_reasons() -> None:
    catalogue = Catalogue(
        [
            Control("A-1", "t", "low", "r", "m", notes="n"),
            Control("A-2", "t", "low", "r", "m", notes="n"),
            Control("A-3", "t", "low", "r", "m", notes="n", not_assessable="needs a cluster"),
            Control("A-4", "t", "low", "r", "m", notes="n", not_assessable="needs a cluster"),
        ]
    )
    collected = [
        {"nodeid": "t.py::a", "layer": "plan", "controls": ["A-1", "A-3"]},
        {"nodeid": "t.py::b", "layer": None, "controls": ["A-2", "A-4"]},
    ]
    assert coverage_gaps(catalogue, collected) == (["A-2"], ["A-3"])


class _Recorder:
    """Plugin object for the subprocess: records each collected item's node id, layer and control ids."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.rows = [
            {"nodeid": item.nodeid, "layer": item_layer(item, "emulator"), "controls": item_controls(item)}
            for item in session.items
        ]


def _collect_tree(out: Path) -> int:
    """Collect tests/ in this one process and write the rows to `out` as JSON.

    `-n 0` rather than `-p no:xdist`: the project's addopts pass xdist's --dist, which pytest rejects without
    the plugin. `--assert=plain` skips assertion rewriting, most of the collection time, as nothing runs.
    """
    recorder = _Recorder()
    args = ["--collect-only", "-q", "-n", "0", "-p", "no:cacheprovider", "--assert=plain"]
    code = pytest.main([*args, f"--catalogue={CATALOGUE}", str(ROOT / "tests")], plugins=[recorder])
    out.write_text(json.dumps(recorder.rows), encoding="utf-8")
    return int(code)


if __name__ == "__main__":
    sys.exit(_collect_tree(Path(sys.argv[1])))
