"""Every bad input in tests/e2e/bad_inputs.yaml, run for real: one line, the documented exit code, no traceback,
and the signed reports of an earlier run exactly as they were.

The scratch repository (tests/, terraform/, a tiny module, a chart-free layout) is built once, run once through
`stratatest run` so it holds signed reports, and copied for each row, which then writes its own files into the
copy. The table in docs/bad-inputs.md is rendered from the same YAML.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROWS: list[dict[str, Any]] = yaml.safe_load((Path(__file__).with_name("bad_inputs.yaml")).read_text(encoding="utf-8"))
CATALOGUE = ROOT / "controls" / "catalogue.yaml"

QUICK_TEST = """
import pytest


@pytest.mark.static
@pytest.mark.control("STRATA-S3-001")
def test_quick():
    pass
"""

TINY_MODULE = """
variable "versioned" {
  type    = bool
  default = true
}

output "versioned" {
  value = var.versioned
}
"""


def _env(extra: dict[str, str]) -> dict[str, str]:
    return os.environ | {"STRATATEST_CATALOGUE": str(CATALOGUE)} | extra


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("base")
    (root / "terraform" / "modules" / "tiny").mkdir(parents=True)
    (root / "terraform" / "modules" / "tiny" / "main.tf").write_text(TINY_MODULE)
    shutil.copytree(ROOT / "charts" / "microservice", root / "charts" / "microservice")
    (root / "tests").mkdir()
    (root / "tests" / "test_quick.py").write_text(textwrap.dedent(QUICK_TEST))
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    first = subprocess.run(
        [sys.executable, "-m", "stratatest.cli", "run", "--workers", "1"],
        cwd=root,
        env=_env({}),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert first.returncode == 0, first.stdout + first.stderr
    return root


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _snapshot(reports: Path) -> dict[str, str]:
    return {
        str(p.relative_to(reports)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in reports.rglob("*")
        if p.is_file()
    }


def _write(project: Path, files: dict[str, Any]) -> None:
    for name, content in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            path.mkdir(exist_ok=True)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content))


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_bad_input(row: dict[str, Any], base: Path, tmp_path: Path, busy_port: int) -> None:
    project = tmp_path / "project"
    shutil.copytree(base, project)
    _write(project, row.get("files", {}))
    fill = {"busy_port": str(busy_port), "project": str(project)}
    argv = [arg.format(**fill) for arg in row["argv"]]
    command = (
        [sys.executable, "-m", "pytest"] if row.get("via") == "pytest" else [sys.executable, "-m", "stratatest.cli"]
    )
    before = _snapshot(project / "reports")
    env = _env({k: v.format(**fill) for k, v in row.get("env", {}).items()})
    proc = subprocess.run([*command, *argv], cwd=project, env=env, capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output and "INTERNALERROR" not in output, output
    assert proc.returncode == row["exit"], output
    assert row["sees"].format(**fill) in output, output
    assert _snapshot(project / "reports") == before, f"reports/ changed:\n{output}"
    verify = subprocess.run(
        [sys.executable, "-m", "stratatest.cli", "verify"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_enough_bad_inputs_across_every_area() -> None:
    areas = {row["area"] for row in ROWS}
    assert len(ROWS) >= 40 and len({row["id"] for row in ROWS}) == len(ROWS)
    assert {"cli", "ini/env", "catalogue", "waivers", "inventory", "variables", "values", "results", "keys"} <= areas


def test_the_docs_table_is_current() -> None:
    script = ROOT / "scripts" / "bad-inputs-table"
    namespace: dict[str, Any] = {"__name__": "bad_inputs_table", "__file__": str(script)}
    exec(compile(script.read_text(), str(script), "exec"), namespace)
    expected = namespace["render"](ROWS)
    actual = (ROOT / "docs" / "bad-inputs.md").read_text(encoding="utf-8")
    assert actual == expected, (
        "docs/bad-inputs.md is out of date: regenerate it with `.venv/bin/python scripts/bad-inputs-table`"
    )
