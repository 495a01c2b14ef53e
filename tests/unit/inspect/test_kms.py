"""KMSKey view against moto's in-memory KMS: each yes/no property, both ways, by id, ARN and alias."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from stratatest.inspect.kms import KMSKey


@pytest.fixture
def kms(aws):
    return aws.client("kms")


@pytest.fixture
def meta(kms) -> dict:
    """A customer managed key with alias/stratatest-unit and one tag."""
    tags = [{"TagKey": "owner", "TagValue": "platform"}]
    metadata = kms.create_key(Description="unit", Tags=tags)["KeyMetadata"]
    kms.create_alias(AliasName="alias/stratatest-unit", TargetKeyId=metadata["KeyId"])
    return metadata


@pytest.fixture(params=["id", "arn", "alias", "alias-arn"])
def key(request, aws, meta) -> KMSKey:
    ref = {
        "id": meta["KeyId"],
        "arn": meta["Arn"],
        "alias": "alias/stratatest-unit",
        "alias-arn": meta["Arn"].split(":key/")[0] + ":alias/stratatest-unit",
    }[request.param]
    return aws.kms_key(ref)


def test_repr_names_the_key(aws):
    assert repr(aws.kms_key("alias/x")) == "<kms_key alias/x>"


def test_any_reference_resolves_to_the_same_key(key, meta):
    assert key.exists
    assert key.key_id == meta["KeyId"]
    assert key.arn == meta["Arn"]
    assert key.key_manager == "CUSTOMER"


@pytest.mark.parametrize(
    "ref",
    [
        "alias/stratatest-missing",
        "11111111-2222-3333-4444-555555555555",
        "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
    ],
)
def test_missing_key(aws, ref):
    assert not aws.kms_key(ref).exists


def test_missing_key_is_an_error_not_a_no(aws):
    with pytest.raises(ClientError, match="NotFoundException"):
        _ = aws.kms_key("alias/stratatest-missing").rotation_enabled


def test_state(kms, key, meta):
    assert key.state == "Enabled"
    assert key.is_enabled
    assert not key.pending_deletion
    kms.disable_key(KeyId=meta["KeyId"])
    assert key.state == "Disabled"
    assert not key.is_enabled
    assert not key.pending_deletion


def test_pending_deletion(kms, key, meta):
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    assert key.exists
    assert key.pending_deletion
    assert not key.is_enabled


def test_rotation(kms, key, meta):
    assert not key.rotation_enabled
    assert key.rotation_period_days is None
    kms.enable_key_rotation(KeyId=meta["KeyId"], RotationPeriodInDays=180)
    assert key.rotation_enabled
    # Known gap: moto 5.2.5 drops RotationPeriodInDays (real AWS returns 180 here); the suite's moto server
    # corrects it, plain in-process moto does not. Accept either so the test holds on both.
    assert key.rotation_period_days in (None, 180)


def test_aliases_and_tags(kms, key, meta):
    kms.create_alias(AliasName="alias/another", TargetKeyId=meta["KeyId"])
    assert key.aliases == ["alias/another", "alias/stratatest-unit"]
    assert key.tags == {"owner": "platform"}


def test_untagged_key_without_aliases(aws, kms):
    bare = aws.kms_key(kms.create_key()["KeyMetadata"]["KeyId"])
    assert bare.aliases == []
    assert bare.tags == {}


class StubKMS:
    """A KMS client answering what real AWS answers where moto differs."""

    def __init__(self, rotation: dict | Exception) -> None:
        self.rotation = rotation

    def client(self, service):
        return self

    def describe_key(self, KeyId):
        return {"KeyMetadata": {"KeyId": "k-1", "Arn": "arn:aws:kms:us-east-1:1:key/k-1", "KeyState": "Enabled"}}

    def get_key_rotation_status(self, KeyId):
        assert KeyId == "k-1", "rotation status must be asked by key id, never by alias"
        if isinstance(self.rotation, Exception):
            raise self.rotation
        return self.rotation


def test_rotation_period_as_real_aws_reports_it():
    key = KMSKey(StubKMS({"KeyRotationEnabled": True, "RotationPeriodInDays": 90}), "alias/x")
    assert key.rotation_enabled
    assert key.rotation_period_days == 90


def test_keys_that_cannot_rotate_read_as_not_rotating():
    error = ClientError(
        {"Error": {"Code": "UnsupportedOperationException", "Message": "asymmetric"}}, "GetKeyRotationStatus"
    )
    key = KMSKey(StubKMS(error), "alias/x")
    assert not key.rotation_enabled
    assert key.rotation_period_days is None


def test_other_rotation_errors_propagate():
    error = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetKeyRotationStatus")
    with pytest.raises(ClientError, match="AccessDenied"):
        _ = KMSKey(StubKMS(error), "alias/x").rotation_enabled
