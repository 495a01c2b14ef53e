"""Policy helpers: different spellings of one statement must normalise to one meaning."""

from __future__ import annotations

import json

import pytest

from stratatest.inspect import policy as pol

BUCKET = "arn:aws:s3:::my-bucket"
OBJECTS = "arn:aws:s3:::my-bucket/*"


def test_as_list():
    assert pol.as_list(None) == []
    assert pol.as_list("s3:*") == ["s3:*"]
    assert pol.as_list(["a", "b"]) == ["a", "b"]
    assert pol.as_list(("a",)) == ["a"]


def test_statements_accepts_json_text_single_statement_and_none():
    doc = {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": BUCKET}}
    [stmt] = pol.statements(json.dumps(doc))
    assert stmt["Action"] == ["s3:*"]
    assert stmt["Resource"] == [BUCKET]
    assert pol.statements(None) == []
    assert pol.statements({"Version": "2012-10-17"}) == []


def test_normalise_statement_lists_principals_and_conditions():
    stmt = pol.normalise_statement(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root", "Service": ["s3.amazonaws.com"]},
            "NotAction": "iam:*",
            "NotResource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": False}, "NumericLessThan": {"s3:TlsVersion": 1.2}},
        }
    )
    assert stmt["Principal"] == {"AWS": ["arn:aws:iam::123456789012:root"], "Service": ["s3.amazonaws.com"]}
    assert stmt["NotAction"] == ["iam:*"]
    assert stmt["NotResource"] == ["*"]
    assert stmt["Condition"] == {
        "Bool": {"aws:SecureTransport": ["false"]},
        "NumericLessThan": {"s3:TlsVersion": ["1.2"]},
    }


def test_original_statement_is_not_mutated():
    raw = {"Action": "s3:*"}
    pol.normalise_statement(raw)
    assert raw == {"Action": "s3:*"}


@pytest.mark.parametrize(
    ("principal", "public"),
    [
        ("*", True),
        ({"AWS": "*"}, True),
        ({"AWS": ["*"]}, True),
        ({"AWS": ["arn:aws:iam::123456789012:root", "*"]}, True),
        ({"AWS": "arn:aws:iam::123456789012:root"}, False),
        ({"Service": "*"}, False),
    ],
)
def test_is_public_principal(principal, public):
    assert pol.is_public_principal({"Principal": principal}) is public


def test_not_principal_or_no_principal_is_not_public():
    assert pol.is_public_principal({"NotPrincipal": "*"}) is False
    assert pol.is_public_principal({}) is False


def test_normalise_principal_rejects_garbage():
    with pytest.raises(ValueError):
        pol.normalise_principal(["*"])


def test_condition_values_key_case_insensitive_operator_exact():
    stmt = {"Condition": {"Bool": {"AWS:securetransport": "false"}}}
    assert pol.condition_values(stmt, "Bool", "aws:SecureTransport") == ["false"]
    assert pol.condition_values(stmt, "bool", "aws:SecureTransport") is None
    assert pol.condition_values(stmt, "Bool", "aws:MultiFactorAuthPresent") is None
    assert pol.condition_values({}, "Bool", "aws:SecureTransport") is None
    assert pol.condition_values(
        {"Condition": {"Bool": {"aws:SecureTransport": [True, "x"]}}}, "Bool", "aws:securetransport"
    ) == ["true", "x"]


def test_condition_keys():
    stmt = {"Condition": {"Bool": {"a": "1", "b": "2"}, "StringEquals": {"c": "3"}}}
    assert pol.condition_keys(stmt) == [("Bool", "a"), ("Bool", "b"), ("StringEquals", "c")]
    assert pol.condition_keys({}) == []


@pytest.mark.parametrize(
    ("pattern", "target", "expected"),
    [
        (BUCKET, BUCKET, True),
        ("*", BUCKET, True),
        ("arn:aws:s3:::my-*", BUCKET, True),
        ("arn:aws:s3:::other", BUCKET, False),
        (OBJECTS, OBJECTS, True),
        ("arn:aws:s3:::my-bucket*", OBJECTS, True),
        ("*", OBJECTS, True),
        ("arn:aws:s3:::my-bucket/logs/*", OBJECTS, False),
        ("arn:aws:s3:::my-bucket/?", OBJECTS, False),  # one character is not every key
        ("arn:aws:s3:::my-bucket/a*", OBJECTS, False),
        (BUCKET, OBJECTS, False),
        (OBJECTS, BUCKET, False),
        ("arn:aws:s3:::MY-BUCKET", BUCKET, False),  # ARNs are case-sensitive
        ("arn:aws:s3:::my-bucke?", BUCKET, True),
    ],
)
def test_covers(pattern, target, expected):
    assert pol.covers(pattern, target) is expected


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("*", True),
        ("s3:*", True),
        ("S3:*", True),
        ("s3*", True),
        (["s3:GetObject", "s3:*"], True),
        ("s3:Get*", False),
        ("s3:PutObject", False),
        ("iam:*", False),
        ([], False),
    ],
)
def test_covers_all_actions(action, expected):
    assert pol.covers_all_actions({"Action": action}, "s3") is expected


def test_not_action_never_covers_all_actions():
    assert pol.covers_all_actions({"NotAction": "s3:GetObject"}, "s3") is False


def test_covers_resources_needs_every_arn():
    assert pol.covers_resources({"Resource": [BUCKET, OBJECTS]}, BUCKET, OBJECTS)
    assert pol.covers_resources({"Resource": "*"}, BUCKET, OBJECTS)
    assert not pol.covers_resources({"Resource": BUCKET}, BUCKET, OBJECTS)
    assert not pol.covers_resources({"Resource": OBJECTS}, BUCKET, OBJECTS)
    assert not pol.covers_resources({"NotResource": "arn:aws:s3:::other"}, BUCKET, OBJECTS)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"Bool": {"aws:SecureTransport": "false"}}, True),
        ({"Bool": {"aws:SecureTransport": False}}, True),
        ({"Bool": {"aws:SecureTransport": ["false"]}}, True),
        ({"Bool": {"aws:SecureTransport": "FALSE"}}, True),
        ({"BoolIfExists": {"aws:securetransport": "false"}}, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, False),
        ({"Bool": {"aws:SecureTransport": True}}, False),
        ({"StringEquals": {"aws:SecureTransport": "false"}}, False),
        ({"Bool": {"aws:MultiFactorAuthPresent": "false"}}, False),
        # an extra ANDed condition narrows the deny, so some plain-HTTP requests get through
        ({"Bool": {"aws:SecureTransport": "false", "aws:ViaAWSService": "false"}}, False),
        ({"Bool": {"aws:SecureTransport": "false"}, "StringEquals": {"aws:PrincipalAccount": "1"}}, False),
        (None, False),
    ],
)
def test_conditioned_on_insecure_transport(condition, expected):
    stmt = {} if condition is None else {"Condition": condition}
    assert pol.conditioned_on_insecure_transport(stmt) is expected
