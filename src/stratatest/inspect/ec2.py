"""Read-only views of a VPC, its subnets and its default security group, one boto3 call per property read.

A missing VPC, subnet or group answers `exists` False; any other property of a missing one raises the
target's error (`InvalidVpcID.NotFound`, ...), so a typo never reads as a harmless "no".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stratatest.inspect.view import View, tag_map

if TYPE_CHECKING:
    from stratatest.inspect.aws import ClientSource

_LIVE_NAT_STATES = {"pending", "available"}


class _EC2Resource(View):
    """What a VPC, a subnet and a security group share: EC2 names each by id and tags it in its description."""

    service = "ec2"

    @property
    def id(self) -> str:
        return self.ref

    @property
    def tags(self) -> dict[str, str]:
        return tag_map(self._describe().get("Tags", []))


class VPC(_EC2Resource):
    """`aws.vpc(vpc_id)`: yes/no properties a test asserts on."""

    kind = "vpc"
    missing_codes = frozenset({"InvalidVpcID.NotFound"})

    def _fetch(self) -> dict[str, Any]:
        return self._client.describe_vpcs(VpcIds=[self.id])["Vpcs"][0]

    def _filter(self) -> list[dict[str, Any]]:
        return [{"Name": "vpc-id", "Values": [self.id]}]

    @property
    def cidr(self) -> str:
        return self._describe()["CidrBlock"]

    @property
    def state(self) -> str:
        """`pending` or `available`."""
        return self._describe()["State"]

    @property
    def flow_logs(self) -> list[dict[str, Any]]:
        """The VPC's flow logs as DescribeFlowLogs returns them (`TrafficType`, `LogGroupName`, ...)."""
        self._describe()  # a missing VPC is an error here, not "no flow logs"
        by_resource = [{"Name": "resource-id", "Values": [self.id]}]
        return list(self._paginate("describe_flow_logs", "FlowLogs", Filters=by_resource))

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
        ids = sorted(s["SubnetId"] for s in self._paginate("describe_subnets", "Subnets", Filters=self._filter()))
        return [Subnet(self._clients, subnet_id) for subnet_id in ids]

    @property
    def nat_gateway_ids(self) -> list[str]:
        """NAT gateways in the VPC that are pending or available (deleted ones linger in AWS's answers)."""
        found = self._paginate("describe_nat_gateways", "NatGateways", Filter=self._filter())
        return sorted(n["NatGatewayId"] for n in found if n.get("State") in _LIVE_NAT_STATES)

    @property
    def internet_gateway_ids(self) -> list[str]:
        answer = self._client.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [self.id]}])
        return sorted(g["InternetGatewayId"] for g in answer.get("InternetGateways", []))

    @property
    def default_security_group(self) -> SecurityGroup:
        answer = self._client.describe_security_groups(
            Filters=[*self._filter(), {"Name": "group-name", "Values": ["default"]}]
        )
        groups = answer.get("SecurityGroups", [])
        if not groups:
            raise LookupError(f"{self!r} has no default security group")
        return SecurityGroup(self._clients, groups[0]["GroupId"])


class Subnet(_EC2Resource):
    """`aws.subnet(subnet_id)` or an item of `aws.vpc(id).subnets`."""

    kind = "subnet"
    missing_codes = frozenset({"InvalidSubnetID.NotFound"})

    def _fetch(self) -> dict[str, Any]:
        return self._client.describe_subnets(SubnetIds=[self.id])["Subnets"][0]

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


class SecurityGroup(_EC2Resource):
    """`aws.security_group(group_id)` or `aws.vpc(id).default_security_group`."""

    kind = "security_group"
    missing_codes = frozenset({"InvalidGroup.NotFound"})

    def _fetch(self) -> dict[str, Any]:
        return self._client.describe_security_groups(GroupIds=[self.id])["SecurityGroups"][0]

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


class LaunchTemplateNotFound(LookupError):
    """Raised by every `launch_template` property but `exists` when the template (or version) is not there."""


class LaunchTemplate(View):
    """`aws.launch_template(template_id, version="$Default")`: one version of a launch template.

    EKS node groups name a template and a version; pass the group's version to read what its nodes get.
    """

    kind = "launch_template"
    service = "ec2"
    missing_codes = frozenset({"InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateId.VersionNotFound"})
    not_found = LaunchTemplateNotFound

    def __init__(self, clients: ClientSource, template_id: str, version: str = "$Default") -> None:
        super().__init__(clients, template_id)
        self.version = str(version)

    def __repr__(self) -> str:
        return f"<{self.kind} {self.ref} version={self.version}>"

    def _fetch(self) -> dict[str, Any] | None:
        answer = self._client.describe_launch_template_versions(LaunchTemplateId=self.ref, Versions=[self.version])
        return next(iter(answer.get("LaunchTemplateVersions", [])), None)

    def _data(self) -> dict[str, Any]:
        return self._describe().get("LaunchTemplateData", {})

    @property
    def name(self) -> str:
        return self._describe()["LaunchTemplateName"]

    @property
    def version_number(self) -> int:
        return int(self._describe()["VersionNumber"])

    @property
    def metadata_options(self) -> dict[str, Any]:
        """MetadataOptions as EC2 returns them ({} when the template leaves them to the AMI and account)."""
        return dict(self._data().get("MetadataOptions", {}))

    @property
    def metadata_endpoint_enabled(self) -> bool:
        """The instance metadata service answers at all (EC2's default when unset)."""
        return self.metadata_options.get("HttpEndpoint", "enabled") == "enabled"

    @property
    def requires_imdsv2(self) -> bool:
        """IMDS answers only session-token (v2) requests; unset means the AMI or account default, not v2-only."""
        return self.metadata_options.get("HttpTokens") == "required"

    @property
    def hop_limit(self) -> int | None:
        """PUT response hop limit of the metadata token; 1 keeps it from reaching containers. None when unset."""
        return self.metadata_options.get("HttpPutResponseHopLimit")

    @property
    def ebs_volumes(self) -> dict[str, dict[str, Any]]:
        """The `Ebs` settings of each block device mapping, by device name."""
        return {m["DeviceName"]: dict(m["Ebs"]) for m in self._data().get("BlockDeviceMappings", []) if "Ebs" in m}

    @property
    def volumes_encrypted(self) -> bool:
        """The template maps at least one EBS volume, and every one it maps is encrypted."""
        volumes = self.ebs_volumes.values()
        return bool(volumes) and all(v.get("Encrypted") is True for v in volumes)

    @property
    def volume_kms_key_ids(self) -> list[str]:
        """Distinct KMS keys named by the mapped volumes, sorted (a volume without one uses the account default)."""
        return sorted({str(v["KmsKeyId"]) for v in self.ebs_volumes.values() if v.get("KmsKeyId")})

    def volumes_encrypted_with(self, key: str) -> bool:
        """Every mapped EBS volume is encrypted with exactly `key` (as the template names it)."""
        volumes = self.ebs_volumes.values()
        return self.volumes_encrypted and all(v.get("KmsKeyId") == key for v in volumes)

    @property
    def tag_specifications(self) -> dict[str, dict[str, str]]:
        """Tags the template puts on what it launches, by resource type (`instance`, `volume`, ...)."""
        specs = self._data().get("TagSpecifications", [])
        return {s["ResourceType"]: tag_map(s.get("Tags", [])) for s in specs}

    @property
    def tags(self) -> dict[str, str]:
        """The template's own tags."""
        self._describe()
        answer = self._client.describe_launch_templates(LaunchTemplateIds=[self.ref])
        return tag_map(answer["LaunchTemplates"][0].get("Tags", []))
