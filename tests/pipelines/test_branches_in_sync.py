"""`stratatest branches-in-sync`, the pipelines' hotfix check, on a scratch repository with real branches: a hotfix
merged into main and develop, one merged into main only (named, exit 1), and one cherry-picked onto develop."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .gitrepo import commit_file, git, git_env

STRATATEST = [sys.executable, "-m", "stratatest.cli"]


def branches_in_sync(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*STRATATEST, "branches-in-sync", *args], cwd=repo, env=git_env(), capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main with a release, develop ahead of it with a feature (develop's own commits never matter)."""
    git(tmp_path, "init", "-q", "-b", "main")
    commit_file(tmp_path, "app.txt", "v1\n", "release 1.0")
    git(tmp_path, "branch", "develop")
    git(tmp_path, "checkout", "-q", "develop")
    commit_file(tmp_path, "feature.txt", "new\n", "feature: something new")
    git(tmp_path, "checkout", "-q", "main")
    return tmp_path


def hotfix(repo: Path, name: str = "hotfix/login") -> str:
    """A hotfix branch from main, merged into main with a merge commit, as a merge request would; its fix's sha."""
    git(repo, "checkout", "-q", "-b", name, "main")
    sha = commit_file(repo, "app.txt", "v1 fixed\n", "fix: login loop")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", f"Merge {name} into main", name)
    return sha


def test_hotfix_merged_into_both_is_in_sync(repo: Path) -> None:
    branch = "hotfix/login"
    hotfix(repo, branch)
    git(repo, "checkout", "-q", "develop")
    git(repo, "merge", "-q", "--no-ff", "-m", f"Merge {branch} into develop", branch)
    done = branches_in_sync(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "in sync: develop has every commit of main" in done.stdout


def test_hotfix_merged_into_main_only_is_named(repo: Path) -> None:
    fix = hotfix(repo)
    done = branches_in_sync(repo, "--from", "main", "--into", "develop")
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "develop lacks 1 commit(s) of main:"
    assert lines[1] == f"  {fix[:12]} fix: login loop"  # the fix itself; main's merge commit is no commit to sync
    assert lines[-1].startswith("merge main into develop")


def test_cherry_picked_hotfix_is_in_sync(repo: Path) -> None:
    fix = hotfix(repo)
    git(repo, "checkout", "-q", "develop")
    git(repo, "cherry-pick", fix)  # a new sha on develop with the same change: git's --cherry-pick sees it as present
    assert git(repo, "rev-parse", "HEAD") != fix
    done = branches_in_sync(repo)
    assert done.returncode == 0, done.stdout + done.stderr


def test_unknown_branch_is_one_line(repo: Path) -> None:
    done = branches_in_sync(repo, "--into", "devlop")
    assert done.returncode == 3
    assert done.stderr.startswith("stratatest: 'devlop' names no commit") and "Traceback" not in done.stderr
