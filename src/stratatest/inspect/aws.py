"""`AWS(target)`: the one object a test uses to read resources back, whatever the target is.

It hands out resource views (`aws.s3_bucket(name)`) and creates each service's boto3 client once, on
first use, through the target, so a test never builds endpoints or credentials itself.
"""

from __future__ import annotations

from typing import Any, Protocol

from stratatest.inspect.dynamodb import DynamoDBTable
from stratatest.inspect.ec2 import VPC, SecurityGroup, Subnet
from stratatest.inspect.iam import IAMRole
from stratatest.inspect.kms import KMSKey
from stratatest.inspect.logs import LogGroup
from stratatest.inspect.s3 import S3Bucket


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

    def __repr__(self) -> str:
        name = getattr(self.target, "name", "") or type(self.target).__name__
        return f"<AWS target={name} region={self.region}>"
