"""Break a control in a copy of the platform and the suite fails with that control's id.

Each case edits one file (a Terraform module, a chart template, a values file) in a scratch copy of the
repository, runs the tests that assess that control as a user would (`--control ID`: plan tests for Terraform,
the chart layer and promtool tests for charts), and reads the results record: the control must be `failed`,
with the failing tests named. (A test may assess two controls at once,
e.g. the state bucket's encryption is STRATA-S3-001 and STRATA-TFSTATE-001; both then fail, rightly.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


#: What a scratch copy needs besides the tests: the platform's code and the catalogue.
PLATFORM = ("terraform", "charts", "services", "platform", "controls")


@dataclass(frozen=True)
class Breakage:
    control: str
    file: str  # relative to the repository
    edits: tuple[tuple[str, str], ...]  # (exact text, replacement); each must occur once; () deletes the file
    tests: str  # the tests that must catch it


CASES = [
    Breakage(
        "STRATA-S3-001",
        "terraform/modules/state-backend/s3.tf",
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
        "terraform/modules/network/flow_logs.tf",
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
        "terraform/modules/eks/cluster.tf",
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
        "terraform/modules/eks/node_groups.tf",
        (('http_tokens                 = "required"', 'http_tokens                 = "optional"'),),
        "tests/unit/modules/test_eks_plan.py",
    ),
    Breakage(
        "STRATA-RDS-003",
        "terraform/modules/rds/rds.tf",
        (("publicly_accessible    = false", "publicly_accessible    = true"),),
        "tests/unit/modules/test_rds_plan.py",
    ),
    # --- charts: the chart layer's tests (rendered manifests) and promtool's unit tests of the alerts ---------
    Breakage(
        "STRATA-K8S-004",
        "charts/microservice/templates/deployment.yaml",
        (("privileged: false", "privileged: true"),),
        "tests/unit/charts/test_workload_controls.py",
    ),
    Breakage(
        "STRATA-K8S-005",
        "charts/microservice/templates/deployment.yaml",
        (
            (
                "            limits:\n              cpu: {{ .Values.resources.limits.cpu | quote }}\n"
                "              memory: {{ .Values.resources.limits.memory | quote }}\n",
                "",
            ),
        ),
        "tests/unit/charts/test_workload_controls.py",
    ),
    Breakage(
        "STRATA-K8S-009",
        "services/sample/values.yaml",
        (('tag: "1.0.0"', 'tag: "latest"'),),
        "tests/unit/charts/test_workload_controls.py",
    ),
    Breakage(
        "STRATA-K8S-007",
        "charts/microservice/templates/networkpolicy.yaml",
        (),
        "tests/unit/charts/test_workload_controls.py",
    ),
    Breakage(
        "STRATA-K8S-008",
        "charts/microservice/values-prod.yaml",
        (("minReplicas: 3", "minReplicas: 1"),),
        "tests/unit/charts/test_workload_controls.py",
    ),
    Breakage(
        "STRATA-OBS-003",
        "charts/microservice/templates/prometheusrule.yaml",
        (('status=~"5.."', 'status=~"6.."'),),
        "tests/unit/metrics/test_alert_rules.py",
    ),
]


def _scratch_repo(dest: Path, tests: str) -> None:
    """The platform, the catalogue, pytest settings and the folder of the tests that run (with its helpers)."""
    for folder in PLATFORM:
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns(".terraform*", "__pycache__"))
    for name in ("pyproject.toml", "conftest.py"):
        shutil.copy2(ROOT / name, dest / name)
    _copy_tests(dest, tests)


def _copy_tests(dest: Path, tests: str) -> None:
    folder = Path(tests).parent
    if not (dest / folder).exists():
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__"))


def _break(path: Path, edits: tuple[tuple[str, str], ...]) -> None:
    if not edits:
        path.unlink()
        return
    text = path.read_text()
    for old, new in edits:
        assert text.count(old) == 1, f"{path} no longer contains exactly one {old!r}: update this case"
        text = text.replace(old, new)
    path.write_text(text)


def _run(repo: Path, tests: list[str], controls: list[str], results: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "pytest", *tests, "-q", "-n", "0", f"--results={results}"]
    argv += [f"--control={c}" for c in controls]
    return subprocess.run(argv, cwd=repo, env=os.environ.copy(), capture_output=True, text=True, timeout=600)


def test_unbroken_copy_passes_the_chart_cases(tmp_path: Path) -> None:
    """The chart cases' tests pass on an unbroken scratch copy: each case's failure is its breakage, not the copy."""
    chart_cases = [c for c in CASES if not c.file.startswith("terraform/")]
    repo = tmp_path / "repo"
    for tests in {c.tests for c in chart_cases}:
        if repo.exists():
            _copy_tests(repo, tests)
        else:
            _scratch_repo(repo, tests)
    results = tmp_path / "results.json"
    proc = _run(repo, sorted({c.tests for c in chart_cases}), [c.control for c in chart_cases], results)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    status = {c["id"]: c["status"] for c in json.loads(results.read_text())["controls"]}
    assert all(status[c.control] == "passed" for c in chart_cases), status


@pytest.mark.parametrize("case", CASES, ids=[c.control for c in CASES])
def test_breaking_a_control_fails_the_suite_with_its_id(case: Breakage, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _scratch_repo(repo, case.tests)
    _break(repo / case.file, case.edits)
    results = tmp_path / "results.json"
    proc = _run(repo, [case.tests], [case.control], results)
    output = proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 1, output
    record = json.loads(results.read_text())
    status = {c["id"]: c["status"] for c in record["controls"]}
    assert status[case.control] == "failed", output
    failed = [r for r in record["results"] if r["outcome"] in ("failed", "error")]
    assert failed, output
    assert all(case.control in r["controls"] for r in failed), output


def _waiver(control: str, created: date, expires: date) -> str:
    return (
        "version: 1\nwaivers:\n"
        f"  - id: W-900\n    control: {control}\n    resource: 'tests/unit/charts/test_workload_controls.py::*'\n"
        "    reason: accepted while the image pipeline is rebuilt\n    owner: app-team\n    ticket: APP-42\n"
        f"    approver: security-lead\n    created: {created}\n    expires: {expires}\n"
    )


@pytest.mark.parametrize("state", ["active", "expired"])
def test_a_waiver_accepts_a_broken_control_until_it_expires(state: str, tmp_path: Path) -> None:
    """The same breakage, waived: while the waiver is active the run passes and the control is `waived` (never
    `passed`); once it has expired the waiver covers nothing and the control fails again (fail closed)."""
    case = next(c for c in CASES if c.control == "STRATA-K8S-009")
    repo = tmp_path / "repo"
    _scratch_repo(repo, case.tests)
    _break(repo / case.file, case.edits)
    today = datetime.now(UTC).date()  # waivers judge dates in UTC
    if state == "active":
        waiver = _waiver(case.control, today - timedelta(days=10), today + timedelta(days=30))
    else:
        waiver = _waiver(case.control, today - timedelta(days=100), today - timedelta(days=1))
    (repo / "controls" / "waivers.yaml").write_text(waiver)
    results = tmp_path / "results.json"
    proc = _run(repo, [case.tests], [case.control], results)
    output = proc.stdout[-3000:] + proc.stderr[-2000:]
    record = json.loads(results.read_text())
    status = {c["id"]: c["status"] for c in record["controls"]}
    (listed,) = [w for w in record["waivers"] if w["id"] == "W-900"]
    if state == "active":
        assert proc.returncode == 0, output
        assert status[case.control] == "waived", output
        waived = [r["nodeid"] for r in record["results"] if r["outcome"] == "waived"]
        assert waived and all(r["waiver"] == "W-900" for r in record["results"] if r["outcome"] == "waived")
        assert (listed["state"], listed["age_days"], sorted(listed["applied_to"])) == ("active", 10, sorted(waived))
    else:
        assert proc.returncode == 1, output
        assert status[case.control] == "failed", output
        assert (listed["state"], listed["applied_to"]) == ("expired", [])
        assert not [r for r in record["results"] if r["outcome"] == "waived"]
