"""SNSTopic view against moto's in-memory SNS: each yes/no property, both ways."""

from __future__ import annotations

import json

import pytest

from stratatest.inspect import policy as pol
from stratatest.inspect.sns import TopicNotFound


@pytest.fixture
def sns(aws):
    return aws.client("sns")


def test_repr_names_the_topic(aws):
    assert (
        repr(aws.sns_topic("arn:aws:sns:us-east-1:123456789012:t"))
        == "<sns_topic arn:aws:sns:us-east-1:123456789012:t>"
    )


def test_missing_topic(aws):
    topic = aws.sns_topic("arn:aws:sns:us-east-1:123456789012:missing")
    assert not topic.exists
    with pytest.raises(TopicNotFound, match="missing"):
        _ = topic.is_encrypted


def test_plain_topic_is_not_encrypted(aws, sns):
    arn = sns.create_topic(Name="plain")["TopicArn"]
    topic = aws.sns_topic(arn)
    assert topic.exists
    assert topic.kms_key_id is None
    assert not topic.is_encrypted


def test_encrypted_topic_with_policy_and_tags(aws, sns):
    key_arn = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    arn = sns.create_topic(
        Name="alarms", Attributes={"KmsMasterKeyId": key_arn}, Tags=[{"Key": "owner", "Value": "platform"}]
    )["TopicArn"]
    statement = {
        "Sid": "CloudWatchOnly",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": arn,
    }
    sns.set_topic_attributes(
        TopicArn=arn,
        AttributeName="Policy",
        AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    topic = aws.sns_topic(arn)
    assert topic.is_encrypted
    assert topic.kms_key_id == key_arn
    (read,) = pol.statements(topic.policy)
    assert read["Principal"] == {"Service": ["cloudwatch.amazonaws.com"]}
    assert read["Action"] == ["sns:Publish"]
    assert topic.tags == {"owner": "platform"}
