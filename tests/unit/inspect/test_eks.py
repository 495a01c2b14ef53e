"""EKSCluster, EKSNodeGroup and IAMOIDCProvider views against moto's in-memory EKS and IAM, each property both ways."""

from __future__ import annotations

import json

import pytest

from stratatest.inspect.eks import EKSClusterNotFound, EKSNodeGroupNotFound, OIDCProviderNotFound

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
ALL_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
MISSING_PROVIDER = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/MISSING"


@pytest.fixture
def eks(aws):
    return aws.client("eks")


@pytest.fixture
def network(aws) -> dict[str, list[str]]:
    ec2 = aws.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in enumerate("ab")
    ]
    group = ec2.create_security_group(GroupName="extra", Description="extra", VpcId=vpc_id)["GroupId"]
    return {"subnets": subnets, "groups": [group]}


@pytest.fixture
def role_arn(aws) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    return aws.client("iam").create_role(RoleName="eks", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


@pytest.fixture
def hardened(eks, network, role_arn) -> str:
    """A cluster as the platform wants it: secrets encrypted, private endpoint only, every log type."""
    eks.create_cluster(
        name="hardened",
        version="1.32",
        roleArn=role_arn,
        resourcesVpcConfig={
            "subnetIds": network["subnets"],
            "securityGroupIds": network["groups"],
            "endpointPrivateAccess": True,
            "endpointPublicAccess": False,
        },
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": KEY_ARN}}],
        logging={"clusterLogging": [{"types": ALL_TYPES, "enabled": True}]},
        tags={"owner": "platform"},
    )
    return "hardened"


def _cluster(eks, role_arn, name: str, **settings) -> str:
    eks.create_cluster(name=name, roleArn=role_arn, **settings)
    return name


def test_repr_names_the_resources(aws) -> None:
    assert repr(aws.eks_cluster("c")) == "<eks_cluster c>"
    assert repr(aws.eks_cluster("c").node_group("g")) == "<eks_node_group c/g>"
    assert repr(aws.iam_oidc_provider(MISSING_PROVIDER)) == f"<iam_oidc_provider {MISSING_PROVIDER}>"


def test_hardened_cluster(aws, hardened, network, role_arn) -> None:
    cluster = aws.eks_cluster(hardened)
    assert cluster.exists
    assert cluster.status == "ACTIVE"
    assert cluster.version == "1.32"
    assert cluster.arn.endswith(":cluster/hardened")
    assert cluster.endpoint.startswith("https://")
    assert cluster.role_arn == role_arn
    assert cluster.secrets_encrypted
    assert cluster.secrets_kms_key_arn == KEY_ARN
    assert cluster.secrets_encrypted_with(KEY_ARN)
    assert not cluster.secrets_encrypted_with(KEY_ARN.replace("1111", "9999"))
    assert cluster.endpoint_private_access
    assert not cluster.endpoint_public_access
    assert not cluster.public_endpoint_open_to_internet
    assert cluster.subnet_ids == sorted(network["subnets"])
    assert cluster.security_group_ids == network["groups"]
    assert cluster.enabled_log_types == sorted(ALL_TYPES)
    assert cluster.logs_all_types
    assert cluster.oidc_issuer is not None and cluster.oidc_issuer.startswith(
        "https://oidc.eks.us-east-1.amazonaws.com/id/"
    )
    assert cluster.tags == {"owner": "platform"}


def test_cluster_without_encryption_or_full_logging(aws, eks, network, role_arn) -> None:
    name = _cluster(
        eks,
        role_arn,
        "loose",
        resourcesVpcConfig={"subnetIds": network["subnets"], "endpointPublicAccess": True},
        logging={
            "clusterLogging": [
                {"types": ["api", "audit"], "enabled": True},
                {"types": ["scheduler"], "enabled": False},
            ]
        },
    )
    cluster = aws.eks_cluster(name)
    assert not cluster.secrets_encrypted
    assert cluster.secrets_kms_key_arn is None
    assert not cluster.secrets_encrypted_with(KEY_ARN)
    assert cluster.enabled_log_types == ["api", "audit"]
    assert not cluster.logs_all_types
    assert cluster.endpoint_public_access
    assert not cluster.endpoint_private_access


@pytest.mark.parametrize(
    ("cidrs", "open_to_internet"),
    [(["0.0.0.0/0"], True), (["203.0.113.0/24", "0.0.0.0/0"], True), (["203.0.113.0/24", "10.0.0.0/8"], False)],
)
def test_public_endpoint_cidrs(aws, eks, network, role_arn, cidrs: list[str], open_to_internet: bool) -> None:
    vpc = {"subnetIds": network["subnets"], "endpointPublicAccess": True, "publicAccessCidrs": cidrs}
    cluster = aws.eks_cluster(_cluster(eks, role_arn, "public", resourcesVpcConfig=vpc))
    assert cluster.public_access_cidrs == sorted(cidrs)
    assert cluster.public_endpoint_open_to_internet is open_to_internet


def test_missing_cluster(aws) -> None:
    cluster = aws.eks_cluster("missing")
    assert not cluster.exists
    with pytest.raises(EKSClusterNotFound, match="missing"):
        _ = cluster.secrets_encrypted
    with pytest.raises(EKSClusterNotFound):
        _ = cluster.node_group_names
    with pytest.raises(EKSClusterNotFound):  # checked before the add-on API is asked
        _ = cluster.addon_names
    assert not cluster.node_group("any").exists


@pytest.fixture
def launch_template_id(aws) -> str:
    answer = aws.client("ec2").create_launch_template(
        LaunchTemplateName="nodes", LaunchTemplateData={"MetadataOptions": {"HttpTokens": "required"}}
    )
    return answer["LaunchTemplate"]["LaunchTemplateId"]


def test_node_group(aws, eks, hardened, network, launch_template_id) -> None:
    node_role = aws.client("iam").create_role(RoleName="node", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    cluster = aws.eks_cluster(hardened)
    assert cluster.node_group_names == []
    eks.create_nodegroup(
        clusterName=hardened,
        nodegroupName="general",
        subnets=network["subnets"],
        nodeRole=node_role,
        instanceTypes=["m6i.large"],
        capacityType="SPOT",
        launchTemplate={"id": launch_template_id, "version": "1"},
        scalingConfig={"minSize": 1, "maxSize": 4, "desiredSize": 2},
        updateConfig={"maxUnavailable": 1},
        labels={"workload": "general"},
        tags={"k8s.io/cluster-autoscaler/enabled": "true"},
    )
    assert cluster.node_group_names == ["general"]
    group = cluster.node_group("general")
    assert group.exists
    assert (group.cluster_name, group.name) == (hardened, "general")
    assert group.status == "ACTIVE"
    assert group.scaling == {"min_size": 1, "max_size": 4, "desired_size": 2}
    assert group.launch_template == {"id": launch_template_id, "name": "nodes", "version": "1"}
    assert group.instance_types == ["m6i.large"]
    assert group.capacity_type == "SPOT"
    assert group.node_role_arn == node_role
    assert group.subnet_ids == sorted(network["subnets"])
    assert group.labels == {"workload": "general"}
    assert group.tags == {"k8s.io/cluster-autoscaler/enabled": "true"}
    assert aws.launch_template(group.launch_template["id"], group.launch_template["version"]).requires_imdsv2


def test_missing_node_group(aws, hardened) -> None:
    group = aws.eks_cluster(hardened).node_group("missing")
    assert not group.exists
    with pytest.raises(EKSNodeGroupNotFound, match="missing"):
        _ = group.scaling


@pytest.fixture
def provider_arn(aws, hardened) -> str:
    issuer = aws.eks_cluster(hardened).oidc_issuer
    answer = aws.client("iam").create_open_id_connect_provider(
        Url=issuer, ClientIDList=["sts.amazonaws.com"], Tags=[{"Key": "owner", "Value": "platform"}]
    )
    return answer["OpenIDConnectProviderArn"]


def test_oidc_provider(aws, hardened, provider_arn) -> None:
    provider = aws.iam_oidc_provider(provider_arn)
    issuer = aws.eks_cluster(hardened).oidc_issuer
    assert provider.exists
    assert provider.url == issuer.removeprefix("https://")
    assert provider.is_issuer(issuer)
    assert provider.is_issuer(issuer.removeprefix("https://"))
    assert not provider.is_issuer("https://oidc.eks.us-east-1.amazonaws.com/id/OTHER")
    assert provider.client_ids == ["sts.amazonaws.com"]
    assert provider.thumbprints == []
    assert provider.tags == {"owner": "platform"}


def test_missing_oidc_provider(aws) -> None:
    provider = aws.iam_oidc_provider(MISSING_PROVIDER)
    assert not provider.exists
    with pytest.raises(OIDCProviderNotFound):
        _ = provider.client_ids
