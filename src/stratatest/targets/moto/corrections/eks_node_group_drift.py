"""Correction: a node group comes back with the remote access and update configuration it was created with.

Gap (moto 5.2.5): CreateNodegroup never passes `updateConfig` on to the node group, so DescribeNodegroup drops
it, and a node group created without `remoteAccess` gets an invented one (`ec2SshKey: eksKeypair`, plus a
remote-access security group). `remote_access` forces replacement in the aws provider, so `aws_eks_node_group`
is replaced on every plan; `update_config` shows drift.

Fix: after moto creates the node group, keep `remoteAccess` (and the remote-access security group in
`resources`) only when the request asked for remote access, and store `updateConfig` as requested, or AWS's
default `{"maxUnavailable": 1}` when omitted.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.eks.responses import EKSResponse

DEFAULT_UPDATE_CONFIG = {"maxUnavailable": 1}


def _fix(self: EKSResponse, result: ActionResult) -> ActionResult:
    nodegroup: Any = result.result["nodegroup"]  # type: ignore[index]
    if not self._get_param("remoteAccess"):
        nodegroup.remote_access = None
        nodegroup.resources = {k: v for k, v in nodegroup.resources.items() if k != "remoteAccessSecurityGroup"}
    nodegroup.update_config = dict(self._get_param("updateConfig") or DEFAULT_UPDATE_CONFIG)
    return result


def apply() -> None:
    """Wrap EKSResponse.create_nodegroup (idempotent)."""
    original = EKSResponse.create_nodegroup
    if getattr(original, "__stratatest__", False):
        return

    def create_nodegroup(self: EKSResponse) -> ActionResult:
        return _fix(self, original(self))

    create_nodegroup.__stratatest__ = True  # type: ignore[attr-defined]
    EKSResponse.create_nodegroup = create_nodegroup  # type: ignore[method-assign]
