"""VPC, Subnet and SecurityGroup views against moto's in-memory EC2: each yes/no property, both ways."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from stratatest.inspect.ec2 import LaunchTemplateNotFound

MISSING_VPC = "vpc-0123456789abcdef0"


@pytest.fixture
def ec2(aws):
    return aws.client("ec2")


@pytest.fixture
def vpc_id(ec2) -> str:
    tags = [{"ResourceType": "vpc", "Tags": [{"Key": "owner", "Value": "platform"}]}]
    return ec2.create_vpc(CidrBlock="10.42.0.0/16", TagSpecifications=tags)["Vpc"]["VpcId"]


@pytest.fixture
def log_group(aws) -> str:
    aws.client("logs").create_log_group(logGroupName="/aws/vpc-flow-logs/unit")
    return "/aws/vpc-flow-logs/unit"


@pytest.fixture
def role_arn(aws) -> str:
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    return aws.client("iam").create_role(RoleName="flow-logs", AssumeRolePolicyDocument=trust)["Role"]["Arn"]


def flow_log(ec2, vpc_id, log_group, role_arn, traffic="ALL") -> str:
    answer = ec2.create_flow_logs(
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType=traffic,
        LogDestinationType="cloud-watch-logs",
        LogGroupName=log_group,
        DeliverLogsPermissionArn=role_arn,
    )
    return answer["FlowLogIds"][0]


def test_repr_names_the_resources(aws):
    assert repr(aws.vpc("vpc-1")) == "<vpc vpc-1>"
    assert repr(aws.subnet("subnet-1")) == "<subnet subnet-1>"
    assert repr(aws.security_group("sg-1")) == "<security_group sg-1>"


def test_exists(aws, vpc_id):
    vpc = aws.vpc(vpc_id)
    assert vpc.exists
    assert vpc.cidr == "10.42.0.0/16"
    assert vpc.state == "available"
    assert vpc.tags == {"owner": "platform"}
    assert not aws.vpc(MISSING_VPC).exists


def test_missing_vpc_is_an_error_not_a_no(aws):
    with pytest.raises(ClientError, match=r"InvalidVpcID\.NotFound"):
        _ = aws.vpc(MISSING_VPC).has_flow_logs


def test_no_flow_logs(aws, vpc_id, log_group):
    vpc = aws.vpc(vpc_id)
    assert vpc.flow_logs == []
    assert not vpc.has_flow_logs
    assert not vpc.has_flow_logs_to(log_group)


def test_flow_logs_of_all_traffic_to_a_log_group(aws, ec2, vpc_id, log_group, role_arn):
    flow_log_id = flow_log(ec2, vpc_id, log_group, role_arn)
    vpc = aws.vpc(vpc_id)
    assert [f["FlowLogId"] for f in vpc.flow_logs] == [flow_log_id]
    assert vpc.has_flow_logs
    assert vpc.has_flow_logs_to(log_group)
    arn = aws.client("logs").describe_log_groups(logGroupNamePrefix=log_group)["logGroups"][0]["arn"]
    assert vpc.has_flow_logs_to(arn)  # by ARN, with or without the ":*"
    assert vpc.has_flow_logs_to(arn.removesuffix(":*"))
    assert not vpc.has_flow_logs_to("/aws/vpc-flow-logs/other")
    assert not vpc.has_flow_logs_to(log_group, traffic_type="REJECT")


def test_flow_logs_of_rejected_traffic_only_are_not_enough(aws, ec2, vpc_id, log_group, role_arn):
    flow_log(ec2, vpc_id, log_group, role_arn, traffic="REJECT")
    vpc = aws.vpc(vpc_id)
    assert len(vpc.flow_logs) == 1
    assert not vpc.has_flow_logs
    assert not vpc.has_flow_logs_to(log_group)
    assert vpc.has_flow_logs_to(log_group, traffic_type="REJECT")


def test_flow_logs_of_another_vpc_do_not_count(aws, ec2, vpc_id, log_group, role_arn):
    other = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
    flow_log(ec2, other, log_group, role_arn)
    assert not aws.vpc(vpc_id).has_flow_logs
    assert aws.vpc(other).has_flow_logs


def test_subnets(aws, ec2, vpc_id):
    assert aws.vpc(vpc_id).subnets == []
    tags = [{"ResourceType": "subnet", "Tags": [{"Key": "kubernetes.io/role/elb", "Value": "1"}]}]
    public = ec2.create_subnet(
        VpcId=vpc_id, CidrBlock="10.42.192.0/21", AvailabilityZone="us-east-1a", TagSpecifications=tags
    )["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.42.0.0/19", AvailabilityZone="us-east-1b")["Subnet"][
        "SubnetId"
    ]
    subnets = aws.vpc(vpc_id).subnets
    assert [s.id for s in subnets] == sorted([public, private])
    subnet = aws.subnet(public)
    assert subnet.exists
    assert subnet.vpc_id == vpc_id
    assert subnet.cidr == "10.42.192.0/21"
    assert subnet.availability_zone == "us-east-1a"
    assert subnet.tags == {"kubernetes.io/role/elb": "1"}
    assert aws.subnet(private).tags == {}


def test_subnet_public_ip_on_launch(aws, ec2, vpc_id):
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.42.0.0/24")["Subnet"]["SubnetId"]
    assert not aws.subnet(subnet_id).maps_public_ip_on_launch
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    assert aws.subnet(subnet_id).maps_public_ip_on_launch


def test_missing_subnet(aws):
    assert not aws.subnet("subnet-0123456789abcdef0").exists


def test_gateways(aws, ec2, vpc_id):
    vpc = aws.vpc(vpc_id)
    assert vpc.nat_gateway_ids == []
    assert vpc.internet_gateway_ids == []
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.42.0.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet_id, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    assert vpc.internet_gateway_ids == [igw]
    assert vpc.nat_gateway_ids == [nat]
    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert vpc.nat_gateway_ids == []


def test_default_security_group_with_rules(aws, vpc_id):
    group = aws.vpc(vpc_id).default_security_group
    assert group.exists
    assert group.name == "default"
    assert group.egress_rules  # a new VPC's default group allows all outbound traffic
    assert not group.restricts_all_traffic


def test_default_security_group_locked_down(aws, ec2, vpc_id):
    group = aws.vpc(vpc_id).default_security_group
    for rule in group.ingress_rules:
        ec2.revoke_security_group_ingress(GroupId=group.id, IpPermissions=[rule])
    ec2.revoke_security_group_egress(GroupId=group.id, IpPermissions=group.egress_rules)
    assert group.ingress_rules == [] and group.egress_rules == []
    assert group.restricts_all_traffic
    ec2.authorize_security_group_ingress(
        GroupId=group.id,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
    )
    assert not group.restricts_all_traffic


def test_missing_security_group(aws):
    assert not aws.security_group("sg-0123456789abcdef0").exists


NODE_KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"


def launch_template(ec2, name: str, **data) -> str:
    tags = [{"ResourceType": "launch-template", "Tags": [{"Key": "owner", "Value": "platform"}]}]
    answer = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData=data, TagSpecifications=tags)
    return answer["LaunchTemplate"]["LaunchTemplateId"]


def root_volume(**ebs) -> list[dict]:
    return [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 50, "VolumeType": "gp3", **ebs}}]


def test_launch_template_hardened(aws, ec2):
    template_id = launch_template(
        ec2,
        "nodes",
        MetadataOptions={"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 1},
        BlockDeviceMappings=root_volume(Encrypted=True, KmsKeyId=NODE_KEY),
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "node"}]}],
    )
    template = aws.launch_template(template_id)
    assert repr(template) == f"<launch_template {template_id} version=$Default>"
    assert template.exists
    assert template.name == "nodes"
    assert template.version_number == 1
    assert template.metadata_endpoint_enabled
    assert template.requires_imdsv2
    assert template.hop_limit == 1
    assert template.ebs_volumes["/dev/xvda"]["VolumeType"] == "gp3"
    assert template.volumes_encrypted
    assert template.volume_kms_key_ids == [NODE_KEY]
    assert template.volumes_encrypted_with(NODE_KEY)
    assert not template.volumes_encrypted_with(NODE_KEY.replace("1111", "9999"))
    assert template.tag_specifications["instance"] == {"Name": "node"}  # moto adds the template's own tags too
    assert template.tags == {"owner": "platform"}


def test_launch_template_defaults_are_not_hardened(aws, ec2):
    """Nothing set: IMDSv1 may answer, no hop limit, no volume mapped (so none is known to be encrypted)."""
    template = aws.launch_template(launch_template(ec2, "bare", InstanceType="m6i.large"))
    assert template.metadata_options == {}
    assert template.metadata_endpoint_enabled
    assert not template.requires_imdsv2
    assert template.hop_limit is None
    assert template.ebs_volumes == {}
    assert not template.volumes_encrypted
    assert template.volume_kms_key_ids == []


def test_launch_template_imdsv1_and_unencrypted_volume(aws, ec2):
    template = aws.launch_template(
        launch_template(
            ec2,
            "loose",
            MetadataOptions={"HttpEndpoint": "disabled", "HttpTokens": "optional", "HttpPutResponseHopLimit": 2},
            BlockDeviceMappings=[*root_volume(Encrypted=True), {"DeviceName": "/dev/xvdb", "Ebs": {"VolumeSize": 10}}],
        )
    )
    assert not template.metadata_endpoint_enabled
    assert not template.requires_imdsv2
    assert template.hop_limit == 2
    assert not template.volumes_encrypted  # /dev/xvdb is not
    assert template.volume_kms_key_ids == []  # /dev/xvda uses the account's default key
    assert not template.volumes_encrypted_with(NODE_KEY)


def test_launch_template_versions(aws, ec2):
    template_id = launch_template(ec2, "versions", MetadataOptions={"HttpTokens": "optional"})
    ec2.create_launch_template_version(
        LaunchTemplateId=template_id, LaunchTemplateData={"MetadataOptions": {"HttpTokens": "required"}}
    )
    assert not aws.launch_template(template_id).requires_imdsv2  # $Default is still version 1
    assert aws.launch_template(template_id, 2).requires_imdsv2
    assert aws.launch_template(template_id, "$Latest").version_number == 2
    assert not aws.launch_template(template_id, 3).exists
    with pytest.raises(LaunchTemplateNotFound, match=f"{template_id} version=3"):
        _ = aws.launch_template(template_id, 3).name


def test_missing_launch_template(aws):
    template = aws.launch_template("lt-0123456789abcdef0")
    assert not template.exists
    with pytest.raises(LaunchTemplateNotFound, match="lt-0123456789abcdef0"):
        _ = template.requires_imdsv2
