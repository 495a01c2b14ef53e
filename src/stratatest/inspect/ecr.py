"""Read-only view of an ECR repository, one boto3 call per property read.

A missing repository answers `exists` False; any other property of a missing one raises
`RepositoryNotFound`, so a typo never reads as a harmless "no".
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from stratatest.inspect.errors import error_code
from stratatest.inspect.view import View, tag_map


class RepositoryNotFound(LookupError):
    """Raised by every `ecr_repository` property but `exists` when the repository is not there."""


class ECRRepository(View):
    """`aws.ecr_repository(name)`: yes/no properties a test asserts on."""

    kind = "ecr_repository"
    service = "ecr"
    missing_codes = frozenset({"RepositoryNotFoundException"})
    not_found = RepositoryNotFound

    def _fetch(self) -> dict[str, Any]:
        return self._client.describe_repositories(repositoryNames=[self.ref])["repositories"][0]

    @property
    def arn(self) -> str:
        return self._describe()["repositoryArn"]

    @property
    def url(self) -> str:
        return self._describe()["repositoryUri"]

    @property
    def tags_immutable(self) -> bool:
        """A pushed tag can never be pushed over (IMMUTABLE; AWS also knows IMMUTABLE_WITH_EXCLUSION)."""
        return self._describe().get("imageTagMutability") == "IMMUTABLE"

    @property
    def scan_on_push(self) -> bool:
        return bool(self._describe().get("imageScanningConfiguration", {}).get("scanOnPush", False))

    @property
    def is_kms_encrypted(self) -> bool:
        """Encrypted with a KMS key (KMS or KMS_DSSE) rather than ECR's own AES256 keys."""
        encryption = self._describe().get("encryptionConfiguration", {})
        return str(encryption.get("encryptionType", "AES256")).startswith("KMS")

    @property
    def kms_key_arn(self) -> str | None:
        return self._describe().get("encryptionConfiguration", {}).get("kmsKey")

    def _lifecycle_policy(self) -> dict[str, Any] | None:
        self._describe()  # a missing repository is an error here, not "no policy"
        try:
            answer = self._client.get_lifecycle_policy(repositoryName=self.ref)
        except ClientError as err:
            if error_code(err) == "LifecyclePolicyNotFoundException":
                return None
            raise
        return json.loads(answer["lifecyclePolicyText"])

    @property
    def has_lifecycle_policy(self) -> bool:
        return self._lifecycle_policy() is not None

    @property
    def lifecycle_rules(self) -> list[dict[str, Any]]:
        """The lifecycle policy's rules in priority order; empty without a policy."""
        policy = self._lifecycle_policy() or {}
        return sorted(policy.get("rules", []), key=lambda rule: rule.get("rulePriority", 0))

    @property
    def tags(self) -> dict[str, str]:
        return tag_map(self._client.list_tags_for_resource(resourceArn=self.arn).get("tags", []))
