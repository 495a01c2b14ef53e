"""Read-only view of a KMS key, one boto3 call per property read.

A key may be named by key id, key ARN, `alias/<name>` or alias ARN. DescribeKey accepts all four; the
rotation, alias and tag APIs accept only a key id or ARN, so those resolve the key id first.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from stratatest.inspect.errors import error_code
from stratatest.inspect.view import View, tag_map

_PENDING_DELETION = {"PendingDeletion", "PendingReplicaDeletion"}


class KMSKey(View):
    """`aws.kms_key(id_or_arn_or_alias)`: yes/no properties a test asserts on."""

    kind = "kms_key"
    service = "kms"
    missing_codes = frozenset({"NotFoundException"})

    @property
    def key(self) -> str:
        return self.ref

    def _fetch(self) -> dict[str, Any]:
        """DescribeKey finds the key (or the alias's target) in any state, pending deletion included."""
        return self._client.describe_key(KeyId=self.key)["KeyMetadata"]

    @property
    def key_id(self) -> str:
        return self._describe()["KeyId"]

    @property
    def arn(self) -> str:
        return self._describe()["Arn"]

    @property
    def state(self) -> str:
        """KeyState: `Enabled`, `Disabled`, `PendingDeletion`, `PendingImport`, ..."""
        return self._describe()["KeyState"]

    @property
    def is_enabled(self) -> bool:
        return self.state == "Enabled"

    @property
    def pending_deletion(self) -> bool:
        return self.state in _PENDING_DELETION

    @property
    def key_manager(self) -> str:
        """`CUSTOMER` or `AWS` (an AWS managed key such as aws/s3)."""
        return self._describe()["KeyManager"]

    def _rotation(self) -> dict[str, Any]:
        try:
            return self._client.get_key_rotation_status(KeyId=self.key_id)
        except ClientError as err:
            if error_code(err) == "UnsupportedOperationException":  # asymmetric, HMAC, imported: cannot rotate
                return {}
            raise

    @property
    def rotation_enabled(self) -> bool:
        return bool(self._rotation().get("KeyRotationEnabled", False))

    @property
    def rotation_period_days(self) -> int | None:
        """RotationPeriodInDays; None when rotation is off or the target does not report it."""
        return self._rotation().get("RotationPeriodInDays")

    @property
    def aliases(self) -> list[str]:
        """Alias names (`alias/...`) that point at the key, sorted."""
        return sorted(a["AliasName"] for a in self._paginate("list_aliases", "Aliases", KeyId=self.key_id))

    @property
    def tags(self) -> dict[str, str]:
        return tag_map(self._paginate("list_resource_tags", "Tags", KeyId=self.key_id), "TagKey", "TagValue")
