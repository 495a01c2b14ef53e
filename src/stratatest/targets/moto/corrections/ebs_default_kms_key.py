"""Correction: GetEbsDefaultKmsKeyId and ResetEbsDefaultKmsKeyId answer, as AWS does.

Gap (moto 5.2.5): of the three actions behind EBS encryption's default KMS key only ModifyEbsDefaultKmsKeyId
exists; GetEbsDefaultKmsKeyId and ResetEbsDefaultKmsKeyId answer 500 NotImplementedError. The aws provider reads
`aws_ebs_default_kms_key` with Get (after create and on every plan) and deletes it with Reset, so the resource can
be neither applied nor destroyed.

Fix: both actions are added to moto's EBS responses. The setting lives on moto's EC2 backend, so it is per
account and Region, as on AWS. Get answers the key ARN set by Modify; until then, and after Reset, the default is
the Region's AWS managed key `alias/aws/ebs`, answered as its key ARN (what the aws provider's acceptance test
expects after a destroy) and created on first use, as moto already does for an encrypted volume.
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.ec2.responses.elastic_block_store import ElasticBlockStore


def _get_ebs_default_kms_key_id(self: ElasticBlockStore) -> ActionResult:
    self.error_on_dryrun()
    backend = self.ec2_backend
    return ActionResult({"KmsKeyId": backend.default_kms_key_id or backend._create_default_encryption_key()})


def _reset_ebs_default_kms_key_id(self: ElasticBlockStore) -> ActionResult:
    self.error_on_dryrun()
    # Makes the AWS managed key the backend's default again (creating it if need be) and returns its ARN.
    return ActionResult({"KmsKeyId": self.ec2_backend._create_default_encryption_key()})


def apply() -> None:
    """Add the two missing actions to moto's EBS responses (idempotent)."""
    ElasticBlockStore.get_ebs_default_kms_key_id = _get_ebs_default_kms_key_id  # type: ignore[attr-defined]
    ElasticBlockStore.reset_ebs_default_kms_key_id = _reset_ebs_default_kms_key_id  # type: ignore[attr-defined]
