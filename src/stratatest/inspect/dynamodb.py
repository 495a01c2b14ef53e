"""Read-only view of a DynamoDB table's settings, one boto3 call per property read (so `eventually` can
poll a table that is still CREATING or UPDATING)."""

from __future__ import annotations

from typing import Any

from stratatest.inspect.view import View, tag_map


class DynamoDBTable(View):
    """`aws.dynamodb_table(name)`: yes/no properties a test asserts on."""

    kind = "dynamodb_table"
    service = "dynamodb"

    @property
    def name(self) -> str:
        return self.ref

    missing_codes = frozenset({"ResourceNotFoundException"})

    def _fetch(self) -> dict[str, Any]:
        return self._client.describe_table(TableName=self.name)["Table"]

    @property
    def arn(self) -> str:
        return self._describe()["TableArn"]

    @property
    def status(self) -> str:
        """TableStatus: `ACTIVE`, `CREATING`, `UPDATING`, `DELETING`, ..."""
        return self._describe()["TableStatus"]

    @property
    def billing_mode(self) -> str:
        """`PAY_PER_REQUEST` or `PROVISIONED`.

        DescribeTable omits BillingModeSummary for tables that were only ever provisioned, hence the default.
        """
        return self._describe().get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")

    @property
    def is_on_demand(self) -> bool:
        return self.billing_mode == "PAY_PER_REQUEST"

    @property
    def hash_key(self) -> str | None:
        schema = self._describe().get("KeySchema", [])
        return next((k["AttributeName"] for k in schema if k.get("KeyType") == "HASH"), None)

    @property
    def point_in_time_recovery(self) -> bool:
        backups = self._client.describe_continuous_backups(TableName=self.name)["ContinuousBackupsDescription"]
        return backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus") == "ENABLED"

    def _sse(self) -> dict[str, Any]:
        return self._describe().get("SSEDescription") or {}

    @property
    def is_encrypted(self) -> bool:
        """Encrypted with a KMS key (AWS managed or customer managed).

        DynamoDB always encrypts at rest; with the default AWS-owned key it reports no SSEDescription,
        so this is False then: the account neither sees nor controls that key.
        """
        return self._sse().get("Status") == "ENABLED"

    @property
    def sse_type(self) -> str | None:
        return self._sse().get("SSEType")

    @property
    def kms_key_arn(self) -> str | None:
        return self._sse().get("KMSMasterKeyArn")

    @property
    def deletion_protection(self) -> bool:
        return bool(self._describe().get("DeletionProtectionEnabled", False))

    @property
    def tags(self) -> dict[str, str]:
        return tag_map(self._paginate("list_tags_of_resource", "Tags", ResourceArn=self.arn))
