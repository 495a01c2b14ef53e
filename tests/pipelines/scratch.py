"""A scratch copy of this repository with a real history and a remote: what a CI runner clones.

`git clone` of this repository gives its history; the working tree is then committed on top (in CI it is clean, so
nothing is), so the pipeline runs the files under test. main and develop both start there, in a bare `origin` the
clone fetches from and pushes to.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .gitrepo import git

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Scratch:
    work: Path  # the clone jobs run in
    origin: Path  # its bare remote

    def checkout_new(self, branch: str, start: str = "origin/develop") -> None:
        git(self.work, "checkout", "-q", "-B", branch, start)


def _overlay_working_tree(work: Path) -> None:
    """Make the clone's files this repository's working tree (tracked and untracked, ignored ones left out)."""
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    present = {name for name in listed if name and (ROOT / name).is_file()}
    for name in set(git(work, "ls-files", "-z").split("\0")) - present - {""}:
        (work / name).unlink(missing_ok=True)
    for name in present:
        target = work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)


def make_scratch(tmp: Path) -> Scratch:
    work, origin = tmp / "work", tmp / "origin.git"
    git(tmp, "clone", "-q", str(ROOT), str(work))
    _overlay_working_tree(work)
    git(work, "add", "-A")
    if git(work, "status", "--porcelain"):
        git(work, "commit", "-q", "-m", "the working tree under test")
    git(work, "branch", "-M", "main")
    git(work, "branch", "-f", "develop", "main")
    git(tmp, "clone", "-q", "--bare", str(work), str(origin))
    git(work, "remote", "set-url", "origin", str(origin))
    git(work, "fetch", "-q", "origin")
    with (work / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write(".gitlab-ci-local/\n")  # gitlab-ci-local's state folder: no change of the repository's
    return Scratch(work, origin)
