"""The sandbox guard: each rule refuses with its own one-line message, before any call that changes the
account; a stand-in account that is on the allowlist passes."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from stratatest.errors import SandboxRefused, TargetError
from stratatest.targets.aws import AwsTarget

from .conftest import ALLOWLIST, MOTO_ACCOUNT, Call

Recorded = Callable[[], AbstractContextManager[list[Call]]]


def _refused(target: AwsTarget, recorded: Recorded, rule: str) -> tuple[str, list[Call]]:
    """The refusal's message and what reached the account meanwhile; the target stays unusable."""
    with recorded() as calls, pytest.raises(SandboxRefused) as refusal:
        target.preflight()
    message = str(refusal.value)
    assert message.startswith(f"sandbox guard refused ({rule}): "), message
    assert "\n" not in message
    with pytest.raises(TargetError, match="guard has not passed"):
        target.client("s3")
    with pytest.raises(TargetError, match="guard has not passed"):
        target.env()
    return message, calls


def test_opt_in_refused_without_an_account(make_aws: Callable[..., AwsTarget], recorded: Recorded) -> None:
    message, calls = _refused(make_aws(account=None), recorded, "opt-in")
    assert "a real account is used only when the run names it: --target aws:account=ID" in message
    assert calls == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("allow: [unclosed\n", "invalid YAML at line"),
        ("- just a list\n", "expected a mapping with an 'allow' list"),
        (ALLOWLIST.replace("deny:", "allow: []\ndeny:"), "duplicate key 'allow'"),
        (ALLOWLIST.replace(f'"{MOTO_ACCOUNT}"', MOTO_ACCOUNT), "account must be a quoted string of 12 digits"),
        (ALLOWLIST.replace('"210987654321"', '"21098765432"'), "allow #2: account '21098765432' is not 12 digits"),
        (ALLOWLIST.replace("    name: moto\n", "    name: moto\n    owner: me\n"), "unknown key 'owner'"),
        (ALLOWLIST.replace("regions: [us-east-1, eu-west-1]", "regions: []"), "regions must be a non-empty list"),
        (ALLOWLIST.replace("regions: [us-east-1]", "regions: [mars]"), "'mars' is not a region name"),
        (ALLOWLIST + "extra: 1\n", "unknown key 'extra'"),
        (ALLOWLIST + '  - {account: "999999999999", name: again}\n', "deny #2: account 999999999999 is listed twice"),
        (ALLOWLIST.replace("    name: production\n", ""), "deny #1: 'name' is missing"),
    ],
    ids=[
        "not-yaml",
        "not-a-mapping",
        "duplicate-key",
        "unquoted-id",
        "short-id",
        "unknown-entry-key",
        "empty-regions",
        "bad-region",
        "unknown-top-key",
        "listed-twice",
        "missing-name",
    ],
)
def test_malformed_allowlist_refused(
    make_aws: Callable[..., AwsTarget], recorded: Recorded, tmp_path: Path, text: str, fragment: str
) -> None:
    path = tmp_path / "malformed.yaml"
    path.write_text(text, encoding="utf-8")
    message, calls = _refused(make_aws(allowlist=str(path)), recorded, "allowlist")
    assert fragment in message
    assert calls == []


def test_missing_allowlist_refused(
    make_aws: Callable[..., AwsTarget],
    recorded: Recorded,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message, _ = _refused(make_aws(allowlist=str(tmp_path / "absent.yaml")), recorded, "allowlist")
    assert "absent.yaml: no such file" in message

    monkeypatch.setenv("STRATATEST_SANDBOX_ACCOUNTS", str(tmp_path / "absent-too.yaml"))
    message, _ = _refused(make_aws(allowlist=None), recorded, "allowlist")
    assert "STRATATEST_SANDBOX_ACCOUNTS=" in message and "no such file" in message

    monkeypatch.delenv("STRATATEST_SANDBOX_ACCOUNTS")
    nowhere = tmp_path / "empty" / "deeper"
    nowhere.mkdir(parents=True)
    monkeypatch.chdir(nowhere)
    message, calls = _refused(make_aws(allowlist=None), recorded, "allowlist")
    assert "no sandbox-accounts.yaml in" in message
    assert calls == []


def test_allowlist_found_by_environment_or_above_the_working_directory(
    make_aws: Callable[..., AwsTarget], allowlist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    below = tmp_path / "repo" / "tests"
    below.mkdir(parents=True)
    (tmp_path / "repo" / "sandbox-accounts.yaml").write_text(ALLOWLIST, encoding="utf-8")
    monkeypatch.chdir(below)
    make_aws(allowlist=None).preflight()

    monkeypatch.chdir(tmp_path.parent)
    monkeypatch.setenv("STRATATEST_SANDBOX_ACCOUNTS", str(allowlist))
    make_aws(allowlist=None).preflight()


def test_account_not_allowed_refused(make_aws: Callable[..., AwsTarget], recorded: Recorded) -> None:
    message, calls = _refused(make_aws(account="333333333333"), recorded, "allowed")
    assert "account 333333333333 is not on the allow list of" in message
    assert calls == []


def test_denied_account_refused_even_when_allowed(
    make_aws: Callable[..., AwsTarget], recorded: Recorded, tmp_path: Path
) -> None:
    path = tmp_path / "both.yaml"
    path.write_text(ALLOWLIST + f'  - account: "{MOTO_ACCOUNT}"\n    name: prod-by-mistake\n', encoding="utf-8")
    message, calls = _refused(make_aws(allowlist=str(path)), recorded, "allowed")
    assert f"account {MOTO_ACCOUNT} (prod-by-mistake) is on the deny list of" in message
    assert calls == []


def test_region_not_allowed_refused(make_aws: Callable[..., AwsTarget], recorded: Recorded) -> None:
    message, calls = _refused(make_aws(region="ap-south-1"), recorded, "region")
    assert f"region ap-south-1 is not allowed for account {MOTO_ACCOUNT} (moto)" in message
    assert "allowed us-east-1, eu-west-1" in message
    assert calls == []


def test_an_alias_in_a_region_not_allowed_is_refused(make_aws: Callable[..., AwsTarget], recorded: Recorded) -> None:
    target = make_aws()
    target.preflight()
    target.allow_region("eu-west-1")  # on the allowlist: nothing to say
    with pytest.raises(SandboxRefused, match="a provider alias uses region ap-south-1, which is not allowed"):
        target.allow_region("ap-south-1")


def test_credentials_of_another_account_refused(make_aws: Callable[..., AwsTarget], recorded: Recorded) -> None:
    """210987654321 is allowed, but the credentials answer for moto's account: only STS was asked."""
    message, calls = _refused(make_aws(account="210987654321"), recorded, "identity")
    assert f"the credentials answer for account {MOTO_ACCOUNT}, not 210987654321" in message
    assert [(c.service, c.action) for c in calls] == [("sts", "GetCallerIdentity")]


def test_assumed_role_in_another_account_refused(make_aws: Callable[..., AwsTarget], recorded: Recorded) -> None:
    message, calls = _refused(make_aws(role_arn="arn:aws:iam::210987654321:role/runner"), recorded, "identity")
    assert f"answer for account 210987654321, not {MOTO_ACCOUNT}" in message
    assert [(c.service, c.action) for c in calls] == [("sts", "AssumeRole"), ("sts", "GetCallerIdentity")]


def test_no_credentials_refused(
    make_aws: Callable[..., AwsTarget], recorded: Recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    message, calls = _refused(make_aws(), recorded, "identity")
    assert "no usable credentials: Unable to locate credentials" in message
    assert calls == []


def test_profile_that_does_not_exist_refused(make_aws: Callable[..., AwsTarget], recorded: Recorded) -> None:
    message, calls = _refused(make_aws(profile="nightly"), recorded, "identity")
    assert "no usable credentials: The config profile (nightly) could not be found" in message
    assert calls == []


def test_refusal_never_shows_credentials(
    make_aws: Callable[..., AwsTarget], recorded: Recorded, caller_env: dict[str, str]
) -> None:
    message, _ = _refused(make_aws(account="210987654321"), recorded, "identity")
    assert caller_env["AWS_ACCESS_KEY_ID"] not in message
    assert caller_env["AWS_SECRET_ACCESS_KEY"] not in message


def test_stand_in_account_passes_with_one_read_only_call(
    make_aws: Callable[..., AwsTarget], recorded: Recorded
) -> None:
    target = make_aws()
    with recorded() as calls:
        target.preflight()
    assert [(c.service, c.action) for c in calls] == [("sts", "GetCallerIdentity")]
    target.client("s3").list_buckets()  # usable once the guard has passed

    with recorded() as calls:
        target.start()  # the guard again
    assert [(c.service, c.action) for c in calls] == [("sts", "GetCallerIdentity")]
    target.stop()
    target.stop()


def test_a_failed_recheck_revokes_the_target(
    make_aws: Callable[..., AwsTarget], recorded: Recorded, allowlist: Path
) -> None:
    target = make_aws()
    target.preflight()
    allowlist.write_text(ALLOWLIST.replace(f'"{MOTO_ACCOUNT}"', '"111111111111"'), encoding="utf-8")
    _refused(target, recorded, "allowed")
