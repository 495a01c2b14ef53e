"""Checkov's report normalised into typed results, and every way a run can fail to give one.

The JSON files in data/ are real Checkov 3.3 reports, captured by running inside data/tiny (as `run` does) with
`checkov -d . -o json --skip-download --framework ... --check ...` (a few checks keep them small); nothing.json
comes from an empty folder and parsing_error.json from a folder holding one truncated .tf file. TINY_PLAN is
`terraform show -json` of a plan of data/tiny, trimmed to the keys and values Checkov's terraform_plan reads.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from importlib import metadata
from pathlib import Path

import pytest

from stratatest.compliance.catalogue import Control, Mapping
from stratatest.errors import ScanFailed, ToolMissing
from stratatest.static.checkov import Outcome, Scan, load_scans, mapped_checks, parse_report, run, scan, scan_file
from stratatest.toolchain import doctor

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"
TINY_PLAN = {
    "format_version": "1.2",
    "terraform_version": "1.11.4",
    "planned_values": {
        "root_module": {
            "resources": [
                {
                    "address": f"aws_ebs_volume.{name}",
                    "mode": "managed",
                    "type": "aws_ebs_volume",
                    "name": name,
                    "values": {"availability_zone": "us-east-1a", "encrypted": True, "size": 1},
                }
                for name in ("data", "scratch")
            ]
            + [
                {
                    "address": "aws_s3_bucket.logs",
                    "mode": "managed",
                    "type": "aws_s3_bucket",
                    "name": "logs",
                    "values": {"bucket": "tiny-logs"},
                }
            ]
        }
    },
}
#: A few checks keep the plan scans fast; the HCL of data/tiny gives them their inline skips.
PLAN_ARGS = ("--check", "CKV_AWS_3,CKV_AWS_21,CKV_AWS_189", "--repo-root-for-plan-enrichment", str(TINY))


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


def write_plan(path: Path, plan: dict = TINY_PLAN) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plan))
    return path


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Scan, Scan]:
    """A run folder holding two saved scans (data/tiny, and a plan of it in a temporary file) and what they gave."""
    shared = tmp_path_factory.mktemp("shared")
    folder = scan(TINY, ["terraform"], root=DATA, shared_dir=shared)
    plan_json = write_plan(tmp_path_factory.mktemp("tmp123") / "plan.json")
    plan = scan_file(plan_json, ["terraform_plan"], name="tiny (plan)", shared_dir=shared, extra_args=PLAN_ARGS)
    return shared, folder, plan


def test_a_plan_file_is_reported_under_its_name_with_the_hcl_skips(saved: tuple[Path, Scan, Scan]) -> None:
    """A plan is a temporary file: results carry the caller's name and Checkov's resource addresses, no line."""
    _, _, plan = saved
    assert (plan.directory, plan.frameworks, plan.extra_args) == ("tiny (plan)", ("terraform_plan",), PLAN_ARGS)
    assert plan.resource_counts == {"terraform_plan": 3}
    assert plan.sha256 == hashlib.sha256(json.dumps(TINY_PLAN).encode()).hexdigest()
    assert [(r.check_id, r.resource, r.location) for r in plan.failed] == [
        ("CKV_AWS_21", "aws_s3_bucket.logs", "tiny (plan):0")
    ]
    assert {(r.check_id, r.resource) for r in plan.passed} == {
        ("CKV_AWS_3", "aws_ebs_volume.data"),
        ("CKV_AWS_3", "aws_ebs_volume.scratch"),
    }
    skipped = {r.resource: r.suppress_comment for r in plan.skipped}  # the HCL's inline skips, on the plan
    assert skipped == {
        "aws_ebs_volume.data": "the sample keeps the AWS-managed key on purpose",
        "aws_ebs_volume.scratch": None,
    }
    assert {r.framework for r in plan.results} == {"terraform_plan"}


def test_a_plan_file_is_scanned_once_per_content(saved: tuple[Path, Scan, Scan], tmp_path: Path) -> None:
    """Keyed by what the file holds, not where it is: each worker may write the same plan to its own temp file."""
    shared, _, plan = saved
    absent = str(tmp_path / "no-checkov")

    def again(content: dict) -> Scan:
        copy = write_plan(tmp_path / "elsewhere.json", content)
        return scan_file(
            copy, ["terraform_plan"], name="tiny (plan)", shared_dir=shared, extra_args=PLAN_ARGS, binary=absent
        )

    assert again(TINY_PLAN) == plan
    with pytest.raises(ToolMissing):  # other content is another scan
        again({**TINY_PLAN, "terraform_version": "1.11.5"})


def test_a_plan_file_that_is_absent_or_holds_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ScanFailed, match=r"no file \S+/absent.json to scan with checkov: No such file"):
        scan_file(tmp_path / "absent.json", ["terraform_plan"], name="absent (plan)", shared_dir=tmp_path)
    empty = write_plan(tmp_path / "empty.json", {"format_version": "1.2", "planned_values": {"root_module": {}}})
    with pytest.raises(ScanFailed, match=r"checkov's terraform_plan scan of empty \(plan\) found no resource"):
        scan_file(empty, ["terraform_plan"], name="empty (plan)", shared_dir=tmp_path)


def test_load_scans_reads_every_saved_scan_alone(saved: tuple[Path, Scan, Scan], tmp_path: Path) -> None:
    """What the results collector reads at the end of the run: the scans their callers got, from the files alone."""
    shared, folder, plan = saved
    assert load_scans(shared) == [folder, plan]  # sorted by what was scanned; the *.json.lock files left out
    files = sorted((shared / "checkov").glob("*.json"))
    assert sorted(json.loads(f.read_text())["kind"] for f in files) == ["directory", "file"]
    assert all(Path(f"{f}.lock").exists() for f in files)
    assert load_scans(tmp_path) == []  # a run that scanned nothing


def test_load_scans_fails_as_the_scan_did(tmp_path: Path) -> None:
    """A crash saved by one worker is a failure in the record too, never a scan with no result."""
    with pytest.raises(ScanFailed, match="checkov exited 2 on tiny") as first:
        scan(TINY, ["no-such-framework"], root=DATA, shared_dir=tmp_path)
    with pytest.raises(ScanFailed) as loaded:
        load_scans(tmp_path)
    assert str(loaded.value) == str(first.value)


def test_load_scans_refuses_a_file_it_did_not_save(tmp_path: Path) -> None:
    write_plan(tmp_path / "checkov" / "stray.json", {"returncode": 0})
    with pytest.raises(ScanFailed, match=r"stray.json is not a Checkov scan saved by this stratatest"):
        load_scans(tmp_path)


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
