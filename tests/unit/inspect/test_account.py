"""Account view against moto's in-memory IAM and EC2: password policy, EBS defaults, over-broad grants."""

from __future__ import annotations

import json

import pytest

from stratatest.inspect.account import Account, PasswordPolicy

BASELINE = {
    "MinimumPasswordLength": 14,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "AllowUsersToChangePassword": True,
    "MaxPasswordAge": 90,
    "PasswordReusePrevention": 24,
    "HardExpiry": False,
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def document(action: str, resource: str) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
    )


@pytest.fixture
def iam(aws):
    return aws.client("iam")


def test_repr_names_the_region(aws):
    assert repr(aws.account) == "<account us-east-1>"


def test_no_password_policy(aws):
    assert aws.account.password_policy is None


def test_baseline_password_policy_meets_the_baseline(aws, iam):
    iam.update_account_password_policy(**BASELINE)
    policy = aws.account.password_policy
    assert policy is not None
    assert policy.minimum_length == 14
    assert policy.reuse_prevention == 24
    assert policy.max_age_days == 90
    assert policy.requires_every_character_class
    assert policy.meets(min_length=14)
    assert not policy.meets(min_length=16)


@pytest.mark.parametrize(
    "weaker",
    [
        {"MinimumPasswordLength": 8},
        {"RequireSymbols": False},
        {"PasswordReusePrevention": 5},
        {"MaxPasswordAge": 365},
        {"MaxPasswordAge": None},  # without a maximum age passwords never expire
    ],
    ids=["short", "no-symbols", "little-reuse-prevention", "expires-late", "never-expires"],
)
def test_weaker_password_policy_does_not_meet_the_baseline(aws, iam, weaker):
    settings = {k: v for k, v in {**BASELINE, **weaker}.items() if v is not None}
    iam.update_account_password_policy(**settings)
    policy = aws.account.password_policy
    assert policy is not None
    assert not policy.meets()


def test_ebs_encryption_by_default(aws):
    assert not aws.account.ebs_encryption_by_default
    aws.client("ec2").enable_ebs_encryption_by_default()
    assert aws.account.ebs_encryption_by_default


class StubEC2:
    """An EC2 client answering GetEbsDefaultKmsKeyId as AWS does (moto 5.2.5 does not implement it)."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id

    def client(self, service: str) -> StubEC2:
        return self

    def get_ebs_default_kms_key_id(self) -> dict[str, str]:
        return {"KmsKeyId": self.key_id}


def test_ebs_default_kms_key_id():
    arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert Account(StubEC2(arn), "us-east-1").ebs_default_kms_key_id == arn


def test_customer_policies_with_wildcard_admin(aws, iam):
    admin = iam.create_policy(PolicyName="admin", PolicyDocument=document("*", "*"))["Policy"]["Arn"]
    iam.create_policy(PolicyName="logs", PolicyDocument=document("logs:*", "*"))
    scoped = iam.create_policy(PolicyName="was-admin", PolicyDocument=document("*", "*"))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=scoped, PolicyDocument=document("s3:GetObject", "*"), SetAsDefault=True)
    assert aws.account.customer_policies_with_wildcard_admin == [admin]  # only default versions count


def test_roles_with_admin_attached(aws, iam, monkeypatch):
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # read when moto first builds IAM
    for role in ("admin", "power", "scoped"):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.attach_role_policy(RoleName="admin", PolicyArn="arn:aws:iam::aws:policy/IAMFullAccess")
    iam.attach_role_policy(RoleName="power", PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")
    iam.attach_role_policy(RoleName="scoped", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert aws.account.roles_with_admin_attached == {  # "scoped" and its read-only policy are not listed
        "admin": ["AdministratorAccess", "IAMFullAccess"],
        "power": ["PowerUserAccess"],
    }


def test_password_policy_from_api_without_expiry():
    policy = PasswordPolicy.from_api({**BASELINE, "ExpirePasswords": False})
    assert policy.max_age_days is None
    assert not policy.meets()
