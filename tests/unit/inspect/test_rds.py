"""DBInstance and DBParameterGroup views against moto's in-memory RDS: each yes/no property, both ways."""

from __future__ import annotations

import pytest

from stratatest.inspect.rds import DBInstanceNotFound, DBParameterGroupNotFound

GROUP = "orders-postgres16"


@pytest.fixture
def rds(aws):
    return aws.client("rds")


@pytest.fixture
def key_arn(aws) -> str:
    return aws.client("kms").create_key()["KeyMetadata"]["Arn"]


@pytest.fixture
def group(rds) -> str:
    rds.create_db_parameter_group(DBParameterGroupName=GROUP, DBParameterGroupFamily="postgres16", Description="unit")
    return GROUP


def create_instance(rds, identifier: str, **settings) -> str:
    rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        Engine="postgres",
        EngineVersion="16.4",
        DBInstanceClass="db.t4g.medium",
        AllocatedStorage=20,
        MasterUsername="dbadmin",
        **settings,
    )
    return identifier


def test_repr_names_the_resources(aws):
    assert repr(aws.db_instance("orders")) == "<db_instance orders>"
    assert repr(aws.db_parameter_group(GROUP)) == f"<db_parameter_group {GROUP}>"


def test_missing_instance(aws):
    instance = aws.db_instance("orders")
    assert not instance.exists
    with pytest.raises(DBInstanceNotFound, match="orders"):
        _ = instance.is_encrypted
    with pytest.raises(DBInstanceNotFound):
        _ = instance.master_user_secret_exists


def test_hardened_instance(aws, rds, key_arn, group):
    create_instance(
        rds,
        "orders",
        StorageEncrypted=True,
        KmsKeyId=key_arn,
        ManageMasterUserPassword=True,
        MasterUserSecretKmsKeyId=key_arn,
        PubliclyAccessible=False,
        MultiAZ=True,
        DeletionProtection=True,
        BackupRetentionPeriod=7,
        EnableCloudwatchLogsExports=["upgrade", "postgresql"],
        EnableIAMDatabaseAuthentication=True,
        DBParameterGroupName=group,
        Tags=[{"Key": "owner", "Value": "platform"}],
    )
    instance = aws.db_instance("orders")
    assert instance.exists
    assert instance.arn.endswith(":db:orders")
    assert instance.engine == "postgres" and instance.engine_version == "16.4"
    assert instance.is_encrypted
    assert instance.kms_key_arn == key_arn
    assert not instance.publicly_accessible
    assert instance.multi_az
    assert instance.deletion_protection
    assert instance.backup_retention_days == 7
    assert instance.log_exports == ["postgresql", "upgrade"]
    assert instance.parameter_group_names == [group]
    assert instance.iam_authentication_enabled
    assert instance.manages_master_password
    assert instance.master_user_secret_arn.startswith("arn:aws:secretsmanager:")
    assert instance.master_user_secret_kms_key_arn == key_arn
    assert instance.master_user_secret_exists
    assert instance.tags == {"owner": "platform"}


def test_plain_instance(aws, rds):
    create_instance(rds, "scratch", MasterUserPassword="not-managed-1", BackupRetentionPeriod=0)
    instance = aws.db_instance("scratch")
    assert not instance.is_encrypted
    assert instance.kms_key_arn is None
    assert not instance.multi_az
    assert not instance.deletion_protection
    assert instance.backup_retention_days == 0
    assert instance.log_exports == []
    assert not instance.iam_authentication_enabled
    assert not instance.manages_master_password
    assert instance.master_user_secret == {}
    assert instance.master_user_secret_arn is None
    assert not instance.master_user_secret_exists


def test_public_instance(aws, rds):
    create_instance(rds, "exposed", MasterUserPassword="not-managed-1", PubliclyAccessible=True)
    assert aws.db_instance("exposed").publicly_accessible


def test_deleted_master_secret_does_not_exist(aws, rds, key_arn):
    create_instance(rds, "orders", ManageMasterUserPassword=True, MasterUserSecretKmsKeyId=key_arn)
    instance = aws.db_instance("orders")
    aws.client("secretsmanager").delete_secret(
        SecretId=instance.master_user_secret_arn, ForceDeleteWithoutRecovery=True
    )
    assert instance.manages_master_password  # the instance still names it
    assert not instance.master_user_secret_exists


def test_subnets_and_security_groups(aws, rds):
    ec2 = aws.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in enumerate("ab")
    ]
    group_id = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc_id)["GroupId"]
    rds.create_db_subnet_group(DBSubnetGroupName="private", DBSubnetGroupDescription="unit", SubnetIds=subnets)
    create_instance(
        rds, "orders", MasterUserPassword="not-managed-1", DBSubnetGroupName="private", VpcSecurityGroupIds=[group_id]
    )
    instance = aws.db_instance("orders")
    assert instance.subnet_ids == sorted(subnets)
    assert instance.security_group_ids == [group_id]


def test_parameter_group_forces_tls(aws, rds, group):
    view = aws.db_parameter_group(group)
    assert view.exists
    assert view.family == "postgres16"
    assert not view.forces_tls
    rds.modify_db_parameter_group(
        DBParameterGroupName=group,
        Parameters=[
            {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"},
            {"ParameterName": "log_connections", "ParameterValue": "1", "ApplyMethod": "immediate"},
        ],
    )
    assert view.parameters == {"rds.force_ssl": "1", "log_connections": "1"}
    assert view.forces_tls


def test_parameter_group_allowing_clear_text(aws, rds, group):
    rds.modify_db_parameter_group(
        DBParameterGroupName=group,
        Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": "0", "ApplyMethod": "immediate"}],
    )
    assert not aws.db_parameter_group(group).forces_tls


def test_missing_parameter_group(aws):
    view = aws.db_parameter_group(GROUP)
    assert not view.exists
    with pytest.raises(DBParameterGroupNotFound, match=GROUP):
        _ = view.forces_tls
    with pytest.raises(DBParameterGroupNotFound):
        _ = view.family
