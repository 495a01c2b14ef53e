"""`Harness.plan` plans at once and shows only when read: `show -json` starts the provider (≈ 2 s) only to print the
plan, so a test that reads no planned value must not pay for it, and a run shows each plan at most once.

Terraform runs for real, behind a script that logs each command's name: the log says what ran.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from stratatest.errors import TerraformFailed
from stratatest.terraform.harness import Harness
from stratatest.toolchain import Toolchain

pytestmark = pytest.mark.plan

#: A module that plans in a second: the aws provider configured (as every copy's is) and one built-in resource.
TINY = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

variable "label" {
  type = string
}

variable "allowed" {
  type    = bool
  default = true
}

resource "terraform_data" "seed" {
  input = "tiny-${var.label}"

  lifecycle {
    precondition {
      condition     = var.allowed
      error_message = "refused at plan time"
    }
  }
}

output "prefix" {
  value = "tiny-${var.label}"
}
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    module = tmp_path / "tiny"
    module.mkdir()
    (module / "main.tf").write_text(TINY)
    return module


@pytest.fixture
def logged(toolchain: Toolchain, tmp_path: Path) -> tuple[Toolchain, Path]:
    """The run's toolchain with terraform behind a script that appends each command's name to a log."""
    log = tmp_path / "terraform.log"
    script = tmp_path / "terraform"
    script.write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {toolchain.terraform.path} "$@"\n')
    script.chmod(0o755)
    return replace(toolchain, terraform=replace(toolchain.terraform, path=str(script))), log


def _ran(log: Path) -> list[str]:
    return [c for c in log.read_text().split() if c in ("plan", "show")] if log.exists() else []


def _copies(shared: Path) -> list[Path]:
    """The planned working copies waiting in the run's folder for a reader."""
    return [p for p in (shared / "plans").iterdir() if p.is_dir()]


def _evidence(shared: Path) -> list[str]:
    """The kinds of artefact the run's evidence log holds."""
    files = sorted((shared / "evidence").glob("*.jsonl"))
    return [json.loads(line)["kind"] for f in files for line in f.read_text().splitlines()]


def test_a_plan_nobody_reads_is_never_shown(target, logged: tuple[Toolchain, Path], tiny: Path, tmp_path: Path) -> None:
    toolchain, log = logged
    harness = Harness(toolchain, target, "deferred", tmp_path)
    try:
        plan = harness.plan(tiny, {"label": "unread"})
        assert _ran(log) == ["plan"]
        assert _evidence(tmp_path) == []  # a plan nobody judged is no evidence
        assert plan is harness.plan(tiny, {"label": "unread"})
    finally:
        harness.close()
    assert _ran(log) == ["plan"]


def test_the_first_reader_shows_it_once_for_the_run(
    target, logged: tuple[Toolchain, Path], tiny: Path, tmp_path: Path
) -> None:
    """Two harnesses on one shared folder are two pytest-xdist workers of one run: one plans, the first to read
    shows, in the copy the other planned; nobody plans or shows it again."""
    toolchain, log = logged
    planner, reader = (Harness(toolchain, target, "deferred", tmp_path) for _ in range(2))
    try:
        planned = planner.plan(tiny, {"label": "shared"})
        read = reader.plan(tiny, {"label": "shared"})
        assert _ran(log) == ["plan"]
        assert _evidence(tmp_path) == []
        assert read["terraform_data.seed"]["input"] == "tiny-shared"
        assert _ran(log) == ["plan", "show"]
        assert _evidence(tmp_path) == ["plan"]
        assert _copies(tmp_path) == []  # the planned copy went once shown
        assert planned.output("prefix") == "tiny-shared"
        assert planned.raw == read.raw
        assert _ran(log) == ["plan", "show"]
    finally:
        planner.close()
        reader.close()


def test_a_planned_copy_that_is_gone_is_planned_again(
    target, logged: tuple[Toolchain, Path], tiny: Path, tmp_path: Path
) -> None:
    """What a process killed between planning and showing leaves: the plan is still read, at the cost of a plan."""
    toolchain, log = logged
    harness = Harness(toolchain, target, "deferred", tmp_path)
    try:
        plan = harness.plan(tiny, {"label": "gone"})
        (copy,) = _copies(tmp_path)
        shutil.rmtree(copy)
        assert plan["terraform_data.seed"]["input"] == "tiny-gone"
        assert _ran(log) == ["plan", "plan", "show"]
        assert _copies(tmp_path) == []
    finally:
        harness.close()


def test_a_plan_that_fails_fails_at_once(target, toolchain: Toolchain, tiny: Path, tmp_path: Path) -> None:
    """Deferring `show` must not defer terraform's errors to whichever test first reads the plan."""
    harness = Harness(toolchain, target, "deferred", tmp_path)
    try:
        with pytest.raises(TerraformFailed, match="refused at plan time"):
            harness.plan(tiny, {"label": "refused", "allowed": False})
    finally:
        harness.close()
