"""DynamoDBTable view against moto's in-memory DynamoDB: each yes/no property, both ways."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from stratatest.inspect.dynamodb import DynamoDBTable

NAME = "stratatest-unit-table"


@pytest.fixture
def ddb(aws):
    return aws.client("dynamodb")


def create(ddb, **extra) -> None:
    settings = {"BillingMode": "PAY_PER_REQUEST", **extra}
    if settings["BillingMode"] == "PROVISIONED":
        settings.setdefault("ProvisionedThroughput", {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    ddb.create_table(
        TableName=NAME,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        **settings,
    )


@pytest.fixture
def table(aws) -> DynamoDBTable:
    return aws.dynamodb_table(NAME)


def test_repr_names_the_table(table):
    assert repr(table) == f"<dynamodb_table {NAME}>"


def test_exists(ddb, table):
    assert not table.exists
    create(ddb)
    assert table.exists
    assert table.status == "ACTIVE"
    assert table.arn.endswith(f":table/{NAME}")


def test_missing_table_is_an_error_not_a_no(table):
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        _ = table.is_encrypted


def test_hash_key(ddb, table):
    create(ddb)
    assert table.hash_key == "pk"


def test_on_demand(ddb, table):
    create(ddb)
    assert table.billing_mode == "PAY_PER_REQUEST"
    assert table.is_on_demand


def test_provisioned(ddb, table):
    create(ddb, BillingMode="PROVISIONED")
    assert table.billing_mode == "PROVISIONED"
    assert not table.is_on_demand


def test_billing_mode_defaults_to_provisioned_when_summary_missing():
    """Real DescribeTable omits BillingModeSummary for tables never switched from provisioned."""

    class Stub:
        def client(self, service):
            return self

        def describe_table(self, TableName):
            return {"Table": {"TableName": TableName, "TableStatus": "ACTIVE"}}

    table = DynamoDBTable(Stub(), NAME)
    assert table.billing_mode == "PROVISIONED"
    assert not table.is_on_demand
    assert not table.is_encrypted
    assert table.sse_type is None


def test_point_in_time_recovery(ddb, table):
    create(ddb)
    assert not table.point_in_time_recovery
    ddb.update_continuous_backups(TableName=NAME, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    assert table.point_in_time_recovery


def test_default_encryption_is_not_kms(ddb, table):
    create(ddb)
    assert not table.is_encrypted
    assert table.sse_type is None
    assert table.kms_key_arn is None


def test_kms_encryption_with_customer_key(aws, ddb, table):
    key_arn = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    create(ddb, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn})
    assert table.is_encrypted
    assert table.sse_type == "KMS"
    assert table.kms_key_arn == key_arn


def test_deletion_protection(ddb, table):
    create(ddb)
    assert not table.deletion_protection
    ddb.update_table(TableName=NAME, DeletionProtectionEnabled=True)
    assert table.deletion_protection


def test_tags(ddb, table):
    create(ddb)
    assert table.tags == {}
    ddb.tag_resource(ResourceArn=table.arn, Tags=[{"Key": "owner", "Value": "platform"}])
    assert table.tags == {"owner": "platform"}
