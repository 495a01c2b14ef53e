"""Read-only views of an RDS DB instance and a DB parameter group, one boto3 call per property read.

A missing instance or group answers `exists` False; any other property of a missing one raises
`DBInstanceNotFound` / `DBParameterGroupNotFound`, so a typo never reads as a harmless "no".
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from stratatest.inspect.errors import error_code
from stratatest.inspect.view import View, tag_map


class DBInstanceNotFound(LookupError):
    """Raised by every `db_instance` property but `exists` when the instance is not there."""


class DBParameterGroupNotFound(LookupError):
    """Raised by every `db_parameter_group` property but `exists` when the group is not there."""


class DBInstance(View):
    """`aws.db_instance(identifier)`: yes/no properties a test asserts on."""

    kind = "db_instance"
    service = "rds"
    missing_codes = frozenset({"DBInstanceNotFound"})
    not_found = DBInstanceNotFound

    def _fetch(self) -> dict[str, Any]:
        return self._client.describe_db_instances(DBInstanceIdentifier=self.ref)["DBInstances"][0]

    @property
    def arn(self) -> str:
        return self._describe()["DBInstanceArn"]

    @property
    def status(self) -> str:
        """DBInstanceStatus: `creating`, `available`, `deleting`, ..."""
        return self._describe()["DBInstanceStatus"]

    @property
    def engine(self) -> str:
        return self._describe()["Engine"]

    @property
    def engine_version(self) -> str:
        return self._describe()["EngineVersion"]

    @property
    def is_encrypted(self) -> bool:
        """Storage (and so snapshots and replicas) is encrypted at rest."""
        return bool(self._describe().get("StorageEncrypted", False))

    @property
    def kms_key_arn(self) -> str | None:
        """The key that encrypts the storage; None when unencrypted."""
        return self._describe().get("KmsKeyId")

    @property
    def publicly_accessible(self) -> bool:
        """The endpoint resolves to a public address from outside the VPC."""
        return bool(self._describe().get("PubliclyAccessible", False))

    @property
    def multi_az(self) -> bool:
        return bool(self._describe().get("MultiAZ", False))

    @property
    def deletion_protection(self) -> bool:
        return bool(self._describe().get("DeletionProtection", False))

    @property
    def backup_retention_days(self) -> int:
        """Days automated backups are kept; 0 means automated backups are off."""
        return int(self._describe().get("BackupRetentionPeriod", 0))

    @property
    def log_exports(self) -> list[str]:
        """Log types exported to CloudWatch Logs (`postgresql`, `upgrade`, ...), sorted."""
        return sorted(self._describe().get("EnabledCloudwatchLogsExports", []))

    @property
    def parameter_group_names(self) -> list[str]:
        return [g["DBParameterGroupName"] for g in self._describe().get("DBParameterGroups", [])]

    @property
    def security_group_ids(self) -> list[str]:
        return sorted(g["VpcSecurityGroupId"] for g in self._describe().get("VpcSecurityGroups", []))

    @property
    def subnet_ids(self) -> list[str]:
        """Subnets of the instance's DB subnet group, sorted."""
        group = self._describe().get("DBSubnetGroup") or {}
        return sorted(s["SubnetIdentifier"] for s in group.get("Subnets", []))

    @property
    def iam_authentication_enabled(self) -> bool:
        return bool(self._describe().get("IAMDatabaseAuthenticationEnabled", False))

    @property
    def master_user_secret(self) -> dict[str, Any]:
        """`SecretArn`, `SecretStatus`, `KmsKeyId` of the AWS-managed master password; empty when not managed."""
        return dict(self._describe().get("MasterUserSecret") or {})

    @property
    def manages_master_password(self) -> bool:
        """RDS keeps the master password in Secrets Manager (none sits in Terraform state or code)."""
        return bool(self.master_user_secret.get("SecretArn"))

    @property
    def master_user_secret_arn(self) -> str | None:
        return self.master_user_secret.get("SecretArn")

    @property
    def master_user_secret_kms_key_arn(self) -> str | None:
        return self.master_user_secret.get("KmsKeyId")

    @property
    def master_user_secret_exists(self) -> bool:
        """The managed secret is really in Secrets Manager, not only named by the instance."""
        arn = self.master_user_secret_arn
        if arn is None:
            return False
        try:
            self._clients.client("secretsmanager").describe_secret(SecretId=arn)
        except ClientError as err:
            if error_code(err) == "ResourceNotFoundException":
                return False
            raise
        return True

    @property
    def tags(self) -> dict[str, str]:
        return tag_map(self._describe().get("TagList", []))


class DBParameterGroup(View):
    """`aws.db_parameter_group(name)`: the parameters a group sets."""

    kind = "db_parameter_group"
    service = "rds"
    missing_codes = frozenset({"DBParameterGroupNotFound"})
    not_found = DBParameterGroupNotFound

    def _fetch(self) -> dict[str, Any] | None:
        groups = self._client.describe_db_parameter_groups(DBParameterGroupName=self.ref)["DBParameterGroups"]
        return next(iter(groups), None)  # AWS answers not-found; moto answers an empty list

    @property
    def family(self) -> str:
        """e.g. `postgres16`."""
        return self._describe()["DBParameterGroupFamily"]

    @property
    def parameters(self) -> dict[str, str]:
        """Every parameter that has a value, name to value (as strings, the way RDS returns them)."""
        self._describe()  # a missing group is an error here, not "no parameters"
        found = self._paginate("describe_db_parameters", "Parameters", DBParameterGroupName=self.ref)
        return {p["ParameterName"]: p["ParameterValue"] for p in found if "ParameterValue" in p}

    @property
    def forces_tls(self) -> bool:
        """PostgreSQL refuses clear-text connections: `rds.force_ssl` is 1."""
        return self.parameters.get("rds.force_ssl") == "1"
