"""scripts/gitops-promote, the deploy-staging job: in a scratch clone with a remote, staging's revision is pinned in
every ApplicationSet that deploys to it, nothing else changes (comments included), and the commit is pushed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from .gitrepo import git, git_env
from .scratch import Scratch, make_scratch

APPLICATION_SETS = Path("platform/gitops/applicationsets")


def promote(scratch: Scratch, *args: str) -> subprocess.CompletedProcess[str]:
    script = scratch.work / "scripts" / "gitops-promote"
    return subprocess.run([str(script), *args], env=git_env(), capture_output=True, text=True, timeout=60)


def revisions(work: Path, path: Path) -> dict[str, str]:
    document = yaml.safe_load((work / path).read_text(encoding="utf-8"))
    elements = [e for g in document["spec"]["generators"] for e in (g.get("list") or {}).get("elements", [])]
    return {element["env"]: element["revision"] for element in elements}


def test_staging_is_pinned_committed_and_pushed(tmp_path: Path) -> None:
    scratch = make_scratch(tmp_path)
    tested = git(scratch.work, "rev-parse", "HEAD")
    before = {
        p: revisions(scratch.work, APPLICATION_SETS / p.name) for p in (scratch.work / APPLICATION_SETS).glob("*")
    }
    done = promote(scratch, "staging", "--push", str(scratch.origin), "--branch", "develop")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"staging: pinned to {tested}" in done.stdout and "pushed to develop" in done.stdout

    deployed = git(scratch.work, "rev-parse", "HEAD")
    assert git(scratch.work, "log", "-1", "--format=%s") == f"deploy(staging): {tested[:12]} [skip ci]"
    assert git(scratch.origin, "rev-parse", "refs/heads/develop") == deployed
    assert git(scratch.origin, "rev-parse", "refs/heads/main") == tested  # only develop moved
    for path, old in before.items():
        assert revisions(scratch.work, APPLICATION_SETS / path.name) == old | {"staging": tested}, path.name
    # A text edit of one line per file: every other line, comments included, is as it was.
    diff = git(scratch.work, "diff", "-U0", "HEAD~1", "HEAD", "--", str(APPLICATION_SETS))
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert sorted(changed) == sorted(["-            revision: main", f"+            revision: {tested}"] * len(before))

    again = promote(scratch, "staging", "--revision", tested)
    assert again.returncode == 0 and again.stdout == f"staging: already at {tested}\n"
    assert git(scratch.work, "rev-parse", "HEAD") == deployed


def test_without_a_push_url_the_commit_stays_local(tmp_path: Path) -> None:
    scratch = make_scratch(tmp_path)
    develop = git(scratch.origin, "rev-parse", "refs/heads/develop")
    done = promote(scratch, "staging")
    assert done.returncode == 0, done.stderr
    assert "not pushed (no --push URL)" in done.stdout
    assert git(scratch.origin, "rev-parse", "refs/heads/develop") == develop


def test_a_file_it_cannot_edit_leaves_every_file_as_it_was(tmp_path: Path) -> None:
    scratch = make_scratch(tmp_path)
    sample = scratch.work / APPLICATION_SETS / "sample.yaml"
    text = sample.read_text(encoding="utf-8")
    # staging's element without a revision line: the one line the edit may change is not there
    broken = text.replace("            server: https://staging.eks.example.invalid\n            revision: main\n", "")
    broken = broken.replace(
        "          - env: staging\n",
        "          - env: staging\n            server: https://staging.eks.example.invalid\n",
    )
    assert broken != text
    sample.write_text(broken, encoding="utf-8")
    git(scratch.work, "commit", "-q", "-am", "sample: staging without a revision")
    head = git(scratch.work, "rev-parse", "HEAD")
    done = promote(scratch, "staging")
    assert done.returncode == 1
    assert done.stderr == (
        f"gitops-promote: {APPLICATION_SETS}/sample.yaml: the element `- env: staging` has no `revision:` line\n"
    )
    assert git(scratch.work, "rev-parse", "HEAD") == head
    assert git(scratch.work, "status", "--porcelain") == ""  # the other ApplicationSets were not written either


def test_an_environment_nothing_deploys_to_is_refused(tmp_path: Path) -> None:
    scratch = make_scratch(tmp_path)
    done = promote(scratch, "stagng")
    assert done.returncode == 1
    assert done.stderr == f"gitops-promote: no ApplicationSet in {APPLICATION_SETS} deploys to 'stagng'\n"
