"""A LocalStack of the session's own, installed and started through scripts/localstack, and always stopped.

CI machines start fresh, so the script installs LocalStack on first use (about a minute; later runs reuse the
venv). Without Python 3.13 the tests are skipped with the script's reason; on CI (`CI=true`) that is a
failure instead, since CI is expected to provide it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stratatest.localhost import free_port

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "localstack"
#: scripts/localstack's exit code when it finds no Python 3.13.
EXIT_NO_PYTHON = 3
#: An install (≈ 1 min) plus the script's own bounded wait for the health endpoint (90 s), with room to spare.
START_TIMEOUT_S = 600


def _script(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run scripts/localstack with the suite's interpreter (the script needs only the standard library)."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="session")
def localstack_script() -> Callable[..., subprocess.CompletedProcess[str]]:
    """`localstack_script("status", "--port", "4566")`: the script's exit code and output."""
    return _script


@pytest.fixture(scope="session")
def localstack_endpoint() -> Iterator[str]:
    """`http://127.0.0.1:PORT` of a LocalStack started for this session on a free port."""
    port = str(free_port())
    try:
        started = _script("start", "--port", port, timeout=START_TIMEOUT_S)
        if started.returncode == EXIT_NO_PYTHON:
            reason = started.stderr.strip()
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI must provide Python 3.13 for LocalStack: {reason}", pytrace=False)
            pytest.skip(reason)
        if started.returncode != 0:
            pytest.fail(f"scripts/localstack start failed:\n{started.stderr.strip()}", pytrace=False)
        yield f"http://127.0.0.1:{port}"
    finally:
        _script("stop", "--port", port)
