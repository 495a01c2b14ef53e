"""Checkov's report normalised into typed results, and every way a run can fail to give one.

The JSON files in data/ are real Checkov 3.3 reports, captured by running inside data/tiny (as `run` does) with
`checkov -d . -o json --skip-download --framework ... --check ...` (a few checks keep them small); nothing.json
comes from an empty folder and parsing_error.json from a folder holding one truncated .tf file.
"""

from __future__ import annotations

import shutil
import sys
from importlib import metadata
from pathlib import Path

import pytest

from stratatest.compliance.catalogue import Control, Mapping
from stratatest.errors import ScanFailed, ToolMissing
from stratatest.static.checkov import Outcome, mapped_checks, parse_report, run, scan
from stratatest.toolchain import doctor

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"


def report(name: str, *frameworks: str, returncode: int = 1):
    text = (DATA / name).read_text()
    return parse_report(returncode, text, "", directory="tiny", frameworks=frameworks or ("terraform",))


def test_one_framework_reports_an_object() -> None:
    scan_ = report("terraform.json")
    assert scan_.resource_counts == {"terraform": 3}
    assert scan_.checkov_version == "3.3.30"
    assert [(r.check_id, r.resource, r.location, r.lines) for r in scan_.failed] == [
        ("CKV_AWS_18", "aws_s3_bucket.logs", "tiny/main.tf:3", (3, 5)),
        ("CKV_AWS_21", "aws_s3_bucket.logs", "tiny/main.tf:3", (3, 5)),
    ]
    assert {(r.check_id, r.resource) for r in scan_.passed} == {
        ("CKV_AWS_3", "aws_ebs_volume.data"),
        ("CKV_AWS_3", "aws_ebs_volume.scratch"),
    }
    assert scan_.failed[0].check_name == "Ensure the S3 bucket has access logging enabled"


def test_skips_keep_their_written_reason_and_a_bare_skip_has_none() -> None:
    skipped = {r.resource: r for r in report("terraform.json").skipped}
    assert skipped["aws_ebs_volume.data"].suppress_comment == "the sample keeps the AWS-managed key on purpose"
    assert skipped["aws_ebs_volume.scratch"].suppress_comment is None  # Checkov says "No comment provided"
    assert {r.result for r in skipped.values()} == {Outcome.SKIPPED}
    assert all(r.suppress_comment is None for r in report("terraform.json").failed)


def test_several_frameworks_report_a_list() -> None:
    scan_ = report("terraform_kubernetes.json", "terraform", "kubernetes")
    assert scan_.resource_counts == {"terraform": 3, "kubernetes": 1}
    assert [(r.framework, r.check_id, r.resource, r.location) for r in scan_.failed] == [
        ("kubernetes", "CKV_K8S_8", "Pod.default.tiny", "tiny/pod.yaml:1"),
        ("terraform", "CKV_AWS_18", "aws_s3_bucket.logs", "tiny/main.tf:3"),
    ]


def test_a_requested_framework_that_scanned_nothing_is_an_error() -> None:
    """Asked for terraform and kubernetes where there is no manifest, Checkov just leaves kubernetes out."""
    with pytest.raises(ScanFailed, match="checkov's kubernetes scan of tiny found no resource"):
        report("terraform.json", "terraform", "kubernetes")


def test_a_bare_summary_is_an_error() -> None:
    """What Checkov prints when nothing ran at all: a summary with no report."""
    with pytest.raises(ScanFailed, match="checkov's terraform scan of tiny found no resource"):
        report("nothing.json", returncode=0)


def test_a_file_checkov_cannot_parse_is_an_error() -> None:
    with pytest.raises(ScanFailed, match=r"could not parse /tmp/\S+/main.tf in tiny: its resources were not"):
        report("parsing_error.json", returncode=0)


def test_output_that_is_not_a_report_is_an_error() -> None:
    """Given a missing folder Checkov logs an error, prints nothing and exits 0 (run refuses it before that)."""
    stderr = "2026-11-26 10:28:14,397 [MainThread  ] [ERROR]  Directory /x does not exist; skipping it\n"
    with pytest.raises(ScanFailed, match=r"printed no JSON report for tiny: .*Directory /x does not exist"):
        parse_report(0, "", stderr, directory="tiny", frameworks=("terraform",))
    with pytest.raises(ScanFailed, match="unknown shape"):
        parse_report(0, '{"unexpected": 1}', "", directory="tiny", frameworks=("terraform",))


def test_a_checkov_that_crashes_is_an_error() -> None:
    raw = run(TINY, ("no-such-framework",))
    assert raw["returncode"] not in (0, 1)
    with pytest.raises(ScanFailed, match=r"checkov exited 2 on tiny: .*Invalid frameworks specified"):
        parse_report(**raw, directory="tiny", frameworks=("no-such-framework",))


def test_a_missing_checkov_or_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ToolMissing, match="checkov not found at"):
        run(TINY, ("terraform",), binary=str(tmp_path / "checkov"))
    with pytest.raises(ScanFailed, match="no directory"):
        run(tmp_path / "absent", ("terraform",))


def test_a_scan_runs_once_per_run_and_is_shared(tmp_path: Path) -> None:
    """The second caller (another xdist worker) reads the first one's report: it never needs checkov itself."""
    first = scan(TINY, ["terraform"], root=DATA, shared_dir=tmp_path)
    assert {r.check_id for r in first.failed} >= {"CKV_AWS_18", "CKV_AWS_21"}
    assert first.resources_in("tiny") == {"aws_s3_bucket.logs", "aws_ebs_volume.data", "aws_ebs_volume.scratch"}
    assert first.resources_in("tin") == set()

    absent = str(tmp_path / "no-checkov")
    assert scan(TINY, ["terraform"], root=DATA, shared_dir=tmp_path, binary=absent) == first
    with pytest.raises(ToolMissing):  # other frameworks are another scan
        scan(TINY, ["terraform", "kubernetes"], root=DATA, shared_dir=tmp_path, binary=absent)


def test_a_copied_folder_reports_paths_relative_to_its_root(tmp_path: Path) -> None:
    """Paths come out relative to the root however the folder is reached, so messages read file:line."""
    shutil.copytree(TINY, tmp_path / "repo" / "terraform")
    result = scan(tmp_path / "repo" / "terraform", ["terraform"], root=tmp_path / "repo", shared_dir=tmp_path)
    assert {r.location for r in result.failed} == {"terraform/main.tf:3"}


def test_mapped_checks_are_the_checkov_mappings_only() -> None:
    control = Control(
        id="STRATA-X-001",
        title="t",
        severity="low",
        rationale="r",
        remediation="r",
        mappings=(
            Mapping("AWS FSBP", "1.0.0", ("S3.5",)),
            Mapping("Checkov", "3.3", ("CKV_AWS_19", "CKV_AWS_145")),
            Mapping("Checkov", "3.4", ("CKV_AWS_145", "CKV2_AWS_6")),
        ),
    )
    assert mapped_checks(control) == ("CKV_AWS_19", "CKV_AWS_145", "CKV2_AWS_6")


def test_doctor_shows_the_installed_checkov() -> None:
    lines, _ = doctor()
    assert f"checkov     {metadata.version('checkov')} at {Path(sys.executable).parent / 'checkov'}" in lines
