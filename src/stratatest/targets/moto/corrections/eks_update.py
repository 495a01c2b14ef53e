"""Correction: EKS cluster and node-group updates answer, store and apply an `update`, as AWS does.

Gap (moto 5.2.5): `UpdateClusterConfig` answers the cluster instead of an `update` object and replaces the
whole VPC configuration with the request's (an endpoint-access change drops the subnets); `UpdateNodegroupConfig`
answers an update nobody can look up; `UpdateClusterVersion` and `UpdateNodegroupVersion` have no route; and
`DescribeUpdate`/`ListUpdates` are missing. The aws provider reads `update.id` from every update call, then polls
DescribeUpdate until `Successful`, so any in-place change of an EKS cluster or node group fails.

Fix: every update call validates like AWS (one kind of change per UpdateClusterConfig), applies the change to
what moto models (logging, VPC configuration merged field by field, Kubernetes network and remote network
configuration, versions, scaling, labels, taints, update and repair configuration, launch template version),
and answers an `update` (status `Successful`, AWS's type and parameter names) that is stored on the cluster,
scoped to the node group or add-on it belongs to, for DescribeUpdate and ListUpdates. A `deletionProtection`
change is refused: stored, it would claim a protection moto's DeleteCluster does not enforce.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.eks import urls
from moto.eks.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.eks.models import Cluster, paginated_list
from moto.eks.responses import DEFAULT_MAX_RESULTS, EKSResponse
from moto.moto_api._internal import mock_random as random

CLUSTER = "{0}/clusters/(?P<name>[^/]+)"
ROUTES = (
    CLUSTER + "/updates$",  # POST UpdateClusterVersion, GET ListUpdates
    CLUSTER + "/updates/(?P<updateId>[^/]+)$",  # GET DescribeUpdate
    CLUSTER + "/node-groups/(?P<nodegroupName>[^/]+)/update-version$",  # POST UpdateNodegroupVersion
)

#: UpdateClusterConfig members, each its own kind of update (AWS accepts one kind per call).
_CLUSTER_CONFIG_KINDS = {
    "logging": "LoggingUpdate",
    "resourcesVpcConfig": "EndpointAccessUpdate",  # VpcConfigUpdate when subnets or security groups change
    "kubernetesNetworkConfig": "AutoModeUpdate",
    "computeConfig": "AutoModeUpdate",
    "storageConfig": "AutoModeUpdate",
    "remoteNetworkConfig": "RemoteNetworkConfigUpdate",
    "accessConfig": "AccessConfigUpdate",
    "upgradePolicy": "UpgradePolicyUpdate",
    "zonalShiftConfig": "ZonalShiftConfigUpdate",
    "deletionProtection": "DeletionProtectionUpdate",
}
#: Members merged into the cluster attribute moto's serializer reads them from (the response shapes are
#: supersets of the request shapes).
_MERGED = {
    "kubernetesNetworkConfig": "kubernetes_network_config",
    "computeConfig": "compute_config",
    "storageConfig": "storage_config",
    "remoteNetworkConfig": "remote_network_config",
    "accessConfig": "access_config",
    "upgradePolicy": "upgrade_policy",
    "zonalShiftConfig": "zonal_shift_config",
}
_VPC_PARAMS = {
    "endpointPublicAccess": "EndpointPublicAccess",
    "endpointPrivateAccess": "EndpointPrivateAccess",
    "publicAccessCidrs": "PublicAccessCidrs",
    "subnetIds": "Subnets",
    "securityGroupIds": "SecurityGroups",
}
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def param(kind: str, value: Any) -> dict[str, str]:
    """An UpdateParam: AWS sends every value as a string, JSON for lists and maps."""
    text = value if isinstance(value, str) else json.dumps(value)
    return {"type": kind, "value": text}


def record_update(
    cluster: Cluster,
    kind: str,
    params: list[dict[str, str]],
    *,
    nodegroup: str | None = None,
    addon: str | None = None,
) -> dict[str, Any]:
    """Store a finished update on the cluster, scoped like AWS scopes DescribeUpdate, and return it."""
    update = {
        "id": str(random.uuid4()),
        "status": "Successful",
        "type": kind,
        "params": params,
        "createdAt": utcnow(),
        "errors": [],
    }
    _updates(cluster)[update["id"]] = ((nodegroup, addon), update)
    return update


def _updates(cluster: Cluster) -> dict[str, tuple[tuple[str | None, str | None], dict[str, Any]]]:
    if not hasattr(cluster, "stratatest_updates"):
        cluster.stratatest_updates = {}  # type: ignore[attr-defined]
    return cluster.stratatest_updates  # type: ignore[attr-defined,no-any-return]


def _scope(self: EKSResponse) -> tuple[str | None, str | None]:
    return self._get_param("nodegroupName"), self._get_param("addonName")


def _describe_update(self: EKSResponse) -> ActionResult:
    cluster = self.eks_backend.describe_cluster(self._get_param("name"))
    update_id = self._get_param("updateId")
    scope, update = _updates(cluster).get(update_id, ((None, None), None))
    if update is None or scope != _scope(self):
        raise ResourceNotFoundException(
            clusterName=cluster.name,
            nodegroupName=self._get_param("nodegroupName"),
            addonName=self._get_param("addonName"),
            message=f"No update found for ID: {update_id}",
        )
    return ActionResult({"update": update})


def _list_updates(self: EKSResponse) -> ActionResult:
    cluster = self.eks_backend.describe_cluster(self._get_param("name"))
    scope = _scope(self)
    ids = [update_id for update_id, (where, _) in _updates(cluster).items() if where == scope]
    page, next_token = paginated_list(
        ids, self._get_int_param("maxResults", DEFAULT_MAX_RESULTS), self._get_param("nextToken")
    )
    return ActionResult({"updateIds": page, "nextToken": next_token})


def merge_logging(current: dict[str, Any] | None, request: dict[str, Any]) -> dict[str, Any]:
    """Types the request does not name keep their state; AWS answers one enabled and one disabled setup."""
    setups = (current or {}).get("clusterLogging", [])
    enabled = {t for setup in setups if setup.get("enabled") for t in setup.get("types", [])}
    for setup in request.get("clusterLogging", []):
        types = set(setup.get("types", []))
        enabled = enabled | types if setup.get("enabled") else enabled - types
    on = [t for t in LOG_TYPES if t in enabled]
    off = [t for t in LOG_TYPES if t not in enabled]
    return {
        "clusterLogging": [s for s in ({"types": on, "enabled": True}, {"types": off, "enabled": False}) if s["types"]]
    }


def _update_cluster_config(self: EKSResponse) -> ActionResult:
    cluster = self.eks_backend.describe_cluster(self._get_param("name"))
    changes = {key: self._get_param(key) for key in _CLUSTER_CONFIG_KINDS if self._get_param(key) is not None}
    kinds = {_CLUSTER_CONFIG_KINDS[key] for key in changes}
    if len(kinds) != 1:
        message = "Only one type of update can be allowed." if kinds else "No changes needed"
        raise InvalidParameterException(clusterName=cluster.name, message=message)
    if "deletionProtection" in changes:  # stored, it would claim a protection DeleteCluster does not enforce
        raise InvalidParameterException(clusterName=cluster.name, message="deletionProtection is not emulated")
    (kind,) = kinds
    params: list[dict[str, str]] = []
    if "logging" in changes:
        cluster.logging = merge_logging(cluster.logging, changes["logging"])
        params.append(param("ClusterLogging", changes["logging"].get("clusterLogging", [])))
    if "resourcesVpcConfig" in changes:
        vpc = changes["resourcesVpcConfig"]
        if "subnetIds" in vpc or "securityGroupIds" in vpc:
            kind = "VpcConfigUpdate"
        cluster.resources_vpc_config = {**(cluster.resources_vpc_config or {}), **vpc}
        params += [param(_VPC_PARAMS[key], value) for key, value in vpc.items() if key in _VPC_PARAMS]
    for key, attribute in _MERGED.items():
        if key in changes:
            setattr(cluster, attribute, {**(getattr(cluster, attribute, None) or {}), **changes[key]})
            if key == "accessConfig":
                params.append(param("AuthenticationMode", changes[key].get("authenticationMode", "")))
            else:
                params.append(param(key[0].upper() + key[1:], changes[key]))
    return ActionResult({"update": record_update(cluster, kind, params)})


def _update_cluster_version(self: EKSResponse) -> ActionResult:
    cluster = self.eks_backend.describe_cluster(self._get_param("name"))
    cluster.version = self._get_param("version")
    params = [param("Version", cluster.version), param("PlatformVersion", cluster.platformVersion)]
    return ActionResult({"update": record_update(cluster, "VersionUpdate", params)})


def _nodegroup_params(request: dict[str, Any]) -> list[dict[str, str]]:
    """UpdateNodegroupConfig's request, as the UpdateParams AWS reports for it."""
    params = []
    labels, taints = request.get("labels") or {}, request.get("taints") or {}
    scaling, update = request.get("scalingConfig") or {}, request.get("updateConfig") or {}
    if labels.get("addOrUpdateLabels"):
        params.append(param("LabelsToAdd", labels["addOrUpdateLabels"]))
    if labels.get("removeLabels"):
        params.append(param("LabelsToRemove", labels["removeLabels"]))
    if taints.get("addOrUpdateTaints"):
        params.append(param("TaintsToAdd", taints["addOrUpdateTaints"]))
    if taints.get("removeTaints"):
        params.append(param("TaintsToRemove", taints["removeTaints"]))
    for key, kind in (("minSize", "MinSize"), ("maxSize", "MaxSize"), ("desiredSize", "DesiredSize")):
        if key in scaling:
            params.append(param(kind, str(scaling[key])))
    for key, kind in (
        ("maxUnavailable", "MaxUnavailable"),
        ("maxUnavailablePercentage", "MaxUnavailablePercentage"),
        ("updateStrategy", "UpdateStrategy"),
    ):
        if key in update:
            params.append(param(kind, str(update[key])))
    if request.get("nodeRepairConfig"):
        params.append(param("NodeRepairEnabled", str(request["nodeRepairConfig"].get("enabled", False)).lower()))
    return params


def _update_nodegroup_config(self: EKSResponse) -> ActionResult:
    cluster_name, nodegroup_name = self._get_param("name"), self._get_param("nodegroupName")
    nodegroup = self.eks_backend.describe_nodegroup(cluster_name, nodegroup_name)
    # moto updates the scaling config in place, and a node group created without one shares moto's default dict.
    nodegroup.scaling_config = dict(nodegroup.scaling_config)
    request = {
        key: self._get_param(key)
        for key in ("labels", "taints", "scalingConfig", "updateConfig", "nodeRepairConfig", "clientRequestToken")
    }
    self.eks_backend.update_nodegroup_config(
        cluster_name=cluster_name,
        nodegroup_name=nodegroup_name,
        labels=request["labels"],
        taints=request["taints"],
        scaling_config=request["scalingConfig"],
        update_config=request["updateConfig"],
        node_repair_config=request["nodeRepairConfig"],
        client_request_token=request["clientRequestToken"],
    )
    cluster = self.eks_backend.describe_cluster(cluster_name)
    update = record_update(cluster, "ConfigUpdate", _nodegroup_params(request), nodegroup=nodegroup_name)
    return ActionResult({"update": update})


def _update_nodegroup_version(self: EKSResponse) -> ActionResult:
    cluster_name, nodegroup_name = self._get_param("name"), self._get_param("nodegroupName")
    nodegroup = self.eks_backend.describe_nodegroup(cluster_name, nodegroup_name)
    version, release, template = (self._get_param(k) for k in ("version", "releaseVersion", "launchTemplate"))
    params = []
    if template:
        current = nodegroup.launch_template or {}
        if not current or any(template.get(key, current.get(key)) != current.get(key) for key in ("id", "name")):
            raise InvalidParameterException(
                clusterName=cluster_name,
                nodegroupName=nodegroup_name,
                message="You cannot change the launch template of a node group; update its version only.",
            )
        if "version" in template:
            current["version"] = template["version"]
        params += [
            param("LaunchTemplateName", current.get("name", "")),
            param("LaunchTemplateVersion", current.get("version", "")),
        ]
    if version:
        nodegroup.version = version
        params.append(param("Version", version))
    if release:
        nodegroup.release_version = release
        params.append(param("ReleaseVersion", release))
    nodegroup.modified_at = utcnow()
    cluster = self.eks_backend.describe_cluster(cluster_name)
    update = record_update(cluster, "VersionUpdate", params, nodegroup=nodegroup_name)
    return ActionResult({"update": update})


def install_update_api() -> None:
    """DescribeUpdate and ListUpdates, and the routes to them (idempotent; also used by eks_addon)."""
    for route in ROUTES:
        urls.url_paths.setdefault(route, EKSResponse.dispatch)
    EKSResponse.describe_update = _describe_update  # type: ignore[attr-defined]
    EKSResponse.list_updates = _list_updates  # type: ignore[attr-defined]


def apply() -> None:
    """Install the update API and replace moto's update actions (idempotent)."""
    install_update_api()
    EKSResponse.update_cluster_config = _update_cluster_config  # type: ignore[method-assign]
    EKSResponse.update_cluster_version = _update_cluster_version  # type: ignore[attr-defined]
    EKSResponse.update_nodegroup_config = _update_nodegroup_config  # type: ignore[method-assign]
    EKSResponse.update_nodegroup_version = _update_nodegroup_version  # type: ignore[attr-defined]
