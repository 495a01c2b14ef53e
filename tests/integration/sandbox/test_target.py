"""The aws target's options, credentials, environment and provider settings, with moto standing in."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stratatest.errors import ConfigError
from stratatest.secrets import MASK, redact
from stratatest.targets import make_target, target_class
from stratatest.targets.aws import AwsTarget, session_name

from .conftest import MOTO_ACCOUNT, Call

Recorded = Callable[[], AbstractContextManager[list[Call]]]
ROLE = f"arn:aws:iam::{MOTO_ACCOUNT}:role/sandbox-runner"


def test_registered_as_the_sandbox_layer() -> None:
    cls = target_class("aws:account=111122223333")
    assert cls is AwsTarget
    assert (cls.name, cls.layer) == ("aws", "sandbox")
    assert set(cls.OPTIONS) == {
        "account",
        "profile",
        "role_arn",
        "external_id",
        "duration",
        "allowlist",
        "owner",
        "ttl_hours",
        "max_minutes",
        "endpoint",
        "ca_bundle",
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("account=12345", "aws: account='12345' is not allowed — give 12 digits"),
        ("account=1234567890123", "aws: account='1234567890123' is not allowed"),
        ("role_arn=admin", "aws: role_arn='admin' is not allowed — give a role ARN"),
        (f"role_arn={ROLE},duration=899", "aws: duration='899' is not allowed — give a whole number from 900 to 43200"),
        (f"role_arn={ROLE},duration=43201", "duration='43201' is not allowed"),
        (f"role_arn={ROLE},external_id=x", "aws: external_id='x' is not allowed"),
        ("duration=3600", "aws: external_id and duration go with role_arn"),
        ("ttl_hours=0", "aws: ttl_hours='0' is not allowed — give a whole number from 1 to 720"),
        ("max_minutes=two", "aws: max_minutes='two' is not allowed — give a whole number from 1 to 690"),
        ("max_minutes=691", "aws: max_minutes='691' is not allowed"),
        (f"role_arn={ROLE},duration=3600", "aws: duration=3600 ends the role session before the run's cap (7200 s)"),
        ("owner=a\\b", "aws: owner='a\\\\b' is not allowed — give a tag value"),
        ("profile=", "aws: profile='' is not allowed"),
        ("endpoint=https://sts.amazonaws.com", "aws: endpoint='https://sts.amazonaws.com' is not allowed"),
        ("endpoint=https://10.0.0.1:4566", "give a loopback emulator"),
        ("endpoint=https://127.0.0.1", "aws: endpoint='https://127.0.0.1' is not allowed"),
        ("ca_bundle=/etc/hostname", "aws: ca_bundle='/etc/hostname' is not allowed — give an existing certificate"),
    ],
)
def test_bad_option_is_one_line_naming_it(tmp_path: Path, options: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        make_target(f"aws:{options}", workdir=tmp_path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_real_account_settings_skip_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Built, not started: no call is made, and Terraform is pinned to the account."""
    monkeypatch.setenv("USER", "nightly-ci")
    before = time.time()
    target = make_target(
        "aws:account=111122223333,role_arn=arn:aws:iam::111122223333:role/runner,ttl_hours=6,max_minutes=90",
        workdir=tmp_path,
        region="eu-west-1",
        run_id="r1",
    )
    settings = target.provider_settings()
    assert settings.region == "eu-west-1"
    assert settings.endpoint_url is None
    assert settings.attributes == {"allowed_account_ids": ["111122223333"]}
    assert target.describe() == {
        "name": "aws",
        "region": "eu-west-1",
        "layer": "sandbox",
        "account": "111122223333",
        "role_arn": "arn:aws:iam::111122223333:role/runner",
    }

    tags = target.default_tags()
    assert tags["stratatest:owner"] == "nightly-ci"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", tags["stratatest:expires"])
    expires = datetime.strptime(tags["stratatest:expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    expected = datetime.fromtimestamp(before, UTC) + timedelta(hours=6)
    assert abs(expires - expected) < timedelta(seconds=5)
    assert target.deadline is not None
    assert before + 90 * 60 <= target.deadline <= time.time() + 90 * 60


def test_stand_in_env_and_provider_settings(make_aws: Callable[..., AwsTarget], caller_env: dict[str, str]) -> None:
    target = make_aws(owner="ci-bot")
    target.preflight()
    env = target.env()
    assert env == {
        "AWS_ACCESS_KEY_ID": caller_env["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": caller_env["AWS_SECRET_ACCESS_KEY"],
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": target.endpoint,
        "AWS_CA_BUNDLE": str(target.ca_bundle),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    settings = target.provider_settings()
    assert settings.endpoint_url == target.endpoint
    assert settings.attributes == {
        "allowed_account_ids": [MOTO_ACCOUNT],
        "skip_metadata_api_check": True,
        "s3_use_path_style": True,
        "custom_ca_bundle": str(target.ca_bundle),
    }
    assert target.describe()["endpoint"] == target.endpoint
    assert target.default_tags()["stratatest:owner"] == "ci-bot"


def test_credentials_are_masked_everywhere(make_aws: Callable[..., AwsTarget], caller_env: dict[str, str]) -> None:
    target = make_aws()
    target.preflight()
    secret = caller_env["AWS_SECRET_ACCESS_KEY"]
    assert redact(f"terraform said: bad signature for {secret}!") == f"terraform said: bad signature for {MASK}!"
    assert secret not in str(target.describe())


def test_assume_role_with_the_run_id_in_the_session_name(
    make_aws: Callable[..., AwsTarget], recorded: Recorded
) -> None:
    target = make_aws(
        role_arn=ROLE, external_id="nightly-ext-1", duration="1800", max_minutes="30", run_id="nightly:2024/05 #7"
    )
    with recorded() as calls:
        target.preflight()
    assume = [c for c in calls if c.action == "AssumeRole"]
    assert len(assume) == 1
    assert assume[0].params["RoleSessionName"] == "stratatest-nightly-2024-05--7"
    assert assume[0].params["ExternalId"] == "nightly-ext-1"
    assert assume[0].params["DurationSeconds"] == "1800"

    identity = target.client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{MOTO_ACCOUNT}:assumed-role/sandbox-runner/stratatest-nightly-2024-05--7"

    env = target.env()
    assert env["AWS_SESSION_TOKEN"]
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert redact(f"value={env[name]}.") == f"value={MASK}."
    assert redact(f"[{env['AWS_SESSION_TOKEN']}]") == f"[{MASK}]"


def test_role_session_outlives_the_cap_by_default(make_aws: Callable[..., AwsTarget]) -> None:
    assert make_aws(role_arn=ROLE, max_minutes="60").duration == 60 * 60 + 30 * 60
    assert make_aws(role_arn=ROLE).duration == 120 * 60 + 30 * 60
    assert make_aws(role_arn=ROLE, max_minutes="690").duration == 43200


def test_session_name_keeps_to_what_aws_allows() -> None:
    assert session_name("abc-123") == "stratatest-abc-123"
    assert session_name("a b/c:d") == "stratatest-a-b-c-d"
    long = session_name("x" * 100)
    assert len(long) == 64 and long.startswith("stratatest-x")
