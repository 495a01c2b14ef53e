"""Find what a run left behind, by its run-id tag: the last line of defence against leaked resources.

Every resource the harness creates carries the `stratatest:run-id` default tag, so one Resource Groups
Tagging API query per region lists what is still there. KMS keys are exempt once scheduled for deletion:
AWS keeps them for the waiting period, and that is the end state of a destroyed key.
"""

from __future__ import annotations

from typing import Any

from stratatest.terraform.provider import RUN_ID_TAG


def _pending_deletion(target: Any, arn: str) -> bool:
    state = target.client("kms").describe_key(KeyId=arn)["KeyMetadata"]["KeyState"]
    return state in ("PendingDeletion", "PendingReplicaDeletion")


def left_behind(target: Any, run_id: str) -> list[str]:
    """ARNs still tagged with this run id (KMS keys pending deletion excluded)."""
    tagging = target.client("resourcegroupstaggingapi")
    arns: list[str] = []
    for page in tagging.get_paginator("get_resources").paginate(TagFilters=[{"Key": RUN_ID_TAG, "Values": [run_id]}]):
        arns += [r["ResourceARN"] for r in page.get("ResourceTagMappingList", [])]
    return sorted(a for a in arns if not (a.startswith("arn:aws:kms:") and _pending_deletion(target, a)))
