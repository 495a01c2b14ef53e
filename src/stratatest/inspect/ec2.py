"""Read-only views of a VPC, its subnets and its default security group, one boto3 call per property read.

A missing VPC, subnet or group answers `exists` False; any other property of a missing one raises the
target's error (`InvalidVpcID.NotFound`, ...), so a typo never reads as a harmless "no".
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from stratatest.inspect.errors import error_code

if TYPE_CHECKING:
    from stratatest.inspect.aws import ClientSource

_LIVE_NAT_STATES = {"pending", "available"}


def _tags(resource: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def _exists(describe: Any, not_found: str) -> bool:
    try:
        describe()
    except ClientError as err:
        if error_code(err) == not_found:
            return False
        raise
    return True


class VPC:
    """`aws.vpc(vpc_id)`: yes/no properties a test asserts on."""

    def __init__(self, clients: ClientSource, vpc_id: str) -> None:
        self._clients = clients
        self.id = vpc_id

    def __repr__(self) -> str:
        return f"<vpc id={self.id}>"

    @cached_property
    def _ec2(self) -> Any:
        return self._clients.client("ec2")

    def _describe(self) -> dict[str, Any]:
        return self._ec2.describe_vpcs(VpcIds=[self.id])["Vpcs"][0]

    def _filter(self) -> list[dict[str, Any]]:
        return [{"Name": "vpc-id", "Values": [self.id]}]

    @property
    def exists(self) -> bool:
        return _exists(self._describe, "InvalidVpcID.NotFound")

    @property
    def cidr(self) -> str:
        return self._describe()["CidrBlock"]

    @property
    def state(self) -> str:
        """`pending` or `available`."""
        return self._describe()["State"]

    @property
    def tags(self) -> dict[str, str]:
        return _tags(self._describe())

    @property
    def flow_logs(self) -> list[dict[str, Any]]:
        """The VPC's flow logs as DescribeFlowLogs returns them (`TrafficType`, `LogGroupName`, ...)."""
        self._describe()  # a missing VPC is an error here, not "no flow logs"
        pages = self._ec2.get_paginator("describe_flow_logs").paginate(
            Filters=[{"Name": "resource-id", "Values": [self.id]}]
        )
        return [f for page in pages for f in page.get("FlowLogs", [])]

    @property
    def has_flow_logs(self) -> bool:
        """At least one active flow log records all traffic (accepted and rejected)."""
        return any(f.get("FlowLogStatus") == "ACTIVE" and f.get("TrafficType") == "ALL" for f in self.flow_logs)

    def has_flow_logs_to(self, log_group: str, *, traffic_type: str = "ALL") -> bool:
        """An active flow log of `traffic_type` delivers to the CloudWatch log group `log_group` (name or ARN)."""
        name = log_group.removesuffix(":*").split(":log-group:")[-1]
        for flow_log in self.flow_logs:
            if flow_log.get("FlowLogStatus") != "ACTIVE" or flow_log.get("TrafficType") != traffic_type:
                continue
            if flow_log.get("LogDestinationType", "cloud-watch-logs") != "cloud-watch-logs":
                continue
            destination = str(flow_log.get("LogDestination", "")).removesuffix(":*")
            if flow_log.get("LogGroupName") == name or destination.endswith(f":log-group:{name}"):
                return True
        return False

    @property
    def subnets(self) -> list[Subnet]:
        """Views of every subnet in the VPC, sorted by subnet id."""
        self._describe()
        pages = self._ec2.get_paginator("describe_subnets").paginate(Filters=self._filter())
        ids = sorted(s["SubnetId"] for page in pages for s in page.get("Subnets", []))
        return [Subnet(self._clients, subnet_id) for subnet_id in ids]

    @property
    def nat_gateway_ids(self) -> list[str]:
        """NAT gateways in the VPC that are pending or available (deleted ones linger in AWS's answers)."""
        pages = self._ec2.get_paginator("describe_nat_gateways").paginate(Filter=self._filter())
        return sorted(
            n["NatGatewayId"]
            for page in pages
            for n in page.get("NatGateways", [])
            if n.get("State") in _LIVE_NAT_STATES
        )

    @property
    def internet_gateway_ids(self) -> list[str]:
        answer = self._ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [self.id]}])
        return sorted(g["InternetGatewayId"] for g in answer.get("InternetGateways", []))

    @property
    def default_security_group(self) -> SecurityGroup:
        answer = self._ec2.describe_security_groups(
            Filters=[*self._filter(), {"Name": "group-name", "Values": ["default"]}]
        )
        groups = answer.get("SecurityGroups", [])
        if not groups:
            raise LookupError(f"{self!r} has no default security group")
        return SecurityGroup(self._clients, groups[0]["GroupId"])


class Subnet:
    """`aws.subnet(subnet_id)` or an item of `aws.vpc(id).subnets`."""

    def __init__(self, clients: ClientSource, subnet_id: str) -> None:
        self._clients = clients
        self.id = subnet_id

    def __repr__(self) -> str:
        return f"<subnet id={self.id}>"

    @cached_property
    def _ec2(self) -> Any:
        return self._clients.client("ec2")

    def _describe(self) -> dict[str, Any]:
        return self._ec2.describe_subnets(SubnetIds=[self.id])["Subnets"][0]

    @property
    def exists(self) -> bool:
        return _exists(self._describe, "InvalidSubnetID.NotFound")

    @property
    def vpc_id(self) -> str:
        return self._describe()["VpcId"]

    @property
    def cidr(self) -> str:
        return self._describe()["CidrBlock"]

    @property
    def availability_zone(self) -> str:
        return self._describe()["AvailabilityZone"]

    @property
    def maps_public_ip_on_launch(self) -> bool:
        """Instances launched here get a public IPv4 address unless they ask otherwise."""
        return bool(self._describe().get("MapPublicIpOnLaunch", False))

    @property
    def tags(self) -> dict[str, str]:
        return _tags(self._describe())


class SecurityGroup:
    """`aws.security_group(group_id)` or `aws.vpc(id).default_security_group`."""

    def __init__(self, clients: ClientSource, group_id: str) -> None:
        self._clients = clients
        self.id = group_id

    def __repr__(self) -> str:
        return f"<security_group id={self.id}>"

    @cached_property
    def _ec2(self) -> Any:
        return self._clients.client("ec2")

    def _describe(self) -> dict[str, Any]:
        return self._ec2.describe_security_groups(GroupIds=[self.id])["SecurityGroups"][0]

    @property
    def exists(self) -> bool:
        return _exists(self._describe, "InvalidGroup.NotFound")

    @property
    def name(self) -> str:
        return self._describe()["GroupName"]

    @property
    def ingress_rules(self) -> list[dict[str, Any]]:
        return list(self._describe().get("IpPermissions", []))

    @property
    def egress_rules(self) -> list[dict[str, Any]]:
        return list(self._describe().get("IpPermissionsEgress", []))

    @property
    def restricts_all_traffic(self) -> bool:
        """No inbound and no outbound rule: nothing in the group can send or receive anything."""
        group = self._describe()
        return not group.get("IpPermissions") and not group.get("IpPermissionsEgress")

    @property
    def tags(self) -> dict[str, str]:
        return _tags(self._describe())
