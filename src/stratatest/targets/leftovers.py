"""Find what a run left behind, by its run-id tag: the last line of defence against leaked resources.

Every resource the harness creates carries the `stratatest:run-id` default tag, so one Resource Groups
Tagging API query per region lists what is still there. Two kinds of resource stay visible after a
successful delete, and are exempt in that end state: KMS keys scheduled for deletion (AWS keeps them for
the waiting period) and NAT gateways in state `deleted` (AWS lists them for about an hour; moto 5.2.5 keeps
them, tags included, for good).
"""

from __future__ import annotations

from typing import Any

from stratatest.terraform.provider import RUN_ID_TAG


def _pending_deletion(target: Any, arn: str) -> bool:
    state = target.client("kms").describe_key(KeyId=arn)["KeyMetadata"]["KeyState"]
    return state in ("PendingDeletion", "PendingReplicaDeletion")


def _nat_gateway_deleted(target: Any, arn: str) -> bool:
    nat_id = arn.rsplit("/", 1)[-1]
    gateways = target.client("ec2").describe_nat_gateways(NatGatewayIds=[nat_id]).get("NatGateways", [])
    return all(g.get("State") == "deleted" for g in gateways)


def _gone(target: Any, arn: str) -> bool:
    if arn.startswith("arn:aws:kms:"):
        return _pending_deletion(target, arn)
    if arn.startswith("arn:aws:ec2:") and ":natgateway/" in arn:
        return _nat_gateway_deleted(target, arn)
    return False


def tagged(target: Any, run_id: str | None = None, **tags: str) -> dict[str, dict[str, str]]:
    """ARN → tags of what carries the run-id tag (this run's only, when `run_id` is given) and `tags`, as the
    Tagging API lists it; KMS keys pending deletion and deleted NAT gateways excluded."""
    tagging = target.client("resourcegroupstaggingapi")
    run_filter: dict[str, Any] = {"Key": RUN_ID_TAG, "Values": [run_id]} if run_id else {"Key": RUN_ID_TAG}
    filters = [run_filter] + [{"Key": k, "Values": [v]} for k, v in tags.items()]
    found: dict[str, dict[str, str]] = {}
    for page in tagging.get_paginator("get_resources").paginate(TagFilters=filters):
        for resource in page.get("ResourceTagMappingList", []):
            found[resource["ResourceARN"]] = {t["Key"]: t["Value"] for t in resource.get("Tags", [])}
    return {arn: resource_tags for arn, resource_tags in found.items() if not _gone(target, arn)}


def left_behind(target: Any, run_id: str, **tags: str) -> list[str]:
    """ARNs still tagged with this run id, and with `tags` when given (e.g. one environment's resources while
    other tests of the run still hold theirs); KMS keys pending deletion and deleted NAT gateways excluded."""
    return sorted(tagged(target, run_id, **tags))
