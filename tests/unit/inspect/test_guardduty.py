"""GuardDutyDetector view against moto's in-memory GuardDuty: each property, both ways."""

from __future__ import annotations

import pytest

from stratatest.inspect.guardduty import DetectorNotFound

MISSING = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def guardduty(aws):
    return aws.client("guardduty")


def test_repr_names_the_detector(aws):
    assert repr(aws.guardduty_detector("abc")) == "<guardduty_detector abc>"


def test_missing_detector(aws):
    detector = aws.guardduty_detector(MISSING)
    assert not detector.exists
    with pytest.raises(DetectorNotFound, match=MISSING):
        _ = detector.is_enabled


def test_enabled_detector_with_features(aws, guardduty):
    detector_id = guardduty.create_detector(
        Enable=True,
        FindingPublishingFrequency="FIFTEEN_MINUTES",
        Features=[
            {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"},
            {
                "Name": "RUNTIME_MONITORING",
                "Status": "ENABLED",
                "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}],
            },
            {"Name": "S3_DATA_EVENTS", "Status": "DISABLED"},
        ],
        Tags={"owner": "platform"},
    )["DetectorId"]
    detector = aws.guardduty_detector(detector_id)
    assert detector.exists
    assert detector.is_enabled
    assert detector.finding_publishing_frequency == "FIFTEEN_MINUTES"
    assert detector.features == {
        "EKS_AUDIT_LOGS": "ENABLED",
        "RUNTIME_MONITORING": "ENABLED",
        "S3_DATA_EVENTS": "DISABLED",
    }
    assert detector.feature_configuration("RUNTIME_MONITORING") == {"EKS_ADDON_MANAGEMENT": "ENABLED"}
    assert detector.feature_configuration("EKS_AUDIT_LOGS") == {}
    assert detector.tags == {"owner": "platform"}


def test_disabled_detector_without_features(aws, guardduty):
    detector_id = guardduty.create_detector(Enable=False)["DetectorId"]
    detector = aws.guardduty_detector(detector_id)
    assert detector.exists
    assert not detector.is_enabled
    assert detector.features == {}
