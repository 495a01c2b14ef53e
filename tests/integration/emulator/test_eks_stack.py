"""The corrected moto gaps at the Terraform level: an EKS stack applies, stays idempotent, updates in place.

eks_stack/ holds an EKS cluster, a managed node group on a launch template, an add-on and a DB parameter
group: each resource moto 5.2.5 broke before the eks_addon, eks_update, eks_node_group_drift,
launch_template_drift and db_parameter_group_drift corrections. The tests run in file order on one stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stratatest.inspect.errors import error_code

pytestmark = pytest.mark.emulator

MODULE = Path(__file__).resolve().parent / "eks_stack"
LOG_TYPES = ["api", "audit"]
UPDATED_LOG_TYPES = ["api", "audit", "authenticator"]


@pytest.fixture(scope="module")
def eks(stacks, unique_name) -> tuple[Any, dict[str, Any]]:
    stack = stacks(MODULE, name=unique_name("eks"), desired_size=2, cluster_log_types=LOG_TYPES, log_retention_days=30)
    return stack, stack.outputs()


def _enabled_log_types(cluster: dict[str, Any]) -> list[str]:
    return sorted(t for setup in cluster["logging"]["clusterLogging"] if setup.get("enabled") for t in setup["types"])


def test_cluster_node_group_and_addon_read_back(eks, aws) -> None:
    out = eks[1]
    client = aws.client("eks")
    cluster = client.describe_cluster(name=out["cluster_name"])["cluster"]
    assert _enabled_log_types(cluster) == sorted(LOG_TYPES)
    assert cluster["resourcesVpcConfig"]["endpointPublicAccess"] is False
    assert cluster["resourcesVpcConfig"]["endpointPrivateAccess"] is True

    group = client.describe_nodegroup(clusterName=out["cluster_name"], nodegroupName=out["node_group_name"])
    group = group["nodegroup"]
    assert group["scalingConfig"] == {"minSize": 1, "maxSize": 4, "desiredSize": 2}
    assert group["updateConfig"] == {"maxUnavailable": 1}
    assert "remoteAccess" not in group
    assert group["launchTemplate"]["id"] == out["launch_template_id"]

    addon = client.describe_addon(clusterName=out["cluster_name"], addonName="vpc-cni")["addon"]
    assert addon["status"] == "ACTIVE"
    assert addon["addonArn"] == out["addon_arn"]
    assert addon["addonVersion"].startswith("v")


def test_launch_template_keeps_its_own_tags_off_the_version(eks, aws) -> None:
    out = eks[1]
    ec2 = aws.client("ec2")
    (version,) = ec2.describe_launch_template_versions(LaunchTemplateId=out["launch_template_id"])[
        "LaunchTemplateVersions"
    ]
    data = version["LaunchTemplateData"]
    assert [s["ResourceType"] for s in data["TagSpecifications"]] == ["instance"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    (template,) = ec2.describe_launch_templates(LaunchTemplateIds=[out["launch_template_id"]])["LaunchTemplates"]
    assert {"Key": "purpose", "Value": "eks-nodes"} in template["Tags"]


def test_db_parameters_are_user_parameters(eks, aws) -> None:
    rds = aws.client("rds")
    answer = rds.describe_db_parameters(DBParameterGroupName=eks[1]["parameter_group_name"], Source="user")
    assert {p["ParameterName"]: p["ParameterValue"] for p in answer["Parameters"]} == {
        "rds.force_ssl": "1",
        "log_connections": "1",
    }


def test_idempotent(eks) -> None:
    eks[0].assert_idempotent()


def test_update_in_place(eks, aws) -> None:
    stack, out = eks
    plan = stack.update(desired_size=3, cluster_log_types=UPDATED_LOG_TYPES)

    assert {r.address: r.actions for r in plan.changes} == {
        "aws_eks_cluster.this": ("update",),
        "aws_eks_node_group.this": ("update",),
    }
    assert stack.outputs()["node_group_arn"] == out["node_group_arn"]  # same group, not a replacement
    client = aws.client("eks")
    cluster = client.describe_cluster(name=out["cluster_name"])["cluster"]
    assert _enabled_log_types(cluster) == sorted(UPDATED_LOG_TYPES)
    group = client.describe_nodegroup(clusterName=out["cluster_name"], nodegroupName=out["node_group_name"])
    assert group["nodegroup"]["scalingConfig"]["desiredSize"] == 3


def test_idempotent_after_update(eks) -> None:
    eks[0].assert_idempotent()


def test_destroy_leaves_nothing(eks, aws) -> None:
    """Runs last in this module: destroy now and check the emulator holds nothing of the stack."""
    stack, out = eks
    stack.destroy()
    with pytest.raises(ClientError) as err:
        aws.client("eks").describe_cluster(name=out["cluster_name"])
    assert error_code(err.value) == "ResourceNotFoundException"
    templates = aws.client("ec2").describe_launch_templates()["LaunchTemplates"]
    assert out["launch_template_id"] not in [t["LaunchTemplateId"] for t in templates]
    groups = aws.client("rds").describe_db_parameter_groups()["DBParameterGroups"]
    assert out["parameter_group_name"] not in [g["DBParameterGroupName"] for g in groups]
    assert not aws.vpc(out["vpc_id"]).exists
    assert not aws.log_group(out["log_group_name"]).exists
