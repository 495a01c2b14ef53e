"""Emulator layer for terraform/modules/eks: a network first, then the cluster; read back, idempotency, destroy.

The add-ons, the node group and launch template read-back and the idempotency check rely on the moto
corrections eks_addon, eks_update, eks_node_group_drift and launch_template_drift.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stratatest.inspect import policy as pol

pytestmark = pytest.mark.apply

MODULES = Path(__file__).resolve().parents[3] / "terraform" / "modules"
AZS = ["us-east-1a", "us-east-1b"]
LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
WORKER_POLICIES = ["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]
GROUP = {"instance_types": ["m6i.large"], "min_size": 1, "max_size": 4, "desired_size": 2, "labels": {"tier": "apps"}}
SHIPPER_GROUPS = ["/acme/eks/application", "/acme/eks/host"]


@pytest.fixture(scope="module")
def names(unique_name) -> dict[str, str]:
    return {"network": unique_name("eksnet"), "cluster": unique_name("eks")}


@pytest.fixture(scope="module")
def network(stacks, names) -> dict[str, Any]:
    """The cluster's VPC; destroyed after the cluster (the stacks fixture destroys in reverse order)."""
    stack = stacks(
        MODULES / "network",
        name=names["network"],
        azs=AZS,
        cidr="10.44.0.0/16",
        nat_gateway_mode="single",
        cluster_name=names["cluster"],
        kms_deletion_window_in_days=7,
    )
    return stack.outputs()


@pytest.fixture(scope="module")
def eks(stacks, names, network):
    stack = stacks(
        MODULES / "eks",
        name=names["cluster"],
        vpc_id=network["vpc_id"],
        subnet_ids=network["private_subnet_ids"],
        node_groups={"apps": GROUP},
        log_shipper_log_group_names=SHIPPER_GROUPS,
        kms_deletion_window_in_days=7,  # test setting: the keys of a destroyed test stack go sooner
        tags={"owner": "platform"},
    )
    return stack, stack.outputs()


@pytest.fixture(scope="module")
def out(eks) -> dict[str, Any]:
    return eks[1]


def _trust(role) -> dict[str, Any]:
    (statement,) = pol.statements(role.assume_role_policy)
    return statement


def test_cluster_read_back(out, aws, network) -> None:
    cluster = aws.eks_cluster(out["cluster_name"])
    assert cluster.exists
    assert cluster.status == "ACTIVE"
    assert cluster.arn == out["cluster_arn"]
    assert cluster.endpoint == out["cluster_endpoint"]
    assert cluster.subnet_ids == sorted(network["private_subnet_ids"])
    assert cluster.role_arn == aws.iam_role(out["cluster_role_name"]).arn
    assert cluster.tags["owner"] == "platform"
    assert aws.security_group(out["cluster_security_group_id"]).exists  # the group EKS creates for the cluster


@pytest.mark.control("STRATA-EKS-001")
@pytest.mark.control("STRATA-KMS-001")
def test_secrets_encrypted_with_the_module_key(out, aws) -> None:
    cluster = aws.eks_cluster(out["cluster_name"])
    assert cluster.secrets_encrypted_with(out["kms_key_arn"])
    key = aws.kms_key(out["kms_key_arn"])
    assert key.is_enabled and key.rotation_enabled
    assert key.key_manager == "CUSTOMER"
    (policy,) = aws.iam_role(out["cluster_role_name"]).inline_policies.values()
    (statement,) = pol.statements(policy)
    assert statement["Resource"] == [out["kms_key_arn"]]
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ListGrants"]


@pytest.mark.control("STRATA-EKS-002")
def test_endpoint_private_only(out, aws) -> None:
    cluster = aws.eks_cluster(out["cluster_name"])
    assert cluster.endpoint_private_access
    assert not cluster.endpoint_public_access
    assert not cluster.public_endpoint_open_to_internet
    (extra,) = cluster.security_group_ids
    group = aws.security_group(extra)
    assert group.restricts_all_traffic, (group.ingress_rules, group.egress_rules)


@pytest.mark.control("STRATA-EKS-003")
@pytest.mark.control("STRATA-LOGS-001")
def test_control_plane_logs_into_the_retained_encrypted_group(out, aws) -> None:
    cluster = aws.eks_cluster(out["cluster_name"])
    assert cluster.enabled_log_types == sorted(LOG_TYPES)
    assert cluster.logs_all_types
    group = aws.log_group(out["cluster_log_group_name"])
    assert out["cluster_log_group_name"] == f"/aws/eks/{out['cluster_name']}/cluster"
    assert group.exists
    assert group.retention_days == 365
    assert group.kms_key_arn == out["cluster_log_kms_key_arn"]
    assert aws.kms_key(out["cluster_log_kms_key_arn"]).rotation_enabled


@pytest.mark.control("STRATA-EKS-004")
def test_version(out, aws) -> None:
    assert aws.eks_cluster(out["cluster_name"]).version == out["cluster_version"] == "1.32"
    assert aws.eks_cluster(out["cluster_name"]).node_group(out["node_group_names"]["apps"]).version == "1.32"


def test_node_group_scaling_launch_template_and_tags(out, aws) -> None:
    cluster = aws.eks_cluster(out["cluster_name"])
    assert cluster.node_group_names == [out["node_group_names"]["apps"]] == [f"{out['cluster_name']}-apps"]
    group = cluster.node_group(out["node_group_names"]["apps"])
    assert group.status == "ACTIVE"
    assert group.scaling == {k: GROUP[k] for k in ("min_size", "max_size", "desired_size")}
    assert group.update_config == {"maxUnavailable": 1}
    assert group.instance_types == GROUP["instance_types"]
    assert group.capacity_type == "ON_DEMAND"
    assert group.labels == GROUP["labels"]
    assert group.node_role_arn == aws.iam_role(out["node_role_name"]).arn
    assert group.launch_template is not None
    assert group.launch_template["id"] == out["launch_template_ids"]["apps"]
    assert group.tags["k8s.io/cluster-autoscaler/enabled"] == "true"
    assert group.tags[f"k8s.io/cluster-autoscaler/{out['cluster_name']}"] == "owned"


@pytest.mark.control("STRATA-EC2-001")
@pytest.mark.control("STRATA-EBS-001")
def test_nodes_launch_with_imdsv2_and_encrypted_volumes(out, aws) -> None:
    group = aws.eks_cluster(out["cluster_name"]).node_group(out["node_group_names"]["apps"])
    template = aws.launch_template(group.launch_template["id"], group.launch_template["version"])
    assert template.exists
    assert template.metadata_endpoint_enabled
    assert template.requires_imdsv2
    assert template.hop_limit == 1
    assert template.volumes_encrypted
    assert template.volumes_encrypted_with(out["node_volume_kms_key_arn"])
    (root,) = template.ebs_volumes.values()
    assert (root["VolumeType"], root["VolumeSize"]) == ("gp3", 50)
    assert set(template.tag_specifications) >= {"instance", "volume", "network-interface"}
    assert template.tag_specifications["volume"]["owner"] == "platform"


@pytest.mark.control("STRATA-EKS-005")
def test_oidc_provider_is_the_cluster_issuer(out, aws) -> None:
    provider = aws.iam_oidc_provider(out["oidc_provider_arn"])
    assert provider.exists
    assert out["oidc_issuer_url"] == aws.eks_cluster(out["cluster_name"]).oidc_issuer
    assert provider.is_issuer(out["oidc_issuer_url"])
    assert provider.client_ids == ["sts.amazonaws.com"]


@pytest.mark.control("STRATA-EKS-005")
@pytest.mark.parametrize(
    ("role", "subject"),
    [
        ("cluster_autoscaler", "system:serviceaccount:kube-system:cluster-autoscaler"),
        ("log_shipper", "system:serviceaccount:logging:log-shipper"),
    ],
)
def test_irsa_role_trusts_one_service_account(out, aws, role: str, subject: str) -> None:
    iam_role = aws.iam_role(out[f"{role}_role_name"])
    assert iam_role.arn == out[f"{role}_role_arn"]
    statement = _trust(iam_role)
    issuer = out["oidc_issuer_url"].removeprefix("https://")
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == ["sts:AssumeRoleWithWebIdentity"]
    assert statement["Principal"] == {"Federated": [out["oidc_provider_arn"]]}
    assert sorted(pol.condition_keys(statement)) == [
        ("StringEquals", f"{issuer}:aud"),
        ("StringEquals", f"{issuer}:sub"),
    ]
    assert pol.condition_values(statement, "StringEquals", f"{issuer}:sub") == [subject]
    assert pol.condition_values(statement, "StringEquals", f"{issuer}:aud") == ["sts.amazonaws.com"]


@pytest.mark.control("STRATA-IAM-001")
def test_cluster_autoscaler_scales_only_this_clusters_groups(out, aws) -> None:
    role = aws.iam_role(out["cluster_autoscaler_role_name"])
    assert not role.has_wildcard_admin
    assert role.attached_policy_arns == []
    (document,) = role.inline_policies.values()
    statements = pol.statements(document)
    for statement in statements:
        if statement["Resource"] == ["*"]:
            assert all(a.split(":")[1].startswith(("Describe", "Get")) for a in statement["Action"]), statement
    (write,) = [s for s in statements if "autoscaling:SetDesiredCapacity" in s["Action"]]
    tag_key = f"aws:ResourceTag/k8s.io/cluster-autoscaler/{out['cluster_name']}"
    assert pol.condition_values(write, "StringEquals", tag_key) == ["owned"]


@pytest.mark.control("STRATA-IAM-001")
def test_log_shipper_writes_only_to_its_log_groups(out, aws) -> None:
    role = aws.iam_role(out["log_shipper_role_name"])
    assert not role.has_wildcard_admin
    assert role.attached_policy_arns == []
    (document,) = role.inline_policies.values()
    (statement,) = pol.statements(document)
    assert sorted(statement["Action"]) == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    groups = {r.split(":log-group:")[1].removesuffix(":*") for r in statement["Resource"]}
    assert sorted(groups) == SHIPPER_GROUPS


@pytest.mark.control("STRATA-IAM-001")
@pytest.mark.control("STRATA-IAM-002")
def test_cluster_and_node_roles_hold_only_the_eks_managed_policies(out, aws) -> None:
    cluster_role = aws.iam_role(out["cluster_role_name"])
    node_role = aws.iam_role(out["node_role_name"])
    assert cluster_role.trusted_services == ["eks.amazonaws.com"]
    assert node_role.trusted_services == ["ec2.amazonaws.com"]
    assert [a.split(":policy/")[1] for a in cluster_role.attached_policy_arns] == ["AmazonEKSClusterPolicy"]
    assert [a.split(":policy/")[1] for a in node_role.attached_policy_arns] == WORKER_POLICIES
    assert node_role.inline_policies == {}
    for role in (cluster_role, node_role):
        assert not role.has_admin_access_attached
        assert not role.has_wildcard_admin


def test_default_addons(out, aws) -> None:
    assert aws.eks_cluster(out["cluster_name"]).addon_names == ["coredns", "kube-proxy", "vpc-cni"]


def test_every_resource_carries_the_run_id(out, aws, run_id) -> None:
    assert aws.eks_cluster(out["cluster_name"]).tags.get("stratatest:run-id") == run_id
    assert aws.iam_oidc_provider(out["oidc_provider_arn"]).tags.get("stratatest:run-id") == run_id
    assert aws.launch_template(out["launch_template_ids"]["apps"]).tags.get("stratatest:run-id") == run_id
    assert aws.log_group(out["cluster_log_group_name"]).tags.get("stratatest:run-id") == run_id


def test_idempotent(eks) -> None:
    eks[0].assert_idempotent()


def test_destroy_leaves_nothing(eks, aws) -> None:
    """Runs last in this module: destroy the cluster now (the network follows at teardown) and check it is gone."""
    stack, out = eks
    stack.destroy()
    assert not aws.eks_cluster(out["cluster_name"]).exists
    assert not aws.eks_cluster(out["cluster_name"]).node_group(out["node_group_names"]["apps"]).exists
    assert not aws.launch_template(out["launch_template_ids"]["apps"]).exists
    assert not aws.iam_oidc_provider(out["oidc_provider_arn"]).exists
    assert not aws.log_group(out["cluster_log_group_name"]).exists
    for name in ("cluster_role_name", "node_role_name", "cluster_autoscaler_role_name", "log_shipper_role_name"):
        assert not aws.iam_role(out[name]).exists, out[name]
    for key in ("kms_key_arn", "cluster_log_kms_key_arn", "node_volume_kms_key_arn"):
        assert aws.kms_key(out[key]).pending_deletion, f"{key} {out[key]} is {aws.kms_key(out[key]).state}"
