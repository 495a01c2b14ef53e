"""S3Bucket view against moto's in-memory S3: each yes/no property, both ways."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from stratatest.inspect.s3 import S3Bucket

NAME = "stratatest-unit-bucket"
ARN = f"arn:aws:s3:::{NAME}"


@pytest.fixture
def target(fake_target):
    return fake_target


@pytest.fixture
def s3(aws):
    client = aws.client("s3")
    client.create_bucket(Bucket=NAME)
    return client


@pytest.fixture
def bucket(aws, s3) -> S3Bucket:
    return aws.s3_bucket(NAME)


def tls_deny(**overrides):
    statement = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [ARN, f"{ARN}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    statement.update(overrides)
    return {key: value for key, value in statement.items() if value is not None}


def put_policy(s3, *statements):
    s3.put_bucket_policy(Bucket=NAME, Policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


# --- facade and view basics -------------------------------------------------------------------------------


def test_repr_names_the_bucket(bucket):
    assert repr(bucket) == f"<s3_bucket {NAME}>"


def test_facade_creates_each_client_once(aws, target, s3):
    assert aws.s3_bucket(NAME).exists
    assert not aws.s3_bucket(NAME).is_encrypted
    aws.client("kms")
    assert target.created == ["s3", "kms"]
    assert repr(aws) == "<AWS target=fake region=us-east-1>"


def test_view_accepts_a_bare_target(target, s3):
    assert S3Bucket(target, NAME).exists


def test_exists(aws, bucket):
    assert bucket.exists
    assert not aws.s3_bucket("stratatest-no-such-bucket").exists


def test_arn(bucket):
    assert bucket.arn == ARN


def test_missing_bucket_is_an_error_not_a_no(aws):
    with pytest.raises(ClientError, match="NoSuchBucket"):
        _ = aws.s3_bucket("stratatest-no-such-bucket").is_encrypted


def test_reads_are_not_cached(s3, bucket):
    assert not bucket.is_encrypted
    s3.put_bucket_encryption(
        Bucket=NAME,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    assert bucket.is_encrypted


# --- default encryption -----------------------------------------------------------------------------------


def test_no_encryption_config(bucket):
    assert bucket.is_encrypted is False
    assert bucket.sse_algorithm is None
    assert bucket.kms_key_arn is None
    assert bucket.bucket_key_enabled is False


def test_sse_s3(s3, bucket):
    s3.put_bucket_encryption(
        Bucket=NAME,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    assert bucket.is_encrypted
    assert bucket.sse_algorithm == "AES256"
    assert bucket.kms_key_arn is None
    assert not bucket.bucket_key_enabled


def test_sse_kms_with_customer_key_and_bucket_key(aws, s3, bucket):
    key_arn = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    s3.put_bucket_encryption(
        Bucket=NAME,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key_arn,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    assert bucket.is_encrypted
    assert bucket.sse_algorithm == "aws:kms"
    assert bucket.kms_key_arn == key_arn
    assert bucket.bucket_key_enabled


def test_sse_kms_with_aws_managed_key_has_no_key_arn(s3, bucket):
    s3.put_bucket_encryption(
        Bucket=NAME,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    assert bucket.sse_algorithm == "aws:kms"
    assert bucket.kms_key_arn is None


# --- versioning, public access, ownership -----------------------------------------------------------------


def test_versioning(s3, bucket):
    assert not bucket.versioning_enabled
    s3.put_bucket_versioning(Bucket=NAME, VersioningConfiguration={"Status": "Enabled"})
    assert bucket.versioning_enabled
    s3.put_bucket_versioning(Bucket=NAME, VersioningConfiguration={"Status": "Suspended"})
    assert not bucket.versioning_enabled


ALL_BLOCKED = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)


def test_no_public_access_block(bucket):
    assert bucket.public_access_block is None
    assert not bucket.blocks_public_access


def test_public_access_fully_blocked(s3, bucket):
    s3.put_public_access_block(Bucket=NAME, PublicAccessBlockConfiguration=ALL_BLOCKED)
    assert bucket.public_access_block == ALL_BLOCKED
    assert bucket.blocks_public_access


@pytest.mark.parametrize("flag", sorted(ALL_BLOCKED))
def test_public_access_partly_blocked(s3, bucket, flag):
    s3.put_public_access_block(Bucket=NAME, PublicAccessBlockConfiguration={**ALL_BLOCKED, flag: False})
    assert bucket.public_access_block[flag] is False
    assert not bucket.blocks_public_access


def test_no_ownership_controls(bucket):
    assert bucket.ownership is None
    assert not bucket.acls_disabled


@pytest.mark.parametrize(
    ("ownership", "disabled"),
    [("BucketOwnerEnforced", True), ("BucketOwnerPreferred", False), ("ObjectWriter", False)],
)
def test_ownership(s3, bucket, ownership, disabled):
    s3.put_bucket_ownership_controls(Bucket=NAME, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]})
    assert bucket.ownership == ownership
    assert bucket.acls_disabled is disabled


# --- bucket policy (only bucket-level calls after a TLS deny: plain moto applies it to object calls) --------


def test_no_policy(bucket):
    assert bucket.policy is None
    assert not bucket.denies_insecure_transport


def test_policy_is_parsed(s3, bucket):
    put_policy(s3, tls_deny())
    assert bucket.policy["Statement"][0]["Sid"] == "DenyInsecureTransport"


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"Principal": {"AWS": "*"}},
        {"Principal": {"AWS": ["*"]}},
        {"Action": "*"},
        {"Action": ["s3:*"]},
        {"Resource": [f"{ARN}*"]},
        {"Condition": {"Bool": {"aws:SecureTransport": ["false"]}}},
        {"Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}},
    ],
    ids=[
        "classic",
        "aws-star",
        "aws-star-list",
        "action-star",
        "action-list",
        "resource-wildcard",
        "value-list",
        "bool-if-exists",
    ],
)
def test_denies_insecure_transport(s3, bucket, overrides):
    put_policy(s3, tls_deny(**overrides))
    assert bucket.denies_insecure_transport


@pytest.mark.parametrize(
    "overrides",
    [
        {"Condition": None},
        {"Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {
            "Condition": {
                "Bool": {"aws:SecureTransport": "false"},
                "StringEquals": {"aws:PrincipalAccount": "1"},
            }
        },
        {"Effect": "Allow"},
        {"Resource": ARN},
        {"Resource": f"{ARN}/*"},
        {"Resource": [ARN, f"{ARN}/logs/*"]},
        {"Principal": {"AWS": "arn:aws:iam::123456789012:root"}},
        {"Action": ["s3:GetObject", "s3:PutObject"]},
    ],
    ids=[
        "no-condition",
        "secure-true",
        "narrowed-condition",
        "allow",
        "bucket-only",
        "objects-only",
        "some-objects",
        "one-principal",
        "some-actions",
    ],
)
def test_does_not_deny_insecure_transport(s3, bucket, overrides):
    put_policy(s3, tls_deny(**overrides))
    assert not bucket.denies_insecure_transport


def test_one_good_statement_among_others_is_enough(s3, bucket):
    allow = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "s3:GetObject",
        "Resource": f"{ARN}/*",
    }
    put_policy(s3, allow, tls_deny(Effect="Allow"), tls_deny())
    assert bucket.denies_insecure_transport


# --- lifecycle, tags, contents ------------------------------------------------------------------------------


def put_lifecycle(s3, *rules):
    s3.put_bucket_lifecycle_configuration(Bucket=NAME, LifecycleConfiguration={"Rules": list(rules)})


def test_no_lifecycle(bucket):
    assert bucket.lifecycle_rules == []
    assert not bucket.expires_noncurrent_versions


def test_expires_noncurrent_versions(s3, bucket):
    put_lifecycle(
        s3,
        {
            "ID": "old",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
        },
    )
    assert [r["ID"] for r in bucket.lifecycle_rules] == ["old"]
    assert bucket.expires_noncurrent_versions


def test_disabled_or_current_only_rules_do_not_expire_noncurrent(s3, bucket):
    put_lifecycle(
        s3,
        {
            "ID": "off",
            "Status": "Disabled",
            "Filter": {"Prefix": ""},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
        },
        {"ID": "current", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}},
    )
    assert len(bucket.lifecycle_rules) == 2
    assert not bucket.expires_noncurrent_versions


def test_tags(s3, bucket):
    assert bucket.tags == {}
    s3.put_bucket_tagging(Bucket=NAME, Tagging={"TagSet": [{"Key": "owner", "Value": "platform"}]})
    assert bucket.tags == {"owner": "platform"}


def test_object_count(s3, bucket):
    assert bucket.object_count == 0
    for key in ("a", "b/c", "d"):
        s3.put_object(Bucket=NAME, Key=key, Body=b"x")
    assert bucket.object_count == 3
