"""Read-only views of CloudWatch metric alarms, one boto3 call per property read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stratatest.inspect.view import View, tag_map

if TYPE_CHECKING:
    from stratatest.inspect.aws import ClientSource


class AlarmNotFound(LookupError):
    """Raised by every property but `exists` when the alarm is not there."""


def alarm_names(clients: ClientSource, prefix: str) -> list[str]:
    """Names of the metric alarms whose name starts with `prefix`, sorted."""
    pages = clients.client("cloudwatch").get_paginator("describe_alarms")
    found = pages.paginate(AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm"])
    return sorted(a["AlarmName"] for page in found for a in page.get("MetricAlarms", []))


class Alarm(View):
    """`aws.alarm(name)`: what a metric alarm watches and whom it notifies."""

    kind = "alarm"
    service = "cloudwatch"
    not_found = AlarmNotFound

    def _fetch(self) -> dict[str, Any] | None:
        found = self._client.describe_alarms(AlarmNames=[self.ref], AlarmTypes=["MetricAlarm"])
        return next(iter(found.get("MetricAlarms", [])), None)

    @property
    def arn(self) -> str:
        return self._describe()["AlarmArn"]

    @property
    def namespace(self) -> str:
        return self._describe()["Namespace"]

    @property
    def metric(self) -> str:
        return self._describe()["MetricName"]

    @property
    def dimensions(self) -> dict[str, str]:
        return {d["Name"]: d["Value"] for d in self._describe().get("Dimensions", [])}

    @property
    def statistic(self) -> str | None:
        return self._describe().get("Statistic")

    @property
    def comparison(self) -> str:
        return self._describe()["ComparisonOperator"]

    @property
    def threshold(self) -> float:
        return float(self._describe()["Threshold"])

    @property
    def treat_missing_data(self) -> str:
        """`missing` when unset: that is what CloudWatch does by default."""
        return str(self._describe().get("TreatMissingData") or "missing")

    @property
    def actions_enabled(self) -> bool:
        return bool(self._describe().get("ActionsEnabled"))

    @property
    def actions(self) -> dict[str, list[str]]:
        """ARNs notified on each state change: `{"alarm": [...], "ok": [...], "insufficient_data": [...]}`."""
        alarm = self._describe()
        return {
            "alarm": sorted(alarm.get("AlarmActions", [])),
            "ok": sorted(alarm.get("OKActions", [])),
            "insufficient_data": sorted(alarm.get("InsufficientDataActions", [])),
        }

    def notifies(self, arn: str) -> bool:
        """Actions are enabled and `arn` is told both when the alarm fires and when it recovers."""
        actions = self.actions
        return self.actions_enabled and arn in actions["alarm"] and arn in actions["ok"]

    @property
    def tags(self) -> dict[str, str]:
        return tag_map(self._client.list_tags_for_resource(ResourceARN=self.arn).get("Tags", []))
