"""The pipeline files are generated from .ci/policy.yaml and committed; scripts/pipeline runs what the policy says.

The first test is the one that fails when someone edits the policy (or a generated file) and does not render: it
prints the command that regenerates them. The others run the entry point itself in a copy of the repository's
pipeline files, with a policy edited the way a person would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .tools import ROOT

GENERATED = (".gitlab-ci.yml", "Jenkinsfile")
COPIED = ("scripts/pipeline", ".ci/policy.yaml", *GENERATED)


def pipeline(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = cwd / "scripts" / "pipeline"
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=120, env=env)


def ci_env(**values: str) -> dict[str, str]:
    """This environment without any CI's own variables (this machine may be a CI runner), plus `values`, with the
    venv of this run so no job bootstraps one."""
    drop = ("CI_", "CHANGE_", "GITOPS_", "STRATATEST_SANDBOX", "PYTEST_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return env | {"VENV": sys.prefix} | values


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The pipeline's files in a folder of their own (not a git repository: no remote to fetch from)."""
    for name in COPIED:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tmp_path / name)
    return tmp_path


def edit_policy(copy: Path, change) -> None:
    path = copy / ".ci" / "policy.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_committed_files_are_rendered_from_the_policy() -> None:
    done = pipeline("render", "--check")
    assert done.returncode == 0, (
        f"{done.stdout}{done.stderr}\nThe pipeline files differ from what .ci/policy.yaml renders. Regenerate them "
        "from the repository root and commit the result:\n\n    scripts/pipeline render\n"
    )


def test_a_policy_edit_without_render_fails_the_check(copy: Path) -> None:
    edit_policy(copy, lambda data: data["jobs"]["all-layers"]["pipelines"].append("main"))
    stale = pipeline("render", "--check", cwd=copy)
    assert stale.returncode == 1
    assert stale.stdout.strip() == (
        "out of date with .ci/policy.yaml: .gitlab-ci.yml, Jenkinsfile; regenerate them: scripts/pipeline render"
    )
    assert pipeline("render", cwd=copy).returncode == 0
    assert pipeline("render", "--check", cwd=copy).returncode == 0
    gitlab = yaml.safe_load((copy / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert {"if": '$CI_COMMIT_BRANCH == "main" && $CI_PIPELINE_SOURCE != "schedule"'} in gitlab["all-layers"]["rules"]


def test_a_hand_edit_of_a_generated_file_fails_the_check(copy: Path) -> None:
    jenkinsfile = copy / "Jenkinsfile"
    jenkinsfile.write_text(jenkinsfile.read_text(encoding="utf-8").replace("branch 'main'", "branch 'master'"))
    done = pipeline("render", "--check", cwd=copy)
    assert done.returncode == 1 and "Jenkinsfile" in done.stdout and ".gitlab-ci.yml" not in done.stdout


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda d: d["jobs"]["all-layers"].update(pipelines=["develop", "mian"]), "jobs.all-layers: no pipeline"),
        (lambda d: d["jobs"]["all-layers"].update(stage="tests"), "stage 'tests' is not in stages"),
        (lambda d: d["jobs"]["all-layers"].update(when="manual"), "jobs.all-layers: unknown key(s) ['when']"),
        (lambda d: d["jobs"]["all-layers"].update(run=["stratatest run --changed-since $BAES"]), "names $BAES"),
        (lambda d: d["jobs"]["approve-production"].update(run=["true"]), "either runs commands"),
    ],
    ids=["unknown-pipeline", "unknown-stage", "unknown-key", "undefined-variable", "manual-with-commands"],
)
def test_a_wrong_policy_is_one_line(copy: Path, change, said: str) -> None:
    edit_policy(copy, change)
    done = pipeline("jobs", cwd=copy)
    assert done.returncode == 3
    assert done.stderr.startswith("pipeline: .ci/policy.yaml: ") and said in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_jobs_lists_one_pipeline_in_order() -> None:
    done = pipeline("jobs", "--pipeline", "main")
    assert done.returncode == 0, done.stderr
    assert [line.split()[1] for line in done.stdout.splitlines()] == [
        "branches-in-sync",
        "plan-production",
        "approve-production",
        "apply-production",
        "canary-production",
    ]
    assert "approve-production  (manual)" in done.stdout


def test_a_job_whose_variable_is_unset_is_not_configured_here() -> None:
    """Exit 78, naming the variable: the sandbox run never starts where no sandbox is configured (this machine)."""
    done = pipeline("run", "sandbox-nightly", env=ci_env())
    assert done.returncode == 78
    assert done.stdout.startswith("sandbox-nightly: not configured on this CI: STRATATEST_SANDBOX_TARGET is not set")


def test_the_approval_job_says_who_approved() -> None:
    done = pipeline("run", "approve-production", env=ci_env(GITLAB_USER_LOGIN="alice"))
    assert (done.returncode, done.stdout) == (0, "approve-production: approved by alice\n")


@pytest.mark.parametrize(
    ("ci", "base"),
    [
        ({"CI_MERGE_REQUEST_DIFF_BASE_SHA": "0123abcd"}, "0123abcd"),  # a GitLab merge request
        ({"CHANGE_TARGET": "main"}, "origin/main"),  # a Jenkins pull request
        ({}, "origin/develop"),  # a feature branch
    ],
    ids=["gitlab-merge-request", "jenkins-pull-request", "feature-branch"],
)
def test_base_is_the_first_candidate_this_ci_sets(copy: Path, ci: dict[str, str], base: str) -> None:
    """The policy's own BASE candidates, resolved by `run`: a job added to the copy prints what it was given."""
    show = {"description": "prints its argument", "stage": "gate", "pipelines": ["feature"], "run": ["echo $BASE"]}
    edit_policy(copy, lambda data: data["jobs"].update({"show-base": show}))
    done = pipeline("run", "show-base", cwd=copy, env=ci_env(**ci))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [f"$ echo {base}", base]


def test_a_failing_command_fails_the_job_with_its_code(copy: Path) -> None:
    job = {"description": "fails", "stage": "gate", "pipelines": ["feature"], "run": ["false", "echo never"]}
    edit_policy(copy, lambda data: data["jobs"].update({"fails": job}))
    done = pipeline("run", "fails", cwd=copy, env=ci_env())
    assert done.returncode == 1
    assert done.stdout.splitlines() == ["$ false", "fails: `false` exited 1"]


def test_a_ci_variable_is_shown_by_its_name(copy: Path) -> None:
    """The runner prints each command before it runs it; a required CI variable (a push URL with a token) stays
    `$NAME` there, so the log never shows the credential the job was given."""
    job = {
        "description": "pushes",
        "stage": "deploy",
        "pipelines": ["develop"],
        "requires": {"PUSH_URL": "a URL with a token"},
        "run": ["true $PUSH_URL"],
    }
    edit_policy(copy, lambda data: data["jobs"].update({"pushes": job}))
    done = pipeline("run", "pushes", cwd=copy, env=ci_env(PUSH_URL="https://oauth2:s3cr3t@git.example.invalid/p.git"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "$ true $PUSH_URL\n"
