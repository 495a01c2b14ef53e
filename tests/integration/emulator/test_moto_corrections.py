"""Each moto correction: the gap on plain moto, and the same calls corrected.

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


# -- s3_secure_transport ----------------------------------------------------------------------------------


def _bucket_with_policy(target: MotoTarget, *statements: dict[str, Any]) -> str:
    """A bucket holding object `k`, with a bucket policy of `statements` (set after the object is in)."""
    name = f"tls-only-{uuid.uuid4().hex[:10]}"
    s3 = target.client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"before")
    arns = [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
    document = {"Version": "2012-10-17", "Statement": [dict(s, Resource=arns) for s in statements]}
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(document))
    return name


TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def test_gap_tls_only_policy_denies_https_on_plain_moto(plain: MotoTarget) -> None:
    bucket = _bucket_with_policy(plain, TLS_ONLY)
    s3 = plain.client("s3", max_attempts=1)
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="k")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="k2", Body=b"x")


def test_tls_only_policy_allows_https(corrected: MotoTarget) -> None:
    bucket = _bucket_with_policy(corrected, TLS_ONLY)
    s3 = corrected.client("s3")
    s3.put_object(Bucket=bucket, Key="k2", Body=b"over tls")
    assert s3.get_object(Bucket=bucket, Key="k2")["Body"].read() == b"over tls"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"before"


def test_tls_only_policy_denies_plain_http(corrected: MotoTarget) -> None:
    bucket = _bucket_with_policy(corrected, TLS_ONLY)
    s3 = corrected.http_client("s3", max_attempts=1)
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="k")
    assert _error_code(err) == "AccessDenied"
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="k2", Body=b"in clear")
    assert _error_code(err) == "AccessDenied"
    # The denied write really did not happen.
    with pytest.raises(ClientError) as err:
        corrected.client("s3").head_object(Bucket=bucket, Key="k2")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_unconditional_deny_still_denies_https(corrected: MotoTarget) -> None:
    deny_reads = {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject"}
    bucket = _bucket_with_policy(corrected, deny_reads)
    with pytest.raises(ClientError) as err:
        corrected.client("s3", max_attempts=1).get_object(Bucket=bucket, Key="k")
    assert _error_code(err) == "AccessDenied"


def test_tls_version_reaches_the_policy(corrected: MotoTarget) -> None:
    old_tls = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
    }
    new_tls = dict(old_tls, Condition={"NumericGreaterThanEquals": {"s3:TlsVersion": "1.2"}})
    allowed = _bucket_with_policy(corrected, old_tls)
    assert corrected.client("s3").get_object(Bucket=allowed, Key="k")["Body"].read() == b"before"
    denied = _bucket_with_policy(corrected, new_tls)
    with pytest.raises(ClientError) as err:
        corrected.client("s3", max_attempts=1).get_object(Bucket=denied, Key="k")
    assert _error_code(err) == "AccessDenied"


@pytest.mark.parametrize(
    ("operator", "key", "expected", "context", "holds"),
    [
        ("Bool", "aws:SecureTransport", "false", {"aws:securetransport": "false"}, True),
        ("Bool", "aws:SecureTransport", False, {"aws:securetransport": "true"}, False),
        ("Bool", "aws:SecureTransport", "false", {}, False),  # absent key: the condition fails
        ("BoolIfExists", "aws:SecureTransport", "false", {}, True),
        ("StringNotEquals", "aws:SourceVpce", "vpce-1", {}, True),  # negated + absent: holds
        ("Null", "aws:SourceVpce", "true", {}, True),
        ("StringLike", "aws:SecureTransport", "t*", {"aws:securetransport": "true"}, True),
        ("NumericLessThan", "s3:TlsVersion", "1.2", {"s3:tlsversion": "1.3"}, False),
        ("DateLessThan", "aws:CurrentTime", "2030-01-01", {"aws:currenttime": "x"}, False),  # unsupported
    ],
)
def test_condition_semantics(operator: str, key: str, expected: Any, context: dict[str, str], holds: bool) -> None:
    from stratatest.targets.moto.corrections.s3_secure_transport import condition_holds

    assert condition_holds(operator, key, expected, context) is holds


# -- kms_rotation_period ----------------------------------------------------------------------------------


def test_gap_rotation_period_is_lost_on_plain_moto(plain: MotoTarget) -> None:
    kms = plain.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=180)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True
    assert "RotationPeriodInDays" not in status


def test_rotation_period_is_kept_and_returned(corrected: MotoTarget) -> None:
    kms = corrected.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=180)

    status = kms.get_key_rotation_status(KeyId=key_id)

    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 180
    assert status["KeyId"].endswith(key_id)
    assert "NextRotationDate" in status


def test_rotation_period_defaults_validates_and_hides_when_disabled(corrected: MotoTarget) -> None:
    kms = corrected.client("kms", max_attempts=1)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["RotationPeriodInDays"] == 365

    with pytest.raises(ClientError) as err:
        kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=3000)
    assert _error_code(err) == "ValidationException"
    assert kms.get_key_rotation_status(KeyId=key_id)["RotationPeriodInDays"] == 365

    kms.disable_key_rotation(KeyId=key_id)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is False
    assert "RotationPeriodInDays" not in status


# -- gaps not corrected yet (MotoTarget.gaps / KNOWN_GAPS) -------------------------------------------------
# These pass while moto 5.2.5 still has the gap, even with every correction applied. A failure means the
# gap is gone: drop it from KNOWN_GAPS and docs/emulator-gaps.md.


# -- s3_delete_marker_dispose ----------------------------------------------------------------------------


def _suspended_bucket_with_delete_marker(target: MotoTarget) -> tuple[str, list[dict[str, str]]]:
    """What Terraform's destroy meets: versions and a delete marker, versioning then suspended."""
    name = f"markers-{uuid.uuid4().hex[:10]}"
    s3 = target.client("s3", max_attempts=1)
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=name, Key="k", Body=b"v1")
    s3.delete_object(Bucket=name, Key="k")
    listing = s3.list_object_versions(Bucket=name)
    versions = [
        {"Key": v["Key"], "VersionId": v["VersionId"]}
        for v in listing.get("Versions", []) + listing.get("DeleteMarkers", [])
    ]
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    return name, versions


def test_gap_deleting_delete_markers_crashes_plain_moto(plain: MotoTarget) -> None:
    bucket, versions = _suspended_bucket_with_delete_marker(plain)
    with pytest.raises(ClientError) as err:
        plain.client("s3", max_attempts=1).delete_objects(Bucket=bucket, Delete={"Objects": versions})
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    events, _ = plain.events_since(0)
    assert any("FakeDeleteMarker" in (e.get("error") or "") for e in events)


def test_delete_markers_are_deleted(corrected: MotoTarget) -> None:
    bucket, versions = _suspended_bucket_with_delete_marker(corrected)
    s3 = corrected.client("s3", max_attempts=1)
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": versions})
    assert not answer.get("Errors")
    listing = s3.list_object_versions(Bucket=bucket)
    assert not listing.get("Versions") and not listing.get("DeleteMarkers")
    s3.delete_bucket(Bucket=bucket)


def _status(err: pytest.ExceptionInfo[ClientError]) -> int:
    return int(err.value.response["ResponseMetadata"]["HTTPStatusCode"])


@pytest.fixture(scope="module")
def eks_cluster(corrected: MotoTarget) -> dict[str, str]:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    role = corrected.client("iam").create_role(RoleName="eks-gap", AssumeRolePolicyDocument=json.dumps(trust))
    ec2 = corrected.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
    role_arn = role["Role"]["Arn"]
    corrected.client("eks").create_cluster(name="gaps", roleArn=role_arn, resourcesVpcConfig={"subnetIds": [subnet]})
    return {"name": "gaps", "role": role_arn, "subnet": subnet}


def test_gap_eks_addon(corrected: MotoTarget, eks_cluster: dict[str, str]) -> None:
    with pytest.raises(ClientError) as err:
        corrected.client("eks", max_attempts=1).create_addon(clusterName=eks_cluster["name"], addonName="vpc-cni")
    assert _status(err) == 404  # an HTML page: the provider reports "invalid character '<'"


def test_gap_eks_update(corrected: MotoTarget, eks_cluster: dict[str, str]) -> None:
    eks = corrected.client("eks", max_attempts=1)
    answer = eks.update_cluster_config(
        name=eks_cluster["name"], logging={"clusterLogging": [{"types": ["api"], "enabled": True}]}
    )
    assert "update" not in answer
    with pytest.raises(ClientError) as err:
        eks.describe_update(name=eks_cluster["name"], updateId="any")
    assert _status(err) == 404


def test_gap_eks_node_group_drift(corrected: MotoTarget, eks_cluster: dict[str, str]) -> None:
    eks = corrected.client("eks")
    eks.create_nodegroup(
        clusterName=eks_cluster["name"],
        nodegroupName="drift",
        subnets=[eks_cluster["subnet"]],
        nodeRole=eks_cluster["role"],
        updateConfig={"maxUnavailable": 1},
    )
    group = eks.describe_nodegroup(clusterName=eks_cluster["name"], nodegroupName="drift")["nodegroup"]
    assert "remoteAccess" in group  # never asked for
    assert "updateConfig" not in group  # asked for, dropped


def test_gap_launch_template_drift(corrected: MotoTarget) -> None:
    ec2 = corrected.client("ec2")
    ec2.create_launch_template(
        LaunchTemplateName="gap-template",
        LaunchTemplateData={"InstanceType": "t3.micro"},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "team", "Value": "x"}]}],
    )
    versions = ec2.describe_launch_template_versions(LaunchTemplateName="gap-template")
    data = versions["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["TagSpecifications"][0]["ResourceType"] == "launch-template"  # the template's own tags


def test_gap_db_parameter_group_drift(corrected: MotoTarget) -> None:
    rds = corrected.client("rds")
    rds.create_db_parameter_group(
        DBParameterGroupName="gap-params", DBParameterGroupFamily="postgres16", Description="gap"
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName="gap-params",
        Parameters=[{"ParameterName": "log_connections", "ParameterValue": "1", "ApplyMethod": "immediate"}],
    )
    parameters = rds.describe_db_parameters(DBParameterGroupName="gap-params")["Parameters"]
    assert [p["ParameterName"] for p in parameters] == ["log_connections"]
    assert "Source" not in parameters[0]


def test_gap_bucket_level_requests_skip_the_bucket_policy(corrected: MotoTarget) -> None:
    bucket = _bucket_with_policy(corrected, TLS_ONLY)
    listing = corrected.http_client("s3").list_objects_v2(Bucket=bucket)  # AWS: AccessDenied over HTTP
    assert [o["Key"] for o in listing["Contents"]] == ["k"]


def test_every_uncorrected_gap_has_a_test() -> None:
    from stratatest.targets.moto import KNOWN_GAPS

    tested = {
        "eks_addon",
        "eks_update",
        "eks_node_group_drift",
        "launch_template_drift",
        "db_parameter_group_drift",
        "s3_bucket_level_policy",
    }
    assert set(KNOWN_GAPS) == tested
