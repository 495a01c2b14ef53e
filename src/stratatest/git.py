"""What the suite asks git: the files a change touched, a release's tree, the previous release, the commits one
branch lacks. Every failure is one line naming the git command and git's own words."""

from __future__ import annotations

import io
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from stratatest.errors import ConfigError, ToolMissing


def run_git(root: Path, *args: str) -> str:
    """`git -C root args...`'s stdout; ConfigError with git's first error line when it fails."""
    return _git(root, *args).decode()


def _git(root: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise ToolMissing("git is not installed", hint="install git (Debian: apt-get install git)") from None
    if done.returncode != 0:
        said = next((line for line in done.stderr.decode(errors="replace").splitlines() if line.strip()), "")
        raise ConfigError(f"git {' '.join(args)} in {root}: {said or f'exit {done.returncode}'}")
    return done.stdout


def toplevel(path: Path) -> Path:
    """The root of the git repository holding `path`."""
    return Path(run_git(path, "rev-parse", "--show-toplevel").strip())


def resolve(root: Path, ref: str) -> str:
    """The commit a ref names; one line naming the ref when it names none (a typo, or a shallow clone)."""
    try:
        return run_git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except ConfigError:
        if not _is_repository(root):
            raise ConfigError(f"{root} is not in a git repository", hint="run it in a clone (or git init)") from None
        raise ConfigError(
            f"{ref!r} names no commit in {root}",
            hint="check the spelling; in a shallow clone fetch it first (git fetch --tags --unshallow)",
        ) from None


def _is_repository(root: Path) -> bool:
    try:
        run_git(root, "rev-parse", "--git-dir")
    except ConfigError:
        return False
    return True


def changed_files(root: Path, ref: str) -> tuple[str, list[str]]:
    """The merge base of `ref` and HEAD, and the files (relative to the repository root) that differ between it and
    the working tree: committed, staged, unstaged and untracked changes alike, as a pull request or a laptop has
    them. A rename counts as its old path and its new one."""
    base = run_git(root, "merge-base", resolve(root, ref), "HEAD").strip()
    diff = _git(root, "diff", "--name-only", "--no-renames", "-z", base, "--")
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    names = {name.decode() for name in (diff + untracked).split(b"\0") if name}
    return base, sorted(names)


def export(root: Path, ref: str, dest: Path, paths: tuple[str, ...] = ()) -> Path:
    """Write the tree of `ref` (only `paths` under the root, when given) into `dest`, as it was committed;
    returns `dest`. Nothing of the working tree leaks in: this is the release as tagged."""
    commit = resolve(root, ref)
    archive = _git(root, "archive", "--format=tar", commit, "--", *paths)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def previous_release(root: Path) -> str:
    """The newest tag reachable from HEAD's parent: the release HEAD would upgrade from (on a pull request, the
    pipeline passes the merge base instead). One line when the history has no tag."""
    try:
        return run_git(root, "describe", "--tags", "--abbrev=0", "HEAD^").strip()
    except ConfigError:
        raise ConfigError(
            f"no release tag in the history of {root}",
            hint="tag a release (git tag -a v0.1.0), fetch the tags of a shallow clone, or name the ref",
        ) from None


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str

    def __str__(self) -> str:
        return f"{self.sha[:12]} {self.subject}"


def missing_commits(root: Path, source: str, dest: str) -> list[Commit]:
    """The commits of `source` that `dest` lacks: neither the commit nor a cherry-pick of it is in `dest`.
    Merge commits are left out (merging main into develop is one way to sync, cherry-picking the fix another)."""
    out = run_git(
        root,
        "log",
        "--no-merges",
        "--cherry-pick",
        "--right-only",
        "--format=%H%x00%s",
        f"{resolve(root, dest)}...{resolve(root, source)}",
    )
    return [Commit(*line.split("\0", 1)) for line in out.splitlines() if line]
