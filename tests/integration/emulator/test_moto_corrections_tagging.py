"""The moto corrections for tag changes (TagResource/UntagResource/ListTagsForResource): the gap on plain moto,
and the same calls corrected.

The "gap" tests pin moto 5.2.5's wrong behaviour. When one of them fails after a moto upgrade, moto has
fixed the gap upstream: delete the correction, its tests and its row in docs/emulator-gaps.md.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stratatest.targets.moto import MotoTarget


@pytest.fixture(scope="module")
def plain(start_moto: Callable[..., MotoTarget]) -> MotoTarget:
    return start_moto(corrections="none")


@pytest.fixture(scope="module")
def corrected(start_moto: Callable[..., MotoTarget]) -> MotoTarget:
    return start_moto(corrections="all")


def _error_code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def _status(err: pytest.ExceptionInfo[ClientError]) -> int:
    return int(err.value.response["ResponseMetadata"]["HTTPStatusCode"])


# -- eks_node_group_tags -----------------------------------------------------------------------------------

EKS_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _cluster_with_node_groups(target: MotoTarget, *node_group_tags: dict[str, str]) -> list[dict[str, Any]]:
    """A fresh cluster tagged `owner=cluster`, then one node group per tag map, as DescribeNodegroup shows them."""
    suffix = uuid.uuid4().hex[:8]
    role = target.client("iam").create_role(RoleName=f"eks-{suffix}", AssumeRolePolicyDocument=json.dumps(EKS_TRUST))
    role_arn, cluster = role["Role"]["Arn"], f"tags-{suffix}"
    eks = target.client("eks", max_attempts=1)
    eks.create_cluster(name=cluster, roleArn=role_arn, resourcesVpcConfig={"subnetIds": []}, tags={"owner": "cluster"})
    return [
        eks.create_nodegroup(
            clusterName=cluster,
            nodegroupName=f"ng-{index}",
            subnets=["subnet-0123456789abcdef0"],
            nodeRole=role_arn,
            tags=tags,
        )["nodegroup"]
        for index, tags in enumerate(node_group_tags)
    ]


def _node_group_tags(target: MotoTarget, node_group: dict[str, Any]) -> dict[str, str]:
    described = target.client("eks").describe_nodegroup(
        clusterName=node_group["clusterName"], nodegroupName=node_group["nodegroupName"]
    )
    return dict(described["nodegroup"]["tags"])


def test_gap_eks_node_group_tags(plain: MotoTarget) -> None:
    (node_group,) = _cluster_with_node_groups(plain, {"team": "platform"})
    eks = plain.client("eks", max_attempts=1)
    arn = node_group["nodegroupArn"]
    for call in (
        lambda: eks.tag_resource(resourceArn=arn, tags={"env": "dev"}),
        lambda: eks.untag_resource(resourceArn=arn, tagKeys=["team"]),
        lambda: eks.list_tags_for_resource(resourceArn=arn),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert _status(err) == 404 and "Resource was not found" in str(err.value)
    assert _node_group_tags(plain, node_group) == {"team": "platform"}  # kept from create, but unchangeable


def test_node_group_tags_are_changed_and_listed(corrected: MotoTarget) -> None:
    (node_group,) = _cluster_with_node_groups(corrected, {"team": "platform", "env": "dev"})
    eks = corrected.client("eks", max_attempts=1)
    arn = node_group["nodegroupArn"]
    assert eks.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "platform", "env": "dev"}

    eks.tag_resource(resourceArn=arn, tags={"env": "prod", "cost-centre": "42"})
    eks.untag_resource(resourceArn=arn, tagKeys=["team", "not-there"])

    expected = {"env": "prod", "cost-centre": "42"}
    assert eks.list_tags_for_resource(resourceArn=arn)["tags"] == expected
    assert _node_group_tags(corrected, node_group) == expected


def test_node_group_tags_stay_on_their_node_group(corrected: MotoTarget) -> None:
    first, second = _cluster_with_node_groups(corrected, {"group": "first"}, {"group": "second"})
    eks = corrected.client("eks", max_attempts=1)
    cluster_arn = eks.describe_cluster(name=first["clusterName"])["cluster"]["arn"]

    eks.tag_resource(resourceArn=first["nodegroupArn"], tags={"group": "changed"})
    eks.tag_resource(resourceArn=cluster_arn, tags={"scope": "cluster"})  # clusters are still moto's own

    assert _node_group_tags(corrected, first) == {"group": "changed"}
    assert _node_group_tags(corrected, second) == {"group": "second"}
    assert eks.list_tags_for_resource(resourceArn=cluster_arn)["tags"] == {"owner": "cluster", "scope": "cluster"}

    eks.delete_nodegroup(clusterName=first["clusterName"], nodegroupName=first["nodegroupName"])
    with pytest.raises(ClientError) as err:
        eks.tag_resource(resourceArn=first["nodegroupArn"], tags={"group": "gone"})
    assert _error_code(err) == "ResourceNotFoundException"


def test_node_group_and_addon_tags_both_work(corrected: MotoTarget) -> None:
    # eks_addon wraps the tag responses and this correction the backend: both must hold on one server.
    (node_group,) = _cluster_with_node_groups(corrected, {})
    eks = corrected.client("eks", max_attempts=1)
    addon = eks.create_addon(clusterName=node_group["clusterName"], addonName="vpc-cni")["addon"]

    eks.tag_resource(resourceArn=addon["addonArn"], tags={"on": "addon"})
    eks.tag_resource(resourceArn=node_group["nodegroupArn"], tags={"on": "node-group"})

    assert eks.list_tags_for_resource(resourceArn=addon["addonArn"])["tags"] == {"on": "addon"}
    assert eks.list_tags_for_resource(resourceArn=node_group["nodegroupArn"])["tags"] == {"on": "node-group"}


# -- guardduty_detector_tags -------------------------------------------------------------------------------


def _detector_arn(detector_id: str, account: str = "", region: str = "us-east-1") -> str:
    """The ARN the aws provider builds: with no account when it does not look the account up."""
    return f"arn:aws:guardduty:{region}:{account}:detector/{detector_id}"


def _detector_tags(target: MotoTarget, detector_id: str) -> dict[str, str]:
    return dict(target.client("guardduty").get_detector(DetectorId=detector_id).get("Tags", {}))


def test_gap_guardduty_detector_tags(plain: MotoTarget) -> None:
    guardduty = plain.client("guardduty", max_attempts=1)
    detector_id = guardduty.create_detector(Enable=True, Tags={"team": "security"})["DetectorId"]
    arn = _detector_arn(detector_id, "123456789012")
    for call in (
        lambda: guardduty.tag_resource(ResourceArn=arn, Tags={"env": "dev"}),
        lambda: guardduty.untag_resource(ResourceArn=arn, TagKeys=["team"]),
        lambda: guardduty.list_tags_for_resource(ResourceArn=arn),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert _status(err) == 404  # an HTML page: the provider reports "invalid character '<'"
    assert _detector_tags(plain, detector_id) == {"team": "security"}


@pytest.mark.parametrize("account", ["", "123456789012"], ids=["as-the-provider-builds-it", "with-account"])
def test_detector_tags_are_changed_and_listed(corrected: MotoTarget, account: str) -> None:
    guardduty = corrected.client("guardduty", max_attempts=1)
    detector_id = guardduty.create_detector(Enable=True, Tags={"team": "security", "env": "dev"})["DetectorId"]
    arn = _detector_arn(detector_id, account)
    assert guardduty.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "security", "env": "dev"}

    guardduty.tag_resource(ResourceArn=arn, Tags={"env": "prod", "cost-centre": "42"})
    guardduty.untag_resource(ResourceArn=arn, TagKeys=["team", "not-there"])

    expected = {"env": "prod", "cost-centre": "42"}
    assert guardduty.list_tags_for_resource(ResourceArn=arn)["Tags"] == expected
    assert _detector_tags(corrected, detector_id) == expected


def test_detector_tag_requests_are_refused_for_what_is_not_the_callers_detector(corrected: MotoTarget) -> None:
    guardduty = corrected.client("guardduty", max_attempts=1)
    detector_id = guardduty.create_detector(Enable=True, Tags={"team": "security"})["DetectorId"]
    refused = [
        _detector_arn(detector_id, "210987654321"),  # another account
        _detector_arn(detector_id, region="eu-west-1"),  # another Region
        _detector_arn(uuid.uuid4().hex),  # no such detector
        f"{_detector_arn(detector_id)}/filter/noisy",  # a filter: not emulated, refused rather than ignored
        "not-an-arn",
    ]
    for arn in refused:
        with pytest.raises(ClientError) as err:
            guardduty.tag_resource(ResourceArn=arn, Tags={"team": "intruder"})
        assert (_status(err), _error_code(err)) == (400, "BadRequestException"), arn
    assert _detector_tags(corrected, detector_id) == {"team": "security"}
