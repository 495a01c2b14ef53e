"""A feature branch that changes one small module, run by gitlab-ci-local: its static and plan job runs for real
(`stratatest run --layer static --layer plan --changed-since origin/develop`, fetched from the scratch remote) and
passes, selecting only what the change reaches. A module of its own, so pytest-xdist runs it beside the others."""

from __future__ import annotations

import json
from pathlib import Path

from .gitlab import gitlab, listed_jobs
from .gitrepo import git
from .scratch import make_scratch
from .tools import gitlab_ci_local

CHANGED = "terraform/modules/state-backend/main.tf"


def test_static_and_plan_jobs_pass_on_a_feature_branch(tmp_path: Path) -> None:
    gitlab_ci_local()
    scratch = make_scratch(tmp_path)
    scratch.checkout_new("feature/state-backend-note")
    module = scratch.work / CHANGED
    module.write_text(module.read_text(encoding="utf-8") + "\n# A note the feature branch adds.\n", encoding="utf-8")
    git(scratch.work, "commit", "-q", "-am", "state-backend: a note")
    assert [name for name, _, _ in listed_jobs(scratch)] == ["static-plan-affected", "emulator-affected"]

    done = gitlab(scratch, "static-plan-affected")
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "$ stratatest run --layer static --layer plan --changed-since origin/develop" in out
    assert "PASS  static-plan-affected" in out, out

    record = json.loads((scratch.work / "reports" / "results.json").read_text(encoding="utf-8"))
    assert record["selection"]["changed_since"] == "origin/develop"
    assert record["selection"]["changed"] == [CHANGED]  # the branch's one change, nothing of the scratch's own
    assert record["summary"]["verdict"] == "passed" and record["summary"]["tests"] > 0, record["summary"]
    assert {test["layer"] for test in record["results"]} <= {"static", "plan"}
