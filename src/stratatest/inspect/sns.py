"""Read-only view of an SNS topic's encryption and access policy, one boto3 call per property read."""

from __future__ import annotations

import json
from typing import Any

from stratatest.inspect.view import View, tag_map


class TopicNotFound(LookupError):
    """Raised by every property but `exists` when the topic is not there."""


class SNSTopic(View):
    """`aws.sns_topic(arn)`: yes/no properties a test asserts on."""

    kind = "sns_topic"
    service = "sns"
    missing_codes = frozenset({"NotFound"})
    not_found = TopicNotFound

    def _fetch(self) -> dict[str, Any]:
        return self._client.get_topic_attributes(TopicArn=self.ref)["Attributes"]

    @property
    def kms_key_id(self) -> str | None:
        """The key named in KmsMasterKeyId as it was given (id, ARN or alias); None when not encrypted."""
        return self._describe().get("KmsMasterKeyId") or None

    @property
    def is_encrypted(self) -> bool:
        """Server-side encryption with a KMS key is on (SNS topics are not encrypted unless a key is set)."""
        return self.kms_key_id is not None

    @property
    def policy(self) -> dict[str, Any]:
        """The topic's access policy document, parsed; read it with `stratatest.inspect.policy`."""
        return dict(json.loads(self._describe().get("Policy") or "{}"))

    @property
    def tags(self) -> dict[str, str]:
        self._describe()
        return tag_map(self._client.list_tags_for_resource(ResourceArn=self.ref).get("Tags", []))
