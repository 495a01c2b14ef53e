"""SDK retries that reach moto: the server's request log, and the sdk_retry_replay correction.

An SDK sends every attempt of one call with the same `amz-sdk-invocation-id` and `amz-sdk-request: attempt=N`.
When moto has already run attempt 1 and the SDK never got the answer, plain moto runs the retry again, so a create
fails with AlreadyExists. The "gap" test pins that; when it fails after a moto upgrade, drop the correction.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stratatest.targets.moto import MotoTarget

#: The replaying server holds attempt 1 of every CreateOpenIDConnectProvider this long (its test hook), ...
HOLD_S = 4.0
#: ... longer than the client waits for an answer, so the SDK retries while attempt 1 still runs; the retry's
#: own timeout (READ_TIMEOUT_S after it is sent) leaves it 2 s to be answered once attempt 1 is done.
READ_TIMEOUT_S = 3.0
ALREADY_EXISTS = "InvalidLaunchTemplateName.AlreadyExistsException"


@pytest.fixture(scope="module")
def plain(start_moto: Callable[..., MotoTarget]) -> MotoTarget:
    return start_moto(corrections="none")


@pytest.fixture(scope="module")
def replaying(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoTarget]:
    """Every correction, and attempt 1 of every CreateOpenIDConnectProvider held HOLD_S seconds."""
    target = MotoTarget(
        workdir=tmp_path_factory.mktemp("moto-replay"),
        server_args=[f"--hold-first-attempt=CreateOpenIDConnectProvider={HOLD_S}"],
    )
    try:
        target.start()
        yield target
    finally:
        target.stop()


def _attempt(target: MotoTarget, service: str, call: str, attempt: int) -> Any:
    """A client whose requests carry the headers of attempt `attempt` of SDK call `call`, as an SDK retry sends them."""
    client = target.client(service, max_attempts=1)

    def stamp(request: Any, **_: Any) -> None:
        request.headers["amz-sdk-invocation-id"] = call
        request.headers["amz-sdk-request"] = f"attempt={attempt}; max=3"

    client.meta.events.register("before-send", stamp)
    return client


def _create_template(client: Any, name: str) -> dict[str, Any]:
    template = client.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"InstanceType": "t3.micro"})
    return dict(template["LaunchTemplate"])


def _template_ids(target: MotoTarget, name: str) -> list[str]:
    templates = target.client("ec2").describe_launch_templates(LaunchTemplateNames=[name])["LaunchTemplates"]
    return [t["LaunchTemplateId"] for t in templates]


def _error_code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def _attempts(lines: list[dict[str, Any]]) -> list[tuple[int, int, bool]]:
    """(attempt, status, replayed) of each request-log line, by attempt."""
    return sorted((line["attempt"], line["status"], line.get("replayed", False)) for line in lines)


def test_gap_retry_runs_again_on_plain_moto(plain: MotoTarget) -> None:
    name, call, offset = f"retry-{uuid.uuid4().hex[:8]}", str(uuid.uuid4()), plain.requests_offset()
    _create_template(_attempt(plain, "ec2", call, 1), name)

    with pytest.raises(ClientError) as err:
        _create_template(_attempt(plain, "ec2", call, 2), name)

    assert _error_code(err) == ALREADY_EXISTS
    # The request log tells an SDK retry (one call, two attempts) from a second call.
    assert _attempts(plain.retried_operations(offset)[call]) == [(1, 200, False), (2, 400, False)]


def test_retry_gets_the_answer_of_the_attempt_moto_ran(replaying: MotoTarget) -> None:
    name, call, offset = f"retry-{uuid.uuid4().hex[:8]}", str(uuid.uuid4()), replaying.requests_offset()
    first = _create_template(_attempt(replaying, "ec2", call, 1), name)

    again = _create_template(_attempt(replaying, "ec2", call, 2), name)

    assert again == first
    assert _template_ids(replaying, name) == [first["LaunchTemplateId"]]
    assert _attempts(replaying.retried_operations(offset)[call]) == [(1, 200, False), (2, 200, True)]


def test_another_call_still_finds_the_template(replaying: MotoTarget) -> None:
    name = f"retry-{uuid.uuid4().hex[:8]}"
    first = _create_template(_attempt(replaying, "ec2", str(uuid.uuid4()), 1), name)

    for attempt in (1, 2):  # a new call, or a retry of a call moto never ran: both run, as on AWS
        with pytest.raises(ClientError) as err:
            _create_template(_attempt(replaying, "ec2", str(uuid.uuid4()), attempt), name)
        assert _error_code(err) == ALREADY_EXISTS
    assert _template_ids(replaying, name) == [first["LaunchTemplateId"]]


def test_retry_of_a_failed_attempt_runs_again(replaying: MotoTarget) -> None:
    name, call = f"retry-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    existing = _create_template(replaying.client("ec2"), name)
    with pytest.raises(ClientError):
        _create_template(_attempt(replaying, "ec2", call, 1), name)  # fails: the name is taken
    replaying.client("ec2").delete_launch_template(LaunchTemplateName=name)

    retried = _create_template(_attempt(replaying, "ec2", call, 2), name)

    assert retried["LaunchTemplateId"] != existing["LaunchTemplateId"]
    assert _template_ids(replaying, name) == [retried["LaunchTemplateId"]]


def test_retry_waits_for_an_attempt_still_running(replaying: MotoTarget) -> None:
    # botocore itself times out on the held attempt 1 and retries, with its own invocation id and attempt=2.
    iam = replaying.client("iam", max_attempts=2, read_timeout=READ_TIMEOUT_S)
    iam.list_open_id_connect_providers()  # IAM's first request loads its managed policies: keep that out of the race
    url, offset = f"https://oidc.example.com/id/{uuid.uuid4().hex}", replaying.requests_offset()

    arn = iam.create_open_id_connect_provider(Url=url, ClientIDList=["sts.amazonaws.com"])["OpenIDConnectProviderArn"]

    listed = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert listed.count(arn) == 1
    (lines,) = replaying.retried_operations(offset).values()
    assert _attempts(lines) == [(1, 200, False), (2, 200, True)]
    first, retry = sorted(lines, key=lambda line: line["attempt"])
    assert first["ms"] >= HOLD_S * 1000
    assert retry["time"] < first["time"] + first["ms"] / 1000, "the retry should arrive while attempt 1 runs"


def test_request_log_has_a_line_per_request(plain: MotoTarget) -> None:
    offset = plain.requests_offset()
    plain.client("ssm").put_parameter(Name=f"/retry/{uuid.uuid4().hex}", Value="s3cr3t-value", Type="SecureString")
    plain.http_client("eks").list_clusters()
    with pytest.raises(ClientError):
        plain.client("ec2", max_attempts=1).describe_launch_templates(LaunchTemplateNames=["no-such-template"])

    lines, _ = plain.requests_since(offset)

    assert [(line["scheme"], line["service"], line.get("action"), line["status"]) for line in lines] == [
        ("https", "ssm", "PutParameter", 200),
        ("http", "eks", None, 200),  # a REST route names no action
        ("https", "ec2", "DescribeLaunchTemplates", 400),
    ]
    for line in lines:
        assert re.fullmatch(r"[0-9a-f-]{36}", line["invocation_id"])
        assert line["attempt"] == 1
        assert line["ms"] >= 0 and line["time"] > 0
        assert line["method"] in ("GET", "POST") and line["path"].startswith("/")
    assert "s3cr3t-value" not in plain.requests_file.read_text(encoding="utf-8")
