"""Fixtures shared by the repository's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

CATALOGUE = Path(__file__).resolve().parents[1] / "controls" / "catalogue.yaml"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A scratch pytest project that loads the stratatest plugin with this repository's controls catalogue."""
    pytester.makeini(f"[pytest]\naddopts = -p no:cacheprovider --catalogue={CATALOGUE}\n")
    return pytester
