"""gitlab-ci-local on a scratch clone: the GitLab pipeline listed and run for real, on the shell executor (no job names
an image), with the venv of this test run (the Makefile's VENV) so no job builds one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .scratch import Scratch
from .tools import gitlab_ci_local

#: GitLab's own variables these tests set to stand for a merge request, a schedule or a tag, which gitlab-ci-local
#: cannot tell from a git checkout (it reads the branch from `git rev-parse --abbrev-ref HEAD`).
PREDEFINED = ("CI_PIPELINE_SOURCE", "CI_COMMIT_BRANCH", "CI_COMMIT_TAG")
TIMEOUT_S = 600


def gitlab(scratch: Scratch, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """gitlab-ci-local in the scratch clone; `variables` as --variable NAME=VALUE, None to unset one."""
    argv = [
        str(gitlab_ci_local()),
        "--no-color",
        "--ignore-predefined-vars",
        ",".join(PREDEFINED),
    ]
    argv += ["--variable", f"VENV={sys.prefix}"]
    for name, value in variables.items():
        argv += ["--unset-variable", name] if value is None else ["--variable", f"{name}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}  # the jobs' pytest is not ours
    return subprocess.run([*argv, *args], cwd=scratch.work, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)


def listed_jobs(scratch: Scratch, **variables: str) -> list[tuple[str, str, str]]:
    """(name, stage, when) of each job the pipeline would run, in order: `when: never` ones left out."""
    done = gitlab(scratch, "--list-json", **variables)
    assert done.returncode == 0, done.stdout + done.stderr
    return [(job["name"], job["stage"], job["when"]) for job in json.loads(done.stdout) if job["when"] != "never"]
