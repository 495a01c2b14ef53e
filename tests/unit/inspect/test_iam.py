"""IAMRole view against moto's in-memory IAM: each yes/no property, both ways."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from stratatest.inspect.iam import is_wildcard_admin

NAME = "flow-logs"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
SCOPED = {
    "Effect": "Allow",
    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/x:*",
}


def document(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def iam(aws):
    client = aws.client("iam")
    client.create_role(RoleName=NAME, AssumeRolePolicyDocument=json.dumps(TRUST), Tags=[{"Key": "owner", "Value": "p"}])
    return client


@pytest.fixture
def role(aws, iam):
    return aws.iam_role(NAME)


def test_repr_names_the_role(aws):
    assert repr(aws.iam_role("r")) == "<iam_role r>"


def test_exists(aws, role):
    assert role.exists
    assert role.arn.endswith(f":role/{NAME}")
    assert role.tags == {"owner": "p"}
    assert not aws.iam_role("no-such-role").exists


def test_missing_role_is_an_error_not_a_no(aws):
    with pytest.raises(ClientError, match="NoSuchEntity"):
        _ = aws.iam_role("no-such-role").has_wildcard_admin


def test_trust_policy(role):
    assert role.assume_role_policy["Statement"][0]["Action"] == "sts:AssumeRole"
    assert role.trusted_services == ["vpc-flow-logs.amazonaws.com"]


def test_service_trust_has_no_federation_and_no_conditions(role):
    assert role.trusted_federated == []
    assert role.trust_conditions == [{}]


def test_irsa_trust(aws, iam):
    provider = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
    issuer = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:sub": "system:serviceaccount:logging:fluent-bit",
                        f"{issuer}:aud": "sts.amazonaws.com",
                    }
                },
            },
            {"Effect": "Deny", "Principal": {"Federated": "arn:aws:iam::123456789012:saml-provider/x"}, "Action": "*"},
        ],
    }
    iam.create_role(RoleName="irsa", AssumeRolePolicyDocument=json.dumps(trust))
    role = aws.iam_role("irsa")
    assert role.trusted_federated == [provider]  # the Deny statement's principal is not trusted
    assert role.trusted_services == []
    assert role.trust_conditions == [
        {
            "StringEquals": {
                f"{issuer}:sub": ["system:serviceaccount:logging:fluent-bit"],
                f"{issuer}:aud": ["sts.amazonaws.com"],
            }
        }
    ]


def test_no_policies(role):
    assert role.inline_policies == {}
    assert role.attached_policy_arns == []
    assert not role.has_wildcard_admin
    assert not role.has_admin_access_attached


def test_scoped_inline_policy(iam, role):
    iam.put_role_policy(RoleName=NAME, PolicyName="write", PolicyDocument=document(SCOPED))
    assert list(role.inline_policies) == ["write"]
    assert role.inline_policies["write"]["Statement"][0]["Action"] == SCOPED["Action"]
    assert not role.has_wildcard_admin


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Action": ["logs:PutLogEvents", "*"], "Resource": ["*"]},
    ],
    ids=["string", "in-a-list"],
)
def test_wildcard_inline_policy(iam, role, statement):
    iam.put_role_policy(RoleName=NAME, PolicyName="admin", PolicyDocument=document(SCOPED, statement))
    assert role.has_wildcard_admin


def test_wildcard_in_an_attached_customer_policy(iam, role):
    arn = iam.create_policy(
        PolicyName="too-broad", PolicyDocument=document({"Effect": "Allow", "Action": "*", "Resource": "*"})
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=NAME, PolicyArn=arn)
    assert role.attached_policy_arns == [arn]
    assert role.has_wildcard_admin
    assert not role.has_admin_access_attached


def test_scoped_attached_customer_policy(iam, role):
    arn = iam.create_policy(PolicyName="scoped", PolicyDocument=document(SCOPED))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=NAME, PolicyArn=arn)
    assert not role.has_wildcard_admin


class StubIAM:
    """An IAM client answering as AWS does for a role with AdministratorAccess attached."""

    def client(self, service):
        return self

    def get_paginator(self, operation):
        pages = {
            "list_role_policies": [{"PolicyNames": []}],
            "list_attached_role_policies": [
                {"AttachedPolicies": [{"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}
            ],
        }[operation]
        return type("Paginator", (), {"paginate": lambda self, **kw: pages})()

    def get_policy(self, PolicyArn):
        raise ClientError({"Error": {"Code": "NoSuchEntity", "Message": "not carried"}}, "GetPolicy")


def test_administrator_access_attached():
    from stratatest.inspect.iam import IAMRole

    role = IAMRole(StubIAM(), "admin")
    assert role.has_admin_access_attached
    assert role.has_wildcard_admin


@pytest.mark.parametrize(
    ("statement", "admin"),
    [
        ({"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}, True),
        ({"Effect": "Deny", "Action": ["*"], "Resource": ["*"]}, False),
        ({"Effect": "Allow", "Action": ["logs:*"], "Resource": ["*"]}, False),
        ({"Effect": "Allow", "Action": ["*"], "Resource": ["arn:aws:s3:::b"]}, False),
        ({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": ["*"]}, False),
    ],
    ids=["star-star", "deny", "service-wildcard", "one-resource", "not-action"],
)
def test_is_wildcard_admin(statement, admin):
    assert is_wildcard_admin(statement) is admin
