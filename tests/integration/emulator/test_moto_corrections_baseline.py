"""The moto corrections the security baseline needs: the gap on plain moto, and the same calls corrected.

The "gap" tests pin moto 5.2.5's wrong behaviour. When one of them fails after a moto upgrade, moto has
fixed the gap upstream: delete the correction, its tests and its row in docs/emulator-gaps.md.

EBS's default KMS key is one setting per account and Region, so each test that changes it works in a Region of
its own (the same corrected server, seen through a target attached to it in that Region).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from stratatest.targets.moto import MotoTarget


@pytest.fixture(scope="module")
def plain(start_moto: Callable[..., MotoTarget]) -> MotoTarget:
    return start_moto(corrections="none")


@pytest.fixture(scope="module")
def corrected(start_moto: Callable[..., MotoTarget]) -> MotoTarget:
    return start_moto(corrections="all")


def _error_code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def _in_region(target: MotoTarget, region: str, workdir: Path) -> MotoTarget:
    """The same server, with clients in `region` (moto keeps one EC2 backend per account and Region)."""
    view = MotoTarget(region, workdir=workdir, endpoint=target.endpoint_url, ca_bundle=target.ca_bundle)
    view.start()
    return view


# -- ebs_default_kms_key ----------------------------------------------------------------------------------


def _managed_ebs_key_arn(target: MotoTarget) -> str:
    return str(target.client("kms").describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["Arn"])


def test_gap_ebs_default_kms_key_cannot_be_read_or_reset_on_plain_moto(plain: MotoTarget) -> None:
    offset = plain.events_offset()
    ec2 = plain.client("ec2", max_attempts=1)
    for call in (ec2.get_ebs_default_kms_key_id, ec2.reset_ebs_default_kms_key_id):
        with pytest.raises((ClientError, ResponseParserError)):  # a 500 HTML page
            call()
    events, _ = plain.events_since(offset)
    assert [(e["action"], e["status"]) for e in events if "NotImplementedError" in (e.get("error") or "")] == [
        ("GetEbsDefaultKmsKeyId", 500),
        ("ResetEbsDefaultKmsKeyId", 500),
    ]


def test_ebs_default_kms_key_is_the_aws_managed_key_until_modified(corrected: MotoTarget, tmp_path: Path) -> None:
    target = _in_region(corrected, "eu-west-1", tmp_path)
    default = target.client("ec2").get_ebs_default_kms_key_id()["KmsKeyId"]

    assert default == _managed_ebs_key_arn(target)
    assert default.startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    assert target.client("ec2").get_ebs_default_kms_key_id()["KmsKeyId"] == default


def test_ebs_default_kms_key_modify_get_and_reset(corrected: MotoTarget, tmp_path: Path) -> None:
    target = _in_region(corrected, "eu-west-2", tmp_path)
    ec2 = target.client("ec2", max_attempts=1)
    key = target.client("kms").create_key(Description="ebs default")["KeyMetadata"]

    assert ec2.modify_ebs_default_kms_key_id(KmsKeyId=key["KeyId"])["KmsKeyId"] == key["Arn"]
    assert ec2.get_ebs_default_kms_key_id()["KmsKeyId"] == key["Arn"]

    with pytest.raises(ClientError) as err:
        ec2.reset_ebs_default_kms_key_id(DryRun=True)
    assert _error_code(err) == "DryRunOperation"
    assert ec2.get_ebs_default_kms_key_id()["KmsKeyId"] == key["Arn"]  # a dry run changes nothing

    managed = ec2.reset_ebs_default_kms_key_id()["KmsKeyId"]
    assert managed == _managed_ebs_key_arn(target) != key["Arn"]
    assert ec2.get_ebs_default_kms_key_id()["KmsKeyId"] == managed


def test_ebs_default_kms_key_is_set_per_region(corrected: MotoTarget, tmp_path: Path) -> None:
    here = _in_region(corrected, "eu-central-1", tmp_path / "here")
    there = _in_region(corrected, "ap-southeast-2", tmp_path / "there")
    key_arn = here.client("kms").create_key()["KeyMetadata"]["Arn"]

    here.client("ec2").modify_ebs_default_kms_key_id(KmsKeyId=key_arn)

    assert here.client("ec2").get_ebs_default_kms_key_id()["KmsKeyId"] == key_arn
    assert there.client("ec2").get_ebs_default_kms_key_id()["KmsKeyId"] == _managed_ebs_key_arn(there)


# -- guardduty_detector_features ---------------------------------------------------------------------------


def _features(target: MotoTarget, detector_id: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Feature name -> (status, {additional configuration name: status}), as GetDetector reports them."""
    detector = target.client("guardduty").get_detector(DetectorId=detector_id)
    return {
        f["Name"]: (f["Status"], {c["Name"]: c["Status"] for c in f.get("AdditionalConfiguration", [])})
        for f in detector.get("Features", [])
    }


EKS_AUDIT_LOGS: dict[str, Any] = {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"}
RUNTIME_MONITORING: dict[str, Any] = {
    "Name": "RUNTIME_MONITORING",
    "Status": "ENABLED",
    "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}],
}


def test_gap_update_detector_replaces_the_features_on_plain_moto(plain: MotoTarget) -> None:
    guardduty = plain.client("guardduty")
    detector_id = guardduty.create_detector(Enable=True)["DetectorId"]
    guardduty.update_detector(DetectorId=detector_id, Features=[EKS_AUDIT_LOGS])
    guardduty.update_detector(DetectorId=detector_id, Features=[RUNTIME_MONITORING])

    assert list(_features(plain, detector_id)) == ["RUNTIME_MONITORING"]


def test_update_detector_updates_only_the_features_it_names(corrected: MotoTarget) -> None:
    guardduty = corrected.client("guardduty")
    detector_id = guardduty.create_detector(Enable=True)["DetectorId"]
    guardduty.update_detector(DetectorId=detector_id, Features=[EKS_AUDIT_LOGS])
    guardduty.update_detector(DetectorId=detector_id, Features=[RUNTIME_MONITORING])

    assert _features(corrected, detector_id) == {
        "EKS_AUDIT_LOGS": ("ENABLED", {}),
        "RUNTIME_MONITORING": ("ENABLED", {"EKS_ADDON_MANAGEMENT": "ENABLED"}),
    }

    guardduty.update_detector(DetectorId=detector_id, Features=[dict(EKS_AUDIT_LOGS, Status="DISABLED")])
    assert _features(corrected, detector_id) == {
        "EKS_AUDIT_LOGS": ("DISABLED", {}),
        "RUNTIME_MONITORING": ("ENABLED", {"EKS_ADDON_MANAGEMENT": "ENABLED"}),
    }


def test_update_detector_merges_additional_configuration_by_name(corrected: MotoTarget) -> None:
    guardduty = corrected.client("guardduty")
    detector_id = guardduty.create_detector(Enable=True, Features=[RUNTIME_MONITORING])["DetectorId"]
    fargate = {
        "Name": "RUNTIME_MONITORING",
        "Status": "ENABLED",
        "AdditionalConfiguration": [{"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "Status": "ENABLED"}],
    }

    guardduty.update_detector(DetectorId=detector_id, Features=[fargate])
    guardduty.update_detector(DetectorId=detector_id, FindingPublishingFrequency="ONE_HOUR")  # no features

    assert _features(corrected, detector_id) == {
        "RUNTIME_MONITORING": (
            "ENABLED",
            {"EKS_ADDON_MANAGEMENT": "ENABLED", "ECS_FARGATE_AGENT_MANAGEMENT": "ENABLED"},
        )
    }
