"""A results record with every state a report must show: failed, waived, passed and not-assessed controls;
tests at several layers; Checkov findings with files and lines; evidence digests; active, expired and invalid
waivers. Built from the real catalogue's first controls so mappings are real."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratatest.compliance.catalogue import load_catalogue
from stratatest.compliance.results import Evidence, Finding, RunRecord, TestResult, WaiverStatus, rollup

ROOT = Path(__file__).resolve().parents[3]


def build_record(run_id: str = "st0a1b2c", finished: str = "2026-11-26T17:00:00.000+00:00") -> RunRecord:
    catalogue = load_catalogue(ROOT / "controls" / "catalogue.yaml")
    c = catalogue.ids  # first ids: S3-001, S3-002, S3-003, ...
    results = [
        TestResult(
            "tests/unit/modules/test_s3.py::test_encrypted[dev]",
            "test_encrypted[dev]",
            "plan",
            "passed",
            [c[0]],
            0.5,
            started="2026-11-26T16:50:00.000+00:00",
        ),
        TestResult(
            "tests/integration/test_s3.py::test_encrypted_readback",
            "test_encrypted_readback",
            "emulator",
            "passed",
            [c[0]],
            12.0,
            started="2026-11-26T16:51:00.000+00:00",
        ),
        TestResult(
            "tests/unit/modules/test_s3.py::test_public_access_blocked",
            "test_public_access_blocked",
            "plan",
            "failed",
            [c[1]],
            0.4,
            message="AssertionError: block_public_acls is False for aws_s3_bucket.logs",
            started="2026-11-26T16:50:01.000+00:00",
        ),
        TestResult(
            "tests/unit/modules/test_s3.py::test_tls_only",
            "test_tls_only",
            "plan",
            "waived",
            [c[2]],
            0.3,
            message="AssertionError: no SecureTransport deny on aws_s3_bucket.legacy",
            waiver="W-001",
            started="2026-11-26T16:50:02.000+00:00",
        ),
        TestResult(
            "tests/e2e/test_cluster.py::test_kms_on_cluster",
            "test_kms_on_cluster",
            "cluster",
            "skipped",
            [c[3]],
            0.0,
            skip_reason="no Kubernetes cluster on this machine",
            started="2026-11-26T16:50:03.000+00:00",
        ),
    ]
    findings = [
        Finding(
            "checkov",
            "terraform",
            "CKV_AWS_19",
            "Ensure the S3 bucket has server-side-encryption enabled",
            "passed",
            "module.state.aws_s3_bucket.this",
            "terraform/modules/state-backend/main.tf",
            [10, 24],
            "static",
            [c[0]],
            in_repo=True,
        ),
        Finding(
            "checkov",
            "terraform",
            "CKV_AWS_53",
            "Ensure S3 bucket has block public ACLS enabled",
            "failed",
            "aws_s3_bucket_public_access_block.logs",
            "terraform/modules/security-baseline/trail.tf",
            [40, 47],
            "static",
            [c[1]],
            in_repo=True,
        ),
        Finding(
            "checkov",
            "terraform_plan",
            "CKV_AWS_145",
            "Ensure that S3 buckets are encrypted with KMS by default",
            "passed",
            "module.platform.aws_s3_bucket.trail",
            "terraform/envs/dev (plan)",
            [0, 0],
            "plan",
            [c[0]],
        ),
        Finding(
            "checkov",
            "kubernetes",
            "CKV_K8S_21",
            "The default namespace should not be used",
            "waived",
            "Deployment.default.release-name-microservice",
            "charts/microservice/templates/deployment.yaml",
            [1, 80],
            "static",
            [],
            reason="Checkov's helm render has no namespace",
            waiver="W-002",
            in_repo=True,
        ),
        Finding(
            "checkov",
            "terraform",
            "CKV_AWS_18",
            "Ensure the S3 bucket has access logging enabled",
            "skipped",
            "aws_s3_bucket.trail",
            "terraform/modules/security-baseline/trail.tf",
            [1, 9],
            "static",
            [],
            reason="the trail bucket is the log destination; logging it to itself loops",
            in_repo=True,
        ),
    ]
    waivers = [
        WaiverStatus(
            "W-001",
            "active",
            control=c[2],
            resource="tests/unit/modules/test_s3.py::test_tls_only",
            reason="legacy bucket migrates in Q1",
            owner="platform-team",
            ticket="PLAT-123",
            approver="security-lead",
            created="2026-10-01",
            expires="2027-01-31",
            age_days=56,
            applied_to=["tests/unit/modules/test_s3.py::test_tls_only"],
        ),
        WaiverStatus(
            "W-002",
            "active",
            check="CKV_K8S_21",
            resource="Deployment.default.*",
            reason="Checkov's helm render has no namespace",
            owner="platform-team",
            ticket="PLAT-7",
            approver="security-lead",
            created="2026-11-01",
            expires="2027-05-01",
            age_days=25,
            applied_to=["checkov:kubernetes:CKV_K8S_21:Deployment.default.release-name-microservice"],
        ),
        WaiverStatus(
            "W-003",
            "expired",
            control=c[1],
            resource="*",
            reason="temporary",
            owner="app-team",
            ticket="APP-9",
            approver="security-lead",
            created="2026-01-01",
            expires="2026-06-30",
            age_days=329,
            problem="expired on 2026-06-30",
        ),
        WaiverStatus("W-004", "invalid", control=c[4], problem="missing field 'approver'"),
    ]
    evidence = [
        Evidence("plan", "terraform/envs/dev", "a" * 64, {"variables_sha256": "b" * 64}),
        Evidence("manifests", "charts/microservice prod", "c" * 64, {"values": ["services/sample/values.yaml"]}),
    ]
    return RunRecord(
        run_id=run_id,
        started="2026-11-26T16:49:58.000+00:00",
        finished=finished,
        results=results,
        controls=rollup(results, catalogue, findings),
        findings=findings,
        evidence=evidence,
        waivers=waivers,
        commit="0123456789abcdef0123456789abcdef01234567",
        dirty=False,
        # A header as long as a real run's (13 corrections, 13 tools, the full command line): the browser test
        # needs it to show that a failed control still fits on the first screen.
        target={
            "name": "moto",
            "version": "5.2.5",
            "account_id": "123456789012",
            "region": "eu-west-1",
            "corrections": [f"correction_number_{i}" for i in range(13)],
        },
        tool_versions={
            "stratatest": "0.1.0",
            "pytest": "9.1.1",
            "moto": "5.2.5",
            "boto3": "1.35.49",
            "tftest": "1.8.8",
            "checkov": "3.3.0",
            "compliance-trestle": "5.2.0",
            "py-ocsf-models": "0.10.0",
            "terraform": "1.11.4",
            "aws provider": "5.100.0",
            "helm": "3.19.0+g3d8990f",
            "promtool": "2.42.0+ds",
            "prometheus": "2.42.0+ds",
        },
        command_line=(
            "pytest /work/main/tests --rootdir=/work/main --target=moto --results=/work/main/reports/results.json"
            " --layer=static --layer=plan --layer=emulator --layer=cluster --layer=sandbox -n 2"
        ),
        catalogue={"path": "controls/catalogue.yaml", "sha256": "d" * 64},
    )


@pytest.fixture
def record() -> RunRecord:
    """The sample record: one failed, one waived, one passed, one skipped-only and many untested controls."""
    return build_record()


@pytest.fixture
def history() -> list[RunRecord]:
    """Three earlier runs, oldest first, for trend columns."""
    return [build_record(f"st00000{i}", f"2026-11-2{i}T10:00:00.000+00:00") for i in range(3)]
