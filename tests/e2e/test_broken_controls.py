"""Break a control in a copy of the platform and the suite fails with that control's id.

Each case edits one module in a scratch copy of the repository (terraform/, controls/, the module's plan
tests), runs the plan tests that assess that control as a user would (`--control ID`), and reads the results
record: the control must be `failed`, with the failing tests named. (A test may assess two controls at once,
e.g. the state bucket's encryption is STRATA-S3-001 and STRATA-TFSTATE-001; both then fail, rightly.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Breakage:
    control: str
    file: str  # under terraform/
    edits: tuple[tuple[str, str], ...]  # (exact text, replacement); each must occur in the file
    tests: str  # the plan tests that must catch it


CASES = [
    Breakage(
        "STRATA-S3-001",
        "modules/state-backend/s3.tf",
        (
            (
                'sse_algorithm     = "aws:kms"\n      kms_master_key_id = aws_kms_key.state.arn',
                'sse_algorithm = "AES256"',
            ),
        ),
        "tests/unit/modules/test_state_backend_plan.py",
    ),
    Breakage(
        "STRATA-IAM-001",
        "modules/network/flow_logs.tf",
        (
            ('      "logs:CreateLogStream",\n      "logs:PutLogEvents",\n      "logs:DescribeLogStreams",\n', '"*"'),
            (
                "resources = [\n      aws_cloudwatch_log_group.flow_logs.arn,\n"
                '      "${aws_cloudwatch_log_group.flow_logs.arn}:*",\n    ]',
                'resources = ["*"]',
            ),
        ),
        "tests/unit/modules/test_network_plan.py",
    ),
    Breakage(
        "STRATA-EKS-002",
        "modules/eks/cluster.tf",
        (
            ("endpoint_public_access  = var.endpoint_public_access", "endpoint_public_access  = true"),
            (
                "public_access_cidrs = var.endpoint_public_access ? var.public_access_cidrs : null",
                'public_access_cidrs = ["0.0.0.0/0"]',
            ),
        ),
        "tests/unit/modules/test_eks_plan.py",
    ),
    Breakage(
        "STRATA-EC2-001",
        "modules/eks/node_groups.tf",
        (('http_tokens                 = "required"', 'http_tokens                 = "optional"'),),
        "tests/unit/modules/test_eks_plan.py",
    ),
    Breakage(
        "STRATA-RDS-003",
        "modules/rds/rds.tf",
        (("publicly_accessible    = false", "publicly_accessible    = true"),),
        "tests/unit/modules/test_rds_plan.py",
    ),
]


def _scratch_repo(dest: Path, tests: str) -> None:
    """The parts a plan-test run reads: terraform, the catalogue, pytest settings and the one test file."""
    shutil.copytree(ROOT / "terraform", dest / "terraform", ignore=shutil.ignore_patterns(".terraform*"))
    shutil.copytree(ROOT / "controls", dest / "controls")
    for name in ("pyproject.toml", "conftest.py"):
        shutil.copy2(ROOT / name, dest / name)
    (dest / tests).parent.mkdir(parents=True)
    shutil.copy2(ROOT / tests, dest / tests)


def _break(path: Path, edits: tuple[tuple[str, str], ...]) -> None:
    text = path.read_text()
    for old, new in edits:
        assert text.count(old) == 1, f"{path} no longer contains exactly one {old!r}: update this case"
        text = text.replace(old, new)
    path.write_text(text)


@pytest.mark.parametrize("case", CASES, ids=[c.control for c in CASES])
def test_breaking_a_control_fails_the_suite_with_its_id(case: Breakage, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _scratch_repo(repo, case.tests)
    _break(repo / "terraform" / case.file, case.edits)
    results = tmp_path / "results.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            case.tests,
            "-q",
            "-n",
            "0",
            f"--control={case.control}",
            f"--results={results}",
        ],
        cwd=repo,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 1, output
    record = json.loads(results.read_text())
    status = {c["id"]: c["status"] for c in record["controls"]}
    assert status[case.control] == "failed", output
    failed = [r for r in record["results"] if r["outcome"] in ("failed", "error")]
    assert failed, output
    assert all(case.control in r["controls"] for r in failed), output
