"""The Jenkinsfile, parsed and evaluated by the real Groovy (Debian's 2.4) with a recording DSL
(record_jenkinsfile.groovy), checked against .ci/policy.yaml. No Jenkins server exists here: this is parsed and
checked against the policy, not linted by Jenkins.

Each stage's `when` is evaluated for one build of every kind of pipeline, with the documented meaning of Jenkins'
conditions in a multibranch Pipeline (`branch`: the glob against BRANCH_NAME, which is PR-N on a pull request;
`tag`: against TAG_NAME; `changeRequest()`: a pull request; `triggeredBy 'TimerTrigger'`: the cron): the stages that
run must be exactly the policy's jobs of that kind, in the policy's order.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from .tools import ROOT, groovy, jobs_of, policy

RECORDER = Path(__file__).with_name("record_jenkinsfile.groovy")
NOT_CONFIGURED = 78


@dataclass(frozen=True)
class Build:
    """What a multibranch Pipeline knows about one build."""

    branch_name: str
    change_request: bool = False
    tag: str | None = None
    timer: bool = False


def _glob(pattern: str, text: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", "[^/]*"), text) is not None


def holds(condition: dict, build: Build) -> bool:
    name, args, children = condition["name"], condition["args"], condition["children"]
    if name == "anyOf":
        return any(holds(child, build) for child in children)
    if name == "allOf":
        return all(holds(child, build) for child in children)
    if name == "not":
        (child,) = children
        return not holds(child, build)
    if name == "branch":
        return _glob(args[0], build.branch_name)
    if name == "changeRequest":
        return build.change_request
    if name == "tag":
        return build.tag is not None and _glob(args[0], build.tag)
    if name == "buildingTag":
        return build.tag is not None
    if name == "triggeredBy":
        return args == ["TimerTrigger"] and build.timer
    raise AssertionError(f"a `when` condition this check does not model: {name}")


def builds(pipeline: dict) -> list[Build]:
    """A build of each kind the policy's pipeline recognises (each branch or tag pattern, `*` filled in)."""
    if pipeline["change_request"]:
        return [Build("PR-7", change_request=True)]
    if pipeline["schedule"]:
        return [Build(pipeline["schedule"]["branch"], timer=True)]
    if pipeline["tags"]:
        return [Build(t.replace("*", "1.2.3"), tag=t.replace("*", "1.2.3")) for t in pipeline["tags"]]
    return [Build(b.replace("*", "some-change")) for b in pipeline["branches"]]


def record(sh_status: int = 0, **env: str) -> dict:
    """The Jenkinsfile as Groovy evaluated it: the tree of calls it made, every `sh` answering `sh_status`."""
    argv = [str(groovy()), str(RECORDER), str(ROOT / "Jenkinsfile"), str(sh_status)]
    done = subprocess.run([*argv, *(f"{k}={v}" for k, v in env.items())], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"Groovy could not evaluate the Jenkinsfile:\n{done.stderr}"
    return json.loads(done.stdout.splitlines()[-1])


def only(node: dict, name: str) -> dict:
    found = [child for child in node["children"] if child["name"] == name]
    assert len(found) == 1, f"{node['name']} has {len(found)} `{name}`"
    return found[0]


def calls(node: dict, name: str) -> list[dict]:
    """Every call named `name` anywhere under `node`."""
    return [n for child in node["children"] for n in ([child] if child["name"] == name else []) + calls(child, name)]


@pytest.fixture(scope="module")
def data() -> dict:
    return policy()


@pytest.fixture(scope="module")
def nightly_branch(data: dict) -> str:
    (schedule,) = [p["schedule"] for p in data["pipelines"].values() if p["schedule"]]
    return schedule["branch"]


@pytest.fixture(scope="module")
def stages(nightly_branch: str) -> list[dict]:
    return only(only(record(BRANCH_NAME=nightly_branch), "pipeline"), "stages")["children"]


def test_one_stage_per_job_in_the_policys_order(data: dict, stages: list[dict]) -> None:
    assert [stage["args"][0] for stage in stages] == [job["name"] for job in data["jobs"]]


def test_each_stage_runs_its_job_through_the_entry_point(data: dict, stages: list[dict]) -> None:
    for job, stage in zip(data["jobs"], stages, strict=True):
        steps = only(stage, "steps")
        if job["manual"]:
            assert [c["name"] for c in steps["children"]] == ["input"], f"{job['name']} is a manual approval"
        else:
            assert [c["args"][0]["script"] for c in calls(steps, "sh")] == [f"scripts/pipeline run {job['name']}"]


@pytest.mark.parametrize(
    "kind", ["merge-request", "feature", "develop", "main", "nightly", "release"], ids=lambda kind: kind
)
def test_the_stages_that_run_are_the_policys(data: dict, stages: list[dict], kind: str) -> None:
    expected = [job["name"] for job in jobs_of(data, kind)]
    for build in builds(data["pipelines"][kind]):
        ran = [s["args"][0] for s in stages if all(holds(c, build) for c in only(s, "when")["children"])]
        assert ran == expected, f"a {kind} build ({build}) runs {ran}, the policy says {expected}"


def test_the_nightly_cron_is_set_on_its_branch_only(data: dict, nightly_branch: str) -> None:
    (schedule,) = [p["schedule"] for p in data["pipelines"].values() if p["schedule"]]
    for branch, cron in ((nightly_branch, schedule["cron"]), ("main", "")):
        triggers = only(only(record(BRANCH_NAME=branch), "pipeline"), "triggers")
        assert [c["args"] for c in triggers["children"]] == [[cron]], branch


@pytest.mark.parametrize("code", [1, NOT_CONFIGURED])
def test_a_failing_job_fails_the_build_unless_the_policy_allows_it(data: dict, code: int) -> None:
    """With every `sh` exiting `code`: unstable (a warning) only where GitLab allows the failure too."""
    stages = only(only(record(code, BRANCH_NAME="main"), "pipeline"), "stages")["children"]
    for job, stage in zip(data["jobs"], stages, strict=True):
        if job["manual"]:
            continue
        allowed = job["allow_failure"] or (code == NOT_CONFIGURED and bool(job["requires"]))
        outcome = [c["name"] for c in calls(only(stage, "steps"), "unstable") + calls(only(stage, "steps"), "error")]
        assert outcome == (["unstable"] if allowed else ["error"]), f"{job['name']} exiting {code}: {outcome}"
