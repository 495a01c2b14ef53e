"""CloudTrail view against moto's in-memory CloudTrail: each yes/no property, both ways."""

from __future__ import annotations

import pytest

from stratatest.inspect.cloudtrail import TrailNotFound

BUCKET = "trail-logs"


@pytest.fixture
def cloudtrail(aws):
    aws.client("s3").create_bucket(Bucket=BUCKET)
    return aws.client("cloudtrail")


def test_repr_names_the_trail(aws):
    assert repr(aws.cloudtrail("audit")) == "<cloudtrail audit>"


def test_missing_trail(aws, cloudtrail):
    trail = aws.cloudtrail("no-such-trail")
    assert not trail.exists
    with pytest.raises(TrailNotFound, match="no-such-trail"):
        _ = trail.is_multi_region


def test_hardened_trail_by_name_and_arn(aws, cloudtrail):
    key_arn = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    arn = cloudtrail.create_trail(
        Name="audit",
        S3BucketName=BUCKET,
        IsMultiRegionTrail=True,
        IncludeGlobalServiceEvents=True,
        EnableLogFileValidation=True,
        KmsKeyId=key_arn,
        TagsList=[{"Key": "owner", "Value": "platform"}],
    )["TrailARN"]
    cloudtrail.start_logging(Name="audit")
    for ref in ("audit", arn):
        trail = aws.cloudtrail(ref)
        assert trail.exists
        assert trail.arn == arn
        assert trail.is_multi_region
        assert trail.includes_global_service_events
        assert trail.validates_log_files
        assert trail.kms_key_arn == key_arn
        assert trail.bucket_name == BUCKET
        assert trail.is_logging
        assert trail.tags == {"owner": "platform"}


def test_plain_trail(aws, cloudtrail):
    cloudtrail.create_trail(Name="plain", S3BucketName=BUCKET, IncludeGlobalServiceEvents=False)
    trail = aws.cloudtrail("plain")
    assert not trail.is_multi_region
    assert not trail.includes_global_service_events
    assert not trail.validates_log_files
    assert trail.kms_key_arn is None
    assert not trail.is_logging  # a new trail does not log until started
