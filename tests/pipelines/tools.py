"""The tools the pipeline tests run, where scripts/install-system-tools puts them. Missing, a test skips saying how to
install it; on CI (`CI=true`) that is a failure instead, since `make test` installs them first."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "scripts" / "pipeline"
INSTALL = "scripts/install-system-tools (as root, with apt-get and npm)"


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must provide {what}: {INSTALL} installs it", pytrace=False)
    pytest.skip(f"{what} is not installed: {INSTALL} installs it")


def gitlab_ci_local() -> Path:
    """gitlab-ci-local in the suite's cache (install-system-tools' prefix), else on PATH."""
    cache = Path(os.environ.get("STRATATEST_CACHE_DIR") or Path.home() / ".cache" / "stratatest")
    local = cache / "tools" / "gitlab-ci-local" / "node_modules" / ".bin" / "gitlab-ci-local"
    found = local if local.exists() else shutil.which("gitlab-ci-local")
    if not found or not shutil.which("rsync"):  # it copies the tracked files with rsync before any job
        _missing("gitlab-ci-local (npm) with rsync")
    return Path(found)


def groovy() -> Path:
    found = shutil.which("groovy")
    if not found:
        _missing("groovy (Debian's, 2.4)")
    return Path(found)


def policy() -> dict:
    """The policy as scripts/pipeline reads it: stages, pipelines, variables and jobs in order."""
    done = subprocess.run([str(PIPELINE), "jobs", "--json"], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def jobs_of(data: dict, pipeline: str) -> list[dict]:
    return [job for job in data["jobs"] if pipeline in job["pipelines"]]
