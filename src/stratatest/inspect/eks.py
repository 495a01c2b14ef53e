"""Read-only views of an EKS cluster, its managed node groups and the IAM OIDC provider its IRSA roles trust.

A missing cluster, node group or provider answers `exists` False; any other property of a missing one raises
`EKSClusterNotFound` / `EKSNodeGroupNotFound` / `OIDCProviderNotFound`, so a typo never reads as a harmless
"no". The OIDC provider is an IAM resource; it lives here because IRSA is the only reason the platform has one.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from stratatest.inspect.view import View, tag_map

#: Every control-plane log type EKS can send to CloudWatch Logs.
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


class EKSClusterNotFound(LookupError):
    """Raised by every `eks_cluster` property but `exists` when the cluster is not there."""


class EKSNodeGroupNotFound(LookupError):
    """Raised by every node group property but `exists` when the group (or its cluster) is not there."""


class OIDCProviderNotFound(LookupError):
    """Raised by every `iam_oidc_provider` property but `exists` when the provider is not there."""


def _bare_url(url: str) -> str:
    """IAM stores provider URLs without the scheme; EKS reports its issuer with it."""
    return url.removeprefix("https://").rstrip("/")


class _EKSResource(View):
    """What a cluster and a node group share: how EKS reports them missing, their status, version and tags."""

    service = "eks"
    missing_codes = frozenset({"ResourceNotFoundException"})  # a node group's answer when its cluster is gone too

    @property
    def status(self) -> str:
        """`CREATING`, `ACTIVE`, `UPDATING`, `DELETING`, ... (a node group may also be `DEGRADED`)."""
        return self._describe()["status"]

    @property
    def version(self) -> str:
        """Kubernetes minor version, e.g. "1.32" (a node group's may lag its cluster's)."""
        return self._describe()["version"]

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._describe().get("tags", {}))


class EKSCluster(_EKSResource):
    """`aws.eks_cluster(name)`: yes/no properties a test asserts on."""

    kind = "eks_cluster"
    not_found = EKSClusterNotFound

    def _fetch(self) -> dict[str, Any]:
        return self._client.describe_cluster(name=self.ref)["cluster"]

    def _vpc(self) -> dict[str, Any]:
        return self._describe().get("resourcesVpcConfig", {})

    @property
    def arn(self) -> str:
        return self._describe()["arn"]

    @property
    def endpoint(self) -> str:
        return self._describe()["endpoint"]

    @property
    def role_arn(self) -> str:
        return self._describe()["roleArn"]

    @property
    def secrets_kms_key_arn(self) -> str | None:
        """The KMS key that envelope-encrypts Kubernetes secrets; None when secrets are not encrypted."""
        for config in self._describe().get("encryptionConfig", []):
            if "secrets" in config.get("resources", []):
                return config.get("provider", {}).get("keyArn")
        return None

    @property
    def secrets_encrypted(self) -> bool:
        return self.secrets_kms_key_arn is not None

    def secrets_encrypted_with(self, key_arn: str) -> bool:
        """Secrets are envelope-encrypted with exactly this key (by ARN)."""
        return self.secrets_kms_key_arn == key_arn

    @property
    def endpoint_private_access(self) -> bool:
        """The API server answers inside the VPC."""
        return bool(self._vpc().get("endpointPrivateAccess", False))

    @property
    def endpoint_public_access(self) -> bool:
        """The API server also answers from the internet (to `public_access_cidrs`)."""
        return bool(self._vpc().get("endpointPublicAccess", True))

    @property
    def public_access_cidrs(self) -> list[str]:
        """Networks allowed to the public endpoint, sorted ([] when the target reports none)."""
        return sorted(self._vpc().get("publicAccessCidrs", []))

    @property
    def public_endpoint_open_to_internet(self) -> bool:
        """The public endpoint is on and one of its CIDRs is the whole IPv4 internet (/0)."""
        if not self.endpoint_public_access:
            return False
        return any(ipaddress.ip_network(c, strict=False).prefixlen == 0 for c in self.public_access_cidrs)

    @property
    def subnet_ids(self) -> list[str]:
        return sorted(self._vpc().get("subnetIds", []))

    @property
    def security_group_ids(self) -> list[str]:
        """Additional security groups on the control-plane interfaces (not EKS's own cluster group)."""
        return sorted(self._vpc().get("securityGroupIds", []))

    @property
    def enabled_log_types(self) -> list[str]:
        """Control-plane log types sent to CloudWatch Logs, sorted."""
        logging = self._describe().get("logging", {}).get("clusterLogging", [])
        return sorted({t for entry in logging if entry.get("enabled") for t in entry.get("types", [])})

    @property
    def logs_all_types(self) -> bool:
        """All five control-plane log types are on (CIS EKS 2.1.1)."""
        return set(CONTROL_PLANE_LOG_TYPES) <= set(self.enabled_log_types)

    @property
    def oidc_issuer(self) -> str | None:
        """The cluster's OIDC issuer URL (https://...), what IRSA trust policies are keyed on."""
        return self._describe().get("identity", {}).get("oidc", {}).get("issuer")

    @property
    def node_group_names(self) -> list[str]:
        self._describe()
        return sorted(self._paginate("list_nodegroups", "nodegroups", clusterName=self.ref))

    def node_group(self, name: str) -> EKSNodeGroup:
        return EKSNodeGroup(self._clients, f"{self.ref}/{name}")

    @property
    def addon_names(self) -> list[str]:
        self._describe()
        return sorted(self._paginate("list_addons", "addons", clusterName=self.ref))


class EKSNodeGroup(_EKSResource):
    """`aws.eks_cluster(name).node_group(group)`: a managed node group; `ref` is `<cluster>/<group>`."""

    kind = "eks_node_group"
    not_found = EKSNodeGroupNotFound

    @property
    def cluster_name(self) -> str:
        return self.ref.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.ref.split("/", 1)[1]

    def _fetch(self) -> dict[str, Any]:
        return self._client.describe_nodegroup(clusterName=self.cluster_name, nodegroupName=self.name)["nodegroup"]

    @property
    def scaling(self) -> dict[str, int]:
        """`{"min_size", "max_size", "desired_size"}`, the group's scaling configuration."""
        config = self._describe()["scalingConfig"]
        return {"min_size": config["minSize"], "max_size": config["maxSize"], "desired_size": config["desiredSize"]}

    @property
    def launch_template(self) -> dict[str, str] | None:
        """`{"id", "name", "version"}` of the group's launch template; None when it has none."""
        return self._describe().get("launchTemplate")

    @property
    def update_config(self) -> dict[str, int]:
        """`maxUnavailable` or `maxUnavailablePercentage`; {} when the target reports none."""
        return dict(self._describe().get("updateConfig", {}))

    @property
    def instance_types(self) -> list[str]:
        return list(self._describe().get("instanceTypes", []))

    @property
    def capacity_type(self) -> str:
        return self._describe()["capacityType"]

    @property
    def node_role_arn(self) -> str:
        return self._describe()["nodeRole"]

    @property
    def subnet_ids(self) -> list[str]:
        return sorted(self._describe().get("subnets", []))

    @property
    def labels(self) -> dict[str, str]:
        return dict(self._describe().get("labels", {}))


class IAMOIDCProvider(View):
    """`aws.iam_oidc_provider(arn)`: the IAM identity provider IRSA roles name as their Federated principal."""

    kind = "iam_oidc_provider"
    service = "iam"
    missing_codes = frozenset({"NoSuchEntity"})
    not_found = OIDCProviderNotFound

    def _fetch(self) -> dict[str, Any]:
        return self._client.get_open_id_connect_provider(OpenIDConnectProviderArn=self.ref)

    @property
    def url(self) -> str:
        """The issuer as IAM stores it: without `https://`, as IRSA condition keys begin."""
        return _bare_url(self._describe()["Url"])

    def is_issuer(self, issuer_url: str) -> bool:
        """The provider stands for `issuer_url` (with or without the scheme)."""
        return self.url == _bare_url(issuer_url)

    @property
    def client_ids(self) -> list[str]:
        """Audiences the provider accepts, sorted; IRSA needs exactly sts.amazonaws.com."""
        return sorted(self._describe().get("ClientIDList", []))

    @property
    def thumbprints(self) -> list[str]:
        return list(self._describe().get("ThumbprintList", []))

    @property
    def tags(self) -> dict[str, str]:
        return tag_map(self._describe().get("Tags", []))
