"""The GitLab pipeline, run by gitlab-ci-local in a scratch clone: for a feature branch, develop and main the jobs are
exactly the policy's (and for a merge request, the nightly schedule and a tag, whose GitLab variables stand in for
what a git checkout cannot say); on develop and main the hotfix check and the GitOps deploy run for real.
The feature branch's static and plan jobs run for real in test_gitlab_feature_branch.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from .gitlab import gitlab, listed_jobs
from .gitrepo import commit_file, git
from .scratch import Scratch, make_scratch
from .tools import gitlab_ci_local, jobs_of, policy


@pytest.fixture
def scratch(tmp_path: Path) -> Scratch:
    gitlab_ci_local()  # skip (or fail on CI) before building anything
    return make_scratch(tmp_path)


@pytest.fixture(scope="module")
def listing(tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    """One clone for the listings, which only check branches out."""
    gitlab_ci_local()
    return make_scratch(tmp_path_factory.mktemp("listing"))


def expected(kind: str) -> list[tuple[str, str, str]]:
    return [(j["name"], j["stage"], "manual" if j["manual"] else "on_success") for j in jobs_of(policy(), kind)]


@pytest.mark.parametrize(
    ("kind", "checkout", "variables"),
    [
        ("feature", "feature/state-backend-note", {}),
        ("develop", "develop", {}),
        ("main", "main", {}),
        ("merge-request", None, {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_COMMIT_BRANCH": None}),
        ("nightly", "develop", {"CI_PIPELINE_SOURCE": "schedule"}),
        ("release", None, {"CI_COMMIT_TAG": "v9.9.9", "CI_COMMIT_BRANCH": None}),
    ],
    ids=["feature", "develop", "main", "merge-request", "nightly", "release"],
)
def test_the_jobs_are_the_policys(listing: Scratch, kind: str, checkout: str | None, variables: dict) -> None:
    if checkout:
        listing.checkout_new(checkout, f"origin/{checkout}" if checkout in ("develop", "main") else "origin/develop")
    else:
        git(listing.work, "checkout", "-q", "--detach", "origin/main")
    assert listed_jobs(listing, **variables) == expected(kind)


def test_develop_checks_the_hotfix_sync_and_deploys_staging(scratch: Scratch) -> None:
    scratch.checkout_new("develop", "origin/develop")
    tested = git(scratch.work, "rev-parse", "HEAD")
    done = gitlab(scratch, "branches-in-sync", "deploy-staging", GITOPS_REMOTE=str(scratch.origin))
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "PASS  branches-in-sync" in out and "PASS  deploy-staging" in out, out
    assert "in sync: origin/develop has every commit of origin/main" in out
    deployed = git(scratch.origin, "log", "-1", "--format=%s", "refs/heads/develop")
    assert deployed == f"deploy(staging): {tested[:12]} [skip ci]"


def test_deploy_without_a_push_url_is_a_warning(scratch: Scratch) -> None:
    scratch.checkout_new("develop", "origin/develop")
    done = gitlab(scratch, "deploy-staging")
    out = done.stdout + done.stderr
    assert done.returncode == 0, out  # allowed to fail with 78 only: a warning, not a pass
    assert "deploy-staging: not configured on this CI: GITOPS_REMOTE is not set" in out
    assert "WARN  deploy-staging" in out, out


def test_main_names_a_hotfix_develop_lacks(scratch: Scratch) -> None:
    scratch.checkout_new("main", "origin/main")
    fix = commit_file(scratch.work, "services/sample/HOTFIX.txt", "fixed\n", "fix: sample answers 500 on /readyz")
    git(scratch.work, "push", "-q", "origin", "main")
    done = gitlab(scratch, "branches-in-sync")
    out = done.stdout + done.stderr
    assert "origin/develop lacks 1 commit(s) of origin/main:" in out, out
    assert f"{fix[:12]} fix: sample answers 500 on /readyz" in out
    assert "merge origin/main into origin/develop" in out
    assert "WARN  branches-in-sync" in out, out  # a warning: it never holds a hotfix back from production

    scratch.checkout_new("develop", "origin/develop")
    git(scratch.work, "merge", "-q", "--no-ff", "-m", "Merge main into develop", "origin/main")
    git(scratch.work, "push", "-q", "origin", "develop")
    synced = gitlab(scratch, "branches-in-sync")
    assert "PASS  branches-in-sync" in synced.stdout + synced.stderr, synced.stdout + synced.stderr
