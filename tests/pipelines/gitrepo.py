"""Scratch git repositories for the pipeline tests: real commits, branches and merges, by the real git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

#: Who commits in a scratch repository, whatever the machine's git configuration says (or lacks).
IDENTITY = {
    "GIT_AUTHOR_NAME": "Pipeline Test",
    "GIT_AUTHOR_EMAIL": "pipeline-test@example.invalid",
    "GIT_COMMITTER_NAME": "Pipeline Test",
    "GIT_COMMITTER_EMAIL": "pipeline-test@example.invalid",
}


def git_env() -> dict[str, str]:
    """This environment with the scratch identity, and no GIT_DIR/GIT_WORK_TREE an outer git hook may have set."""
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
    return env | IDENTITY


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], env=git_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"git {' '.join(args)} in {repo}: {done.stderr}"
    return done.stdout.strip()


def commit_file(repo: Path, path: str, text: str, message: str) -> str:
    """Write one file, commit it; the new commit's sha."""
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(text, encoding="utf-8")
    git(repo, "add", path)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")
