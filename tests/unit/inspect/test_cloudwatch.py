"""Alarm view against moto's in-memory CloudWatch: what an alarm watches and whom it tells."""

from __future__ import annotations

import pytest

from stratatest.inspect.cloudwatch import AlarmNotFound

TOPIC = "arn:aws:sns:us-east-1:123456789012:alarms"
OTHER = "arn:aws:sns:us-east-1:123456789012:other"


@pytest.fixture
def cloudwatch(aws):
    client = aws.client("cloudwatch")
    client.put_metric_alarm(
        AlarmName="acme-db-cpu-high",
        Namespace="AWS/RDS",
        MetricName="CPUUtilization",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "acme-db"}],
        Statistic="Average",
        Period=300,
        EvaluationPeriods=3,
        Threshold=80,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[TOPIC],
        OKActions=[TOPIC],
        Tags=[{"Key": "owner", "Value": "platform"}],
    )
    client.put_metric_alarm(
        AlarmName="acme-db-storage-low",
        Namespace="AWS/RDS",
        MetricName="FreeStorageSpace",
        Statistic="Minimum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="LessThanThreshold",
        AlarmActions=[OTHER],
    )
    client.put_metric_alarm(
        AlarmName="other-alarm",
        Namespace="AWS/EC2",
        MetricName="CPUUtilization",
        Statistic="Average",
        Period=300,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
    )
    return client


def test_repr_names_the_alarm(aws):
    assert repr(aws.alarm("a")) == "<alarm a>"


def test_missing_alarm(aws, cloudwatch):
    alarm = aws.alarm("acme-db")  # a prefix of real alarms is not an alarm
    assert not alarm.exists
    with pytest.raises(AlarmNotFound, match="acme-db"):
        _ = alarm.metric


def test_alarm_reads_back(aws, cloudwatch):
    alarm = aws.alarm("acme-db-cpu-high")
    assert alarm.exists
    assert (alarm.namespace, alarm.metric, alarm.statistic) == ("AWS/RDS", "CPUUtilization", "Average")
    assert alarm.dimensions == {"DBInstanceIdentifier": "acme-db"}
    assert (alarm.comparison, alarm.threshold) == ("GreaterThanThreshold", 80.0)
    assert alarm.treat_missing_data == "notBreaching"
    assert alarm.actions == {"alarm": [TOPIC], "ok": [TOPIC], "insufficient_data": []}
    assert alarm.notifies(TOPIC)
    assert not alarm.notifies(OTHER)
    assert alarm.tags == {"owner": "platform"}


def test_alarm_without_ok_action_does_not_notify_recovery(aws, cloudwatch):
    alarm = aws.alarm("acme-db-storage-low")
    assert alarm.dimensions == {}
    assert alarm.treat_missing_data == "missing"  # CloudWatch's default when unset
    assert alarm.actions["ok"] == []
    assert not alarm.notifies(OTHER)


def test_alarms_by_prefix(aws, cloudwatch):
    assert [a.ref for a in aws.alarms("acme-")] == ["acme-db-cpu-high", "acme-db-storage-low"]
    assert aws.alarms("nothing-") == []
