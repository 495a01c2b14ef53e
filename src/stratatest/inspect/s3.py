"""Read-only view of an S3 bucket's security settings, one boto3 call per property read.

Nothing is cached between reads so `eventually(lambda: bucket.is_encrypted)` sees changes. A setting that
was never configured reads as False/None/empty (AWS reports it as an error); any other error, including a
missing bucket, propagates: only `exists` answers "is it there?".
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from stratatest.inspect import policy as pol
from stratatest.inspect.errors import error_code
from stratatest.inspect.view import View

#: The four PublicAccessBlock flags; all must be true to block public access.
PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


class S3Bucket(View):
    """`aws.s3_bucket(name)`: yes/no properties a test asserts on."""

    kind = "s3_bucket"
    service = "s3"
    #: Not 403: that bucket exists but is not ours to read, which is not a yes/no answer.
    missing_codes = frozenset({"404", "NoSuchBucket", "NotFound"})

    @property
    def name(self) -> str:
        return self.ref

    def _fetch(self) -> dict[str, Any]:
        return self._client.head_bucket(Bucket=self.name)

    def _get(self, operation: str, not_configured: str) -> dict[str, Any] | None:
        """Call a GetBucket* operation; `None` when AWS says the setting is not configured."""
        try:
            return getattr(self._client, operation)(Bucket=self.name)
        except ClientError as err:
            if error_code(err) == not_configured:
                return None
            raise

    @property
    def arn(self) -> str:
        partition = getattr(self._client.meta, "partition", "aws")
        return f"arn:{partition}:s3:::{self.name}"

    # --- default encryption -------------------------------------------------------------------------------

    def _encryption_defaults(self) -> list[dict[str, Any]]:
        found = self._get("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError")
        rules = (found or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
        # Flatten each rule to {SSEAlgorithm, KMSMasterKeyID, BucketKeyEnabled}.
        return [
            {**r.get("ApplyServerSideEncryptionByDefault", {}), "BucketKeyEnabled": r.get("BucketKeyEnabled")}
            for r in rules
        ]

    @property
    def is_encrypted(self) -> bool:
        """Any default server-side encryption rule is configured."""
        return any(r.get("SSEAlgorithm") for r in self._encryption_defaults())

    @property
    def sse_algorithm(self) -> str | None:
        """`AES256`, `aws:kms` or `aws:kms:dsse`, or None without default encryption."""
        return next((r["SSEAlgorithm"] for r in self._encryption_defaults() if r.get("SSEAlgorithm")), None)

    @property
    def kms_key_arn(self) -> str | None:
        """KMSMasterKeyID of the KMS rule as configured; None also when KMS uses the aws/s3 managed key."""
        for rule in self._encryption_defaults():
            if str(rule.get("SSEAlgorithm", "")).startswith("aws:kms"):
                return rule.get("KMSMasterKeyID")
        return None

    @property
    def bucket_key_enabled(self) -> bool:
        return any(r.get("BucketKeyEnabled") is True for r in self._encryption_defaults())

    # --- versioning, public access, ownership ---------------------------------------------------------------

    @property
    def versioning_enabled(self) -> bool:
        return self._client.get_bucket_versioning(Bucket=self.name).get("Status") == "Enabled"

    @property
    def public_access_block(self) -> dict[str, bool] | None:
        """The bucket's PublicAccessBlock flags, or None when the bucket has none."""
        found = self._get("get_public_access_block", "NoSuchPublicAccessBlockConfiguration")
        return None if found is None else dict(found.get("PublicAccessBlockConfiguration", {}))

    @property
    def blocks_public_access(self) -> bool:
        """All four PublicAccessBlock flags are true on the bucket itself (account-level settings aside)."""
        flags = self.public_access_block or {}
        return all(flags.get(name) is True for name in PUBLIC_ACCESS_FLAGS)

    @property
    def ownership(self) -> str | None:
        """ObjectOwnership (`BucketOwnerEnforced`, `BucketOwnerPreferred`, `ObjectWriter`) or None."""
        found = self._get("get_bucket_ownership_controls", "OwnershipControlsNotFoundError")
        rules = (found or {}).get("OwnershipControls", {}).get("Rules", [])
        return rules[0].get("ObjectOwnership") if rules else None

    @property
    def acls_disabled(self) -> bool:
        return self.ownership == "BucketOwnerEnforced"

    # --- bucket policy ------------------------------------------------------------------------------------

    @property
    def policy(self) -> dict[str, Any] | None:
        """The bucket policy, parsed, or None when the bucket has none."""
        found = self._get("get_bucket_policy", "NoSuchBucketPolicy")
        return None if found is None else json.loads(found["Policy"])

    @property
    def denies_insecure_transport(self) -> bool:
        """A Deny for everyone, on all S3 actions, on the bucket and all its objects, when not over TLS."""
        bucket, objects = self.arn, f"{self.arn}/*"
        return any(
            s.get("Effect") == "Deny"
            and pol.is_public_principal(s)
            and pol.covers_all_actions(s, "s3")
            and pol.covers_resources(s, bucket, objects)
            and pol.conditioned_on_insecure_transport(s)
            for s in pol.statements(self.policy)
        )

    # --- lifecycle, tags, contents --------------------------------------------------------------------------

    @property
    def lifecycle_rules(self) -> list[dict[str, Any]]:
        found = self._get("get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration")
        return list((found or {}).get("Rules", []))

    @property
    def expires_noncurrent_versions(self) -> bool:
        """An enabled lifecycle rule expires noncurrent versions, so versioning cannot grow unbounded."""
        return any(r.get("Status") == "Enabled" and r.get("NoncurrentVersionExpiration") for r in self.lifecycle_rules)

    @property
    def tags(self) -> dict[str, str]:
        found = self._get("get_bucket_tagging", "NoSuchTagSet")
        return {t["Key"]: t["Value"] for t in (found or {}).get("TagSet", [])}

    @property
    def object_count(self) -> int:
        """Current objects in the bucket (not versions): a leak check after a test cleans up."""
        pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return sum(page.get("KeyCount", 0) for page in pages)
