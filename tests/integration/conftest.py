"""Shared by the integration tests: moto servers started once per module."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from stratatest.targets.moto import MotoTarget


@pytest.fixture(scope="module")
def start_moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., MotoTarget]]:
    """`start_moto(corrections="all") -> MotoTarget`: a started moto server, stopped at module teardown."""
    started: list[MotoTarget] = []

    def start(corrections: str = "all") -> MotoTarget:
        target = MotoTarget(workdir=tmp_path_factory.mktemp(f"moto-{corrections}"), corrections=corrections)
        started.append(target)  # before start(): stop() is safe after a failed start
        target.start()
        return target

    yield start
    for target in reversed(started):
        target.stop()
