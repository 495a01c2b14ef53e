"""Fixtures shared by the repository's own tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CATALOGUE = Path(__file__).resolve().parents[1] / "controls" / "catalogue.yaml"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A scratch pytest project that loads the stratatest plugin with this repository's controls catalogue."""
    pytester.makeini(f"[pytest]\naddopts = -p no:cacheprovider --catalogue={CATALOGUE}\n")
    return pytester


@pytest.fixture(scope="session", autouse=True)
def _no_reuse_in_inner_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The stratatest runs these tests start (pytester, subprocesses) run every test they select: a pass reused
    from another test's inner run of the same file would hide what a test means to run. Set once the outer run has
    made its own choice (session fixtures run after collection); a test about the cache sets its own environment."""
    saved = {name: os.environ.get(name) for name in ("STRATATEST_REUSE", "STRATATEST_RESULTS_CACHE")}
    os.environ["STRATATEST_REUSE"] = "off"
    os.environ["STRATATEST_RESULTS_CACHE"] = str(tmp_path_factory.mktemp("results-cache"))
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
