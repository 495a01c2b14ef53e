"""Correction: an EKS add-on API (CreateAddon, DescribeAddon, ListAddons, UpdateAddon, DeleteAddon).

Gap (moto 5.2.5): moto has no add-on actions and no routes for them, so CreateAddon answers a 404 HTML page
and the aws provider fails `aws_eks_addon` with "invalid character '<'".

Fix: add-ons are stored on their cluster and answered in AWS's shape: status `ACTIVE` at once, an `addonArn`,
the requested `addonVersion` or a plausible default, tags, `serviceAccountRoleArn` and `configurationValues`.
`resolveConflicts` is validated (CreateAddon refuses `PRESERVE`, as AWS does) and reported in the update's
parameters. UpdateAddon applies the change and answers an `AddonUpdate` that DescribeUpdate finds (with
`addonName`). As on AWS, deleting the cluster deletes its add-ons (DeleteCluster refuses only node groups and
Fargate profiles), and TagResource/UntagResource/ListTagsForResource work on an add-on's ARN. Not emulated:
pod identity associations (the request is refused rather than ignored) and DescribeAddonVersions.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.eks import urls
from moto.eks.exceptions import InvalidParameterException, ResourceInUseException, ResourceNotFoundException
from moto.eks.models import EKSBackend, paginated_list
from moto.eks.responses import DEFAULT_MAX_RESULTS, EKSResponse
from moto.moto_api._internal import mock_random as random

from stratatest.targets.moto.corrections import eks_update

ADDONS = "{0}/clusters/(?P<name>[^/]+)/addons"
ROUTES = (
    ADDONS + "$",  # POST CreateAddon, GET ListAddons
    ADDONS + "/(?P<addonName>[^/]+)$",  # GET DescribeAddon, DELETE DeleteAddon
    ADDONS + "/(?P<addonName>[^/]+)/update$",  # POST UpdateAddon
)
ADDON_ARN = "arn:{partition}:eks:{region}:{account}:addon/{cluster}/{addon}/{uuid}"
#: What CreateAddon picks when no version is asked for (a recent default build of each core add-on).
DEFAULT_VERSIONS = {
    "vpc-cni": "v1.19.2-eksbuild.1",
    "coredns": "v1.11.4-eksbuild.2",
    "aws-ebs-csi-driver": "v1.38.1-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.4-eksbuild.1",
}
FALLBACK_VERSION = "v1.0.0-eksbuild.1"
RESOLVE_ON_CREATE = ("OVERWRITE", "NONE")
RESOLVE_ON_UPDATE = ("OVERWRITE", "NONE", "PRESERVE")


def default_version(addon_name: str, kubernetes_version: str) -> str:
    """kube-proxy follows the cluster's Kubernetes minor version; the others have their own releases."""
    if addon_name == "kube-proxy":
        return f"v{kubernetes_version}.0-eksbuild.1"
    return DEFAULT_VERSIONS.get(addon_name, FALLBACK_VERSION)


def _addons(backend: EKSBackend, cluster_name: str) -> dict[str, dict[str, Any]]:
    cluster = backend.describe_cluster(cluster_name)  # ResourceNotFoundException for an unknown cluster
    if not hasattr(cluster, "stratatest_addons"):
        cluster.stratatest_addons = {}  # type: ignore[attr-defined]
    return cluster.stratatest_addons  # type: ignore[attr-defined,no-any-return]


def _find(backend: EKSBackend, cluster_name: str, addon_name: str) -> dict[str, Any]:
    addon = _addons(backend, cluster_name).get(addon_name)
    if addon is None:
        raise ResourceNotFoundException(
            clusterName=cluster_name,
            nodegroupName=None,
            addonName=addon_name,
            message=f"No addon: {addon_name} found in cluster: {cluster_name}",
        )
    return addon


def _check_resolve_conflicts(value: str | None, allowed: tuple[str, ...], cluster_name: str) -> None:
    if value is not None and value not in allowed:
        raise InvalidParameterException(
            clusterName=cluster_name,
            message=f"ResolveConflicts must be one of {', '.join(allowed)}, not {value}",
        )


def _refuse_pod_identity(self: EKSResponse, cluster_name: str) -> None:
    if self._get_param("podIdentityAssociations"):
        raise InvalidParameterException(
            clusterName=cluster_name, message="podIdentityAssociations are not emulated (moto has no pod identity)"
        )


def _create_addon(self: EKSResponse) -> ActionResult:
    cluster_name, addon_name = self._get_param("name"), self._get_param("addonName")
    addons = _addons(self.eks_backend, cluster_name)
    if addon_name in addons:
        raise ResourceInUseException(
            clusterName=cluster_name, nodegroupName=None, addonName=addon_name, message="Addon already exists."
        )
    _check_resolve_conflicts(self._get_param("resolveConflicts"), RESOLVE_ON_CREATE, cluster_name)
    _refuse_pod_identity(self, cluster_name)
    cluster = self.eks_backend.describe_cluster(cluster_name)
    now = utcnow()
    addon = {
        "addonName": addon_name,
        "clusterName": cluster_name,
        "status": "ACTIVE",
        "addonVersion": self._get_param("addonVersion") or default_version(addon_name, cluster.version),
        "health": {"issues": []},
        "addonArn": ADDON_ARN.format(
            partition=self.eks_backend.partition,
            region=self.region,
            account=self.current_account,
            cluster=cluster_name,
            addon=addon_name,
            uuid=random.uuid4(),
        ),
        "createdAt": now,
        "modifiedAt": now,
        "serviceAccountRoleArn": self._get_param("serviceAccountRoleArn"),
        "tags": dict(self._get_param("tags") or {}),
        "publisher": "eks",
        "owner": "aws",
        "configurationValues": self._get_param("configurationValues"),
        "podIdentityAssociations": [],
    }
    addons[addon_name] = addon
    return ActionResult({"addon": addon})


def _describe_addon(self: EKSResponse) -> ActionResult:
    return ActionResult({"addon": _find(self.eks_backend, self._get_param("name"), self._get_param("addonName"))})


def _list_addons(self: EKSResponse) -> ActionResult:
    names = list(_addons(self.eks_backend, self._get_param("name")))
    page, next_token = paginated_list(
        names, self._get_int_param("maxResults", DEFAULT_MAX_RESULTS), self._get_param("nextToken")
    )
    return ActionResult({"addons": page, "nextToken": next_token})


def _update_addon(self: EKSResponse) -> ActionResult:
    cluster_name, addon_name = self._get_param("name"), self._get_param("addonName")
    addon = _find(self.eks_backend, cluster_name, addon_name)
    resolve = self._get_param("resolveConflicts")
    _check_resolve_conflicts(resolve, RESOLVE_ON_UPDATE, cluster_name)
    _refuse_pod_identity(self, cluster_name)
    params = []
    for key, kind in (
        ("addonVersion", "AddonVersion"),
        ("serviceAccountRoleArn", "ServiceAccountRoleArn"),
        ("configurationValues", "ConfigurationValues"),
    ):
        value = self._get_param(key)
        if value is not None:
            addon[key] = value or None  # an empty role ARN or configuration removes it
            params.append(eks_update.param(kind, value))
    if resolve is not None:
        params.append(eks_update.param("ResolveConflicts", resolve))
    addon["modifiedAt"] = utcnow()
    cluster = self.eks_backend.describe_cluster(cluster_name)
    return ActionResult({"update": eks_update.record_update(cluster, "AddonUpdate", params, addon=addon_name)})


def _delete_addon(self: EKSResponse) -> ActionResult:
    cluster_name, addon_name = self._get_param("name"), self._get_param("addonName")
    addon = _find(self.eks_backend, cluster_name, addon_name)
    del _addons(self.eks_backend, cluster_name)[addon_name]
    return ActionResult({"addon": {**addon, "status": "DELETING"}})


def _addon_by_arn(backend: EKSBackend, arn: str) -> dict[str, Any] | None:
    for cluster in backend.clusters.values():
        for addon in getattr(cluster, "stratatest_addons", {}).values():
            if addon["addonArn"] == arn:
                return addon
    return None


def _tags_on_addons(original: Any, action: str) -> Any:
    """Route TagResource/UntagResource/ListTagsForResource on an add-on ARN to the add-on; the rest to moto."""

    def handle(self: EKSResponse) -> ActionResult:
        addon = _addon_by_arn(self.eks_backend, self._extract_arn_from_path())
        if addon is None:
            return original(self)
        if action == "tag":
            addon["tags"].update(self._get_param("tags") or {})
        elif action == "untag":
            keys = self._get_param("tagKeys") or []
            for key in [keys] if isinstance(keys, str) else keys:
                addon["tags"].pop(key, None)
        else:
            return ActionResult({"tags": addon["tags"]})
        return EmptyResult()

    handle.__stratatest__ = True  # type: ignore[attr-defined]
    return handle


def apply() -> None:
    """Add the add-on routes and actions, and DescribeUpdate for add-on updates (idempotent)."""
    if getattr(EKSResponse.list_tags_for_resource, "__stratatest__", False):
        return
    eks_update.install_update_api()
    for route in ROUTES:
        urls.url_paths.setdefault(route, EKSResponse.dispatch)
    EKSResponse.create_addon = _create_addon  # type: ignore[attr-defined]
    EKSResponse.describe_addon = _describe_addon  # type: ignore[attr-defined]
    EKSResponse.list_addons = _list_addons  # type: ignore[attr-defined]
    EKSResponse.update_addon = _update_addon  # type: ignore[attr-defined]
    EKSResponse.delete_addon = _delete_addon  # type: ignore[attr-defined]
    EKSResponse.tag_resource = _tags_on_addons(EKSResponse.tag_resource, "tag")  # type: ignore[method-assign]
    EKSResponse.untag_resource = _tags_on_addons(EKSResponse.untag_resource, "untag")  # type: ignore[method-assign]
    EKSResponse.list_tags_for_resource = _tags_on_addons(  # type: ignore[method-assign]
        EKSResponse.list_tags_for_resource, "list"
    )
