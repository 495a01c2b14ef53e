"""LogGroup view against moto's in-memory CloudWatch Logs: each yes/no property, both ways."""

from __future__ import annotations

import pytest

from stratatest.inspect.logs import LogGroupNotFound

NAME = "/aws/vpc-flow-logs/unit"


@pytest.fixture
def logs(aws):
    return aws.client("logs")


def test_repr_names_the_group(aws):
    assert repr(aws.log_group(NAME)) == f"<log_group {NAME}>"


def test_exists_matches_the_exact_name(aws, logs):
    assert not aws.log_group(NAME).exists
    logs.create_log_group(logGroupName=f"{NAME}-longer")
    assert not aws.log_group(NAME).exists  # DescribeLogGroups matches by prefix; the view must not
    logs.create_log_group(logGroupName=NAME)
    assert aws.log_group(NAME).exists


def test_missing_group_is_an_error_not_a_no(aws):
    with pytest.raises(LogGroupNotFound, match=NAME):
        _ = aws.log_group(NAME).is_encrypted


def test_plain_group_never_expires_and_is_not_encrypted(aws, logs):
    logs.create_log_group(logGroupName=NAME)
    group = aws.log_group(NAME)
    assert group.retention_days is None
    assert group.kms_key_arn is None
    assert not group.is_encrypted
    assert group.arn.endswith(f":log-group:{NAME}")


def test_retention_and_customer_key(aws, logs):
    key_arn = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName=NAME, kmsKeyId=key_arn, tags={"owner": "platform"})
    logs.put_retention_policy(logGroupName=NAME, retentionInDays=365)
    group = aws.log_group(NAME)
    assert group.retention_days == 365
    assert group.is_encrypted
    assert group.kms_key_arn == key_arn
    assert group.tags == {"owner": "platform"}
