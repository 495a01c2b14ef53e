"""left_behind(): resources tagged with the run id count as leftovers unless they are in a deleted end state."""

from __future__ import annotations

import os

import boto3
import pytest
from moto import mock_aws

from stratatest.targets.leftovers import left_behind
from stratatest.terraform.provider import RUN_ID_TAG

RUN = "stunit1"


class InProcessTarget:
    def client(self, service: str):
        return boto3.client(service, region_name="us-east-1")


@pytest.fixture
def target(monkeypatch: pytest.MonkeyPatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    for key in [k for k in os.environ if k == "AWS_PROFILE" or k.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        yield InProcessTarget()


def _nat_gateway(ec2) -> str:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    tags = [{"ResourceType": "natgateway", "Tags": [{"Key": RUN_ID_TAG, "Value": RUN}]}]
    answer = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation, TagSpecifications=tags)
    return answer["NatGateway"]["NatGatewayId"]


def test_live_nat_gateway_is_left_behind_and_a_deleted_one_is_not(target):
    ec2 = target.client("ec2")
    nat = _nat_gateway(ec2)
    assert [arn.rsplit("/", 1)[-1] for arn in left_behind(target, RUN)] == [nat]
    ec2.delete_nat_gateway(NatGatewayId=nat)
    tagged = target.client("resourcegroupstaggingapi").get_resources(TagFilters=[{"Key": RUN_ID_TAG}])
    assert len(tagged["ResourceTagMappingList"]) == 1  # still listed, in state "deleted" (so does AWS, for a while)
    assert left_behind(target, RUN) == []


def test_kms_key_is_left_behind_until_scheduled_for_deletion(target):
    kms = target.client("kms")
    key = kms.create_key(Tags=[{"TagKey": RUN_ID_TAG, "TagValue": RUN}])["KeyMetadata"]
    assert left_behind(target, RUN) == [key["Arn"]]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert left_behind(target, RUN) == []
