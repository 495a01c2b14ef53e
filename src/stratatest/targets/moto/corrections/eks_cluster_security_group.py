"""Correction: CreateCluster creates the cluster security group EKS creates, and DeleteCluster deletes it.

Gap (moto 5.2.5): a cluster's `resourcesVpcConfig` is only the request's, so DescribeCluster has no
`clusterSecurityGroupId` (nor `vpcId`) and the aws provider's `vpc_config[0].cluster_security_group_id` is empty.
Anything wired to that group, such as a database ingress rule for the cluster's workloads, cannot be created.

Fix: as on AWS, CreateCluster creates a security group in the VPC of the cluster's subnets, through moto's EC2
backend of the same account and region (so DescribeSecurityGroups shows it): named
`eks-cluster-sg-<cluster>-<10 digits>`, with EKS's description, all traffic in from itself, all traffic out
(moto's default egress rule) and to itself (AWS's EFA rule), tagged `Name`, `aws:eks:cluster-name` and
`kubernetes.io/cluster/<cluster>=owned` (set on the model: the API refuses `aws:` keys). Its id and the VPC id
are added to `resourcesVpcConfig`. DeleteCluster deletes the group with the cluster, so a VPC destroyed
afterwards has nothing of EKS left in it (moto's DeleteVpc would not refuse, unlike AWS). Subnets in more than
one VPC are refused as AWS refuses them; subnets moto does not know (moto accepts them) get no group.
"""

from __future__ import annotations

import contextlib
from typing import Any

from moto.ec2.exceptions import InvalidSecurityGroupNotFoundError
from moto.ec2.models import EC2Backend, ec2_backends
from moto.eks.exceptions import InvalidParameterException
from moto.eks.models import Cluster, EKSBackend
from moto.moto_api._internal import mock_random as random

DESCRIPTION = (
    "EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, "
    "as well as any managed workloads."
)
ALL_TRAFFIC = "-1"


def _ec2(backend: EKSBackend) -> EC2Backend:
    return ec2_backends[backend.account_id][backend.region_name]


def _vpc_of(ec2: EC2Backend, subnet_ids: list[str], cluster_name: str) -> str | None:
    """The one VPC of the subnets moto knows; AWS refuses subnets from several VPCs."""
    vpcs = sorted({subnet.vpc_id for subnet in ec2.describe_subnets(filters={"subnet-id": subnet_ids})})
    if len(vpcs) > 1:
        raise InvalidParameterException(
            clusterName=cluster_name, message=f"Subnets specified must be in the same VPC, not in {', '.join(vpcs)}"
        )
    return vpcs[0] if vpcs else None


def _create_group(ec2: EC2Backend, cluster_name: str, vpc_id: str) -> str:
    name = f"eks-cluster-sg-{cluster_name}-{random.randint(10**9, 10**10 - 1)}"
    tags = {"Name": name, "aws:eks:cluster-name": cluster_name, f"kubernetes.io/cluster/{cluster_name}": "owned"}
    group = ec2.create_security_group(name, DESCRIPTION, vpc_id=vpc_id, tags=tags)
    all_ports: Any = None  # an all-traffic rule has no ports (moto's signature says str)
    for authorize in (ec2.authorize_security_group_ingress, ec2.authorize_security_group_egress):
        authorize(group.id, ALL_TRAFFIC, all_ports, all_ports, [], source_groups=[{"GroupId": group.id}], vpc_id=vpc_id)
    return str(group.id)


def _delete_group(ec2: EC2Backend, group_id: str) -> None:
    with contextlib.suppress(InvalidSecurityGroupNotFoundError):  # deleted by hand: EKS's cleanup carries on
        ec2.delete_security_group(group_id=group_id)
    ec2.tags.pop(group_id, None)


def apply() -> None:
    """Wrap EKSBackend.create_cluster and delete_cluster (idempotent)."""
    create, delete = EKSBackend.create_cluster, EKSBackend.delete_cluster
    if getattr(create, "__stratatest__", False):
        return

    def create_cluster(
        self: EKSBackend, name: str, role_arn: str, resources_vpc_config: dict[str, Any], **kwargs: Any
    ) -> Cluster:
        config = dict(resources_vpc_config or {})
        ec2 = _ec2(self)
        vpc_id = _vpc_of(ec2, list(config.get("subnetIds") or []), name)
        cluster = create(self, name=name, role_arn=role_arn, resources_vpc_config=config, **kwargs)
        if vpc_id is not None:
            group_id = _create_group(ec2, name, vpc_id)
            cluster.stratatest_security_group = group_id  # type: ignore[attr-defined]
            cluster.resources_vpc_config = {**config, "vpcId": vpc_id, "clusterSecurityGroupId": group_id}
        return cluster

    def delete_cluster(self: EKSBackend, name: str) -> Cluster:
        cluster = delete(self, name)
        group_id = getattr(cluster, "stratatest_security_group", None)  # kept even if a VPC update drops it
        if group_id is not None:
            _delete_group(_ec2(self), group_id)
        return cluster

    create_cluster.__stratatest__ = True  # type: ignore[attr-defined]
    EKSBackend.create_cluster = create_cluster  # type: ignore[method-assign,assignment]
    EKSBackend.delete_cluster = delete_cluster  # type: ignore[method-assign]
