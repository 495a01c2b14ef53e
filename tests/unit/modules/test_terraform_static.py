"""Static layer for every Terraform module and example: formatting and validation, no target needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratatest.terraform.harness import make_terraform, static_workspace

pytestmark = pytest.mark.static

ROOT = Path(__file__).resolve().parents[3] / "terraform"
MODULES = sorted(p.parent for p in ROOT.glob("*/*/versions.tf"))


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_every_module_is_found() -> None:
    platform = {"network", "eks", "rds", "ecr", "observability", "security-baseline", "kms-key", "platform"}
    expected = {f"modules/{m}" for m in platform} | {"modules/state-backend", "examples/backend-consumer"}
    assert {_id(m) for m in MODULES} >= expected | {"envs/dev", "envs/staging", "envs/prod"}


@pytest.mark.parametrize("module", MODULES, ids=_id)
def test_fmt(module: Path, toolchain) -> None:
    result = make_terraform(toolchain, module).run_raw("fmt", "-check", "-diff", "-recursive", "-no-color")
    assert result.retcode == 0, f"terraform fmt would change {module}:\n{result.out}\nFix with: terraform fmt {module}"


@pytest.mark.parametrize("module", MODULES, ids=_id)
def test_validate(module: Path, toolchain, tmp_path: Path) -> None:
    ws = static_workspace(toolchain, module, tmp_path / "copy")
    result = ws.tf.run_raw("validate", "-json", "-no-color")
    report = json.loads(result.out)
    problems = [f"{d['severity']}: {d['summary']} {d.get('detail', '')}".strip() for d in report["diagnostics"]]
    assert report["valid"], f"{module} is not valid:\n" + "\n".join(problems)
    assert not [p for p in problems if p.startswith("warning")], "\n".join(problems)
