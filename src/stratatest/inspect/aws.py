"""`AWS(target)`: the one object a test uses to read resources back, whatever the target is.

It hands out resource views (`aws.s3_bucket(name)`) and creates each service's boto3 client once, on
first use, through the target, so a test never builds endpoints or credentials itself.
"""

from __future__ import annotations

from typing import Any, Protocol

from stratatest.inspect.account import Account
from stratatest.inspect.cloudtrail import CloudTrail
from stratatest.inspect.cloudwatch import Alarm, alarm_names
from stratatest.inspect.dynamodb import DynamoDBTable
from stratatest.inspect.ec2 import VPC, LaunchTemplate, SecurityGroup, Subnet
from stratatest.inspect.ecr import ECRRepository
from stratatest.inspect.eks import EKSCluster, IAMOIDCProvider
from stratatest.inspect.guardduty import GuardDutyDetector
from stratatest.inspect.iam import IAMRole
from stratatest.inspect.kms import KMSKey
from stratatest.inspect.logs import LogGroup
from stratatest.inspect.rds import DBInstance, DBParameterGroup
from stratatest.inspect.s3 import S3Bucket
from stratatest.inspect.sns import SNSTopic


class ClientSource(Protocol):
    """Anything that hands out boto3 clients: a `Target`, an `AWS` facade, a test double."""

    def client(self, service: str) -> Any: ...


class AWS:
    """Read-only views of resources on one target; clients are created lazily and cached per service."""

    def __init__(self, target: ClientSource) -> None:
        self.target = target
        self._clients: dict[str, Any] = {}

    @property
    def region(self) -> str | None:
        return getattr(self.target, "region", None)

    def client(self, service: str) -> Any:
        """The target's boto3 client for `service`, created on first request and reused after."""
        if service not in self._clients:
            self._clients[service] = self.target.client(service)
        return self._clients[service]

    def s3_bucket(self, name: str) -> S3Bucket:
        return S3Bucket(self, name)

    def dynamodb_table(self, name: str) -> DynamoDBTable:
        return DynamoDBTable(self, name)

    def kms_key(self, key: str) -> KMSKey:
        """`key` may be a key id, a key ARN, `alias/<name>` or an alias ARN."""
        return KMSKey(self, key)

    def vpc(self, vpc_id: str) -> VPC:
        return VPC(self, vpc_id)

    def subnet(self, subnet_id: str) -> Subnet:
        return Subnet(self, subnet_id)

    def security_group(self, group_id: str) -> SecurityGroup:
        return SecurityGroup(self, group_id)

    def log_group(self, name: str) -> LogGroup:
        return LogGroup(self, name)

    def iam_role(self, name: str) -> IAMRole:
        return IAMRole(self, name)

    def db_instance(self, identifier: str) -> DBInstance:
        return DBInstance(self, identifier)

    def db_parameter_group(self, name: str) -> DBParameterGroup:
        return DBParameterGroup(self, name)

    def ecr_repository(self, name: str) -> ECRRepository:
        return ECRRepository(self, name)

    def guardduty_detector(self, detector_id: str) -> GuardDutyDetector:
        return GuardDutyDetector(self, detector_id)

    def cloudtrail(self, name: str) -> CloudTrail:
        """`name` may be the trail's name or ARN."""
        return CloudTrail(self, name)

    def sns_topic(self, arn: str) -> SNSTopic:
        return SNSTopic(self, arn)

    def alarm(self, name: str) -> Alarm:
        return Alarm(self, name)

    def alarms(self, prefix: str) -> list[Alarm]:
        """Every metric alarm whose name starts with `prefix`, sorted by name."""
        return [Alarm(self, name) for name in alarm_names(self, prefix)]

    @property
    def account(self) -> Account:
        """Account-wide settings (password policy, EBS default encryption in this region, admin grants)."""
        return Account(self, self.region or "")

    def eks_cluster(self, name: str) -> EKSCluster:
        """Node groups through it: `aws.eks_cluster(name).node_group(group)`."""
        return EKSCluster(self, name)

    def iam_oidc_provider(self, arn: str) -> IAMOIDCProvider:
        return IAMOIDCProvider(self, arn)

    def launch_template(self, template_id: str, version: str | int = "$Default") -> LaunchTemplate:
        return LaunchTemplate(self, template_id, str(version))

    def __repr__(self) -> str:
        name = getattr(self.target, "name", "") or type(self.target).__name__
        return f"<AWS target={name} region={self.region}>"
