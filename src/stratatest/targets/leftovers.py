"""Find what a run left behind, by its run-id tag: the last line of defence against leaked resources.

Every resource the harness creates carries the `stratatest:run-id` default tag, so one Resource Groups
Tagging API query per region lists what is still there. The regions are the target's own and each one an
aliased provider block used (`remember_regions`, called by the harness): noted on the target, for the
process's own check, and in the run folder, for the controller's once every worker is done.

Two kinds of resource stay visible after a successful delete, and are exempt in that end state: KMS keys
scheduled for deletion (AWS keeps them for the waiting period) and NAT gateways in state `deleted` (AWS lists
them for about an hour; moto 5.2.5 keeps them, tags included, for good).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from stratatest.targets.spec import REGION
from stratatest.terraform.provider import RUN_ID_TAG

#: The run folder's record of the regions its provider blocks used: one empty file per region.
REGIONS_FOLDER = "regions"


def remember_regions(target: Any, shared: Path, regions: Iterable[str]) -> None:
    """Note the regions a working copy's provider blocks use, where the leak check and the sweep look."""
    folder = shared / REGIONS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for region in regions:
        (folder / region).touch()
        if region != target.region:
            target.other_regions.add(region)


def regions_used(target: Any, shared: Path | None = None) -> list[str]:
    """The target's region first, then every other one this process, or (given the run folder) the run, used."""
    recorded = {p.name for p in (shared / REGIONS_FOLDER).glob("*")} if shared is not None else set()
    others = {r for r in recorded | target.other_regions if REGION.match(r)} - {target.region}
    return [target.region, *sorted(others)]


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
