"""Correction: TagResource, UntagResource and ListTagsForResource work on an EKS node group's ARN, as on AWS.

Gap (moto 5.2.5): the EKS backend's tag actions look the ARN up among clusters only, so on a node-group ARN
(`arn:aws:eks:<region>:<account>:nodegroup/<cluster>/<group>/<uuid>`) they answer 404 NotFoundException
"Resource was not found". A node group created with tags keeps them, but the aws provider changes them with
TagResource/UntagResource, so any tag change on `aws_eks_node_group` (a new default tag, say) fails with
"updating tags for EKS Node Group ... NotFoundException".

Fix: the three backend actions first look the ARN up among the node groups of this account and Region and act on
the node group's own tags, which DescribeNodegroup reports; any other ARN goes to moto as before (clusters, and
add-ons through `eks_addon`, which wraps the response methods and so composes with this).
"""

from __future__ import annotations

from typing import Any

from moto.eks.models import EKSBackend, Nodegroup


def _node_group_by_arn(backend: EKSBackend, arn: str) -> Nodegroup | None:
    for cluster in backend.clusters.values():
        for node_group in cluster.nodegroups.values():
            if node_group.arn == arn:
                return node_group
    return None


def _tag_resource(self: EKSBackend, resource_arn: str, tags: dict[str, str]) -> None:
    node_group = _node_group_by_arn(self, resource_arn)
    if node_group is None:
        return _ORIGINAL["tag_resource"](self, resource_arn, tags)  # type: ignore[no-any-return]
    node_group.tags.update(tags or {})
    return None


def _untag_resource(self: EKSBackend, resource_arn: str, tag_keys: list[str] | str) -> None:
    node_group = _node_group_by_arn(self, resource_arn)
    if node_group is None:
        return _ORIGINAL["untag_resource"](self, resource_arn, tag_keys)  # type: ignore[no-any-return]
    for key in [tag_keys] if isinstance(tag_keys, str) else tag_keys or []:
        node_group.tags.pop(key, None)
    return None


def _list_tags_for_resource(self: EKSBackend, resource_arn: str) -> dict[str, str]:
    node_group = _node_group_by_arn(self, resource_arn)
    if node_group is None:
        return _ORIGINAL["list_tags_for_resource"](self, resource_arn)  # type: ignore[no-any-return]
    return node_group.tags  # type: ignore[no-any-return]


_ORIGINAL: dict[str, Any] = {}


def apply() -> None:
    """Patch the EKS backend's three tag actions (idempotent)."""
    if _ORIGINAL:
        return
    for name, patched in (
        ("tag_resource", _tag_resource),
        ("untag_resource", _untag_resource),
        ("list_tags_for_resource", _list_tags_for_resource),
    ):
        _ORIGINAL[name] = getattr(EKSBackend, name)
        setattr(EKSBackend, name, patched)
