"""The provider block names no endpoint: the target's endpoint reaches every service through terraform's
environment. A module reading three services at plan time gets each answer from the target, none from AWS."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.plan

MODULE = Path(__file__).resolve().parent / "reads_services"


def test_every_service_a_plan_reads_answers_from_the_target(target, harness, unique_name) -> None:
    parameter, queue = f"/{unique_name('probe')}", unique_name("q")
    target.client("ssm").put_parameter(Name=parameter, Value="from-the-target", Type="String")
    url = target.client("sqs").create_queue(QueueName=queue)["QueueUrl"]
    try:
        plan = harness.plan(MODULE, {"parameter": parameter})
        assert plan.output("parameter") == "from-the-target"  # ssm
        assert plan.output("account_id") == target.client("sts").get_caller_identity()["Account"]  # sts
        assert url in plan.output("queues")  # sqs
    finally:
        target.client("ssm").delete_parameter(Name=parameter)
        target.client("sqs").delete_queue(QueueUrl=url)
