"""The sweep against moto standing in for the account: what a run left (created here with boto3, tagged as a
run tags it) is listed by a dry run, deleted in dependency order, and nothing of another run is touched."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stratatest.errors import ConfigError, SandboxRefused
from stratatest.targets.aws import AwsTarget
from stratatest.targets.leftovers import left_behind
from stratatest.targets.sweep import Candidate, delete, render_table, resource_type, sweep

from .conftest import MOTO_ACCOUNT, Call, new_run_id

Recorded = Callable[[], AbstractContextManager[list[Call]]]
FAR_FUTURE = "2999-01-01T00:00:00Z"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
LOGS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}],
}
#: Read-only actions: a dry run makes no other call.
READ_ONLY = ("Get", "List", "Describe")


@pytest.fixture
def sandbox(make_aws: Callable[..., AwsTarget]) -> AwsTarget:
    """The stand-in account, past the guard."""
    account = make_aws()
    account.preflight()
    return account


def _tags(run_id: str, expires: str | None) -> dict[str, str]:
    tags = {"stratatest:run-id": run_id, "stratatest:owner": "tests"}
    if expires:
        tags["stratatest:expires"] = expires
    return tags


def _pairs(tags: dict[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in tags.items()]


def _run(sandbox: AwsTarget, run_id: str, expires: str | None = FAR_FUTURE) -> dict[str, str]:
    """What a platform run leaves, made with boto3 and tagged as the harness tags it: name → ARN."""
    tags = _tags(run_id, expires)
    prefix = f"arn:aws:ec2:us-east-1:{MOTO_ACCOUNT}"

    def spec(kind: str) -> list[dict[str, Any]]:
        return [{"ResourceType": kind, "Tags": _pairs(tags)}]

    ec2 = sandbox.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16", TagSpecifications=spec("vpc"))["Vpc"]["VpcId"]
    default_sg = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    ec2.create_tags(Resources=[default_sg], Tags=_pairs(tags))  # aws_default_security_group tags it
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24", TagSpecifications=spec("subnet"))
    subnet_id = subnet["Subnet"]["SubnetId"]
    web = ec2.create_security_group(
        GroupName=f"web-{run_id}", Description="web", VpcId=vpc, TagSpecifications=spec("security-group")
    )["GroupId"]
    db = ec2.create_security_group(
        GroupName=f"db-{run_id}", Description="db", VpcId=vpc, TagSpecifications=spec("security-group")
    )["GroupId"]
    for source, destination in ((web, db), (db, web)):  # groups that refer to each other
        rule = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": source}]}
        ec2.authorize_security_group_ingress(GroupId=destination, IpPermissions=[rule])
    igw = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway"))["InternetGateway"]
    ec2.attach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc, TagSpecifications=spec("route-table"))["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw["InternetGatewayId"])
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet_id)
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip"))["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet_id, AllocationId=eip, TagSpecifications=spec("natgateway"))
    template = ec2.create_launch_template(
        LaunchTemplateName=f"nodes-{run_id}", LaunchTemplateData={}, TagSpecifications=spec("launch-template")
    )["LaunchTemplate"]["LaunchTemplateId"]

    logs = sandbox.client("logs")
    logs.create_log_group(logGroupName=f"/stratatest/{run_id}/flow", tags=tags)
    iam = sandbox.client("iam")
    role = iam.create_role(RoleName=f"flow-{run_id}", AssumeRolePolicyDocument=json.dumps(TRUST), Tags=_pairs(tags))
    iam.attach_role_policy(RoleName=f"flow-{run_id}", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.put_role_policy(RoleName=f"flow-{run_id}", PolicyName="logs", PolicyDocument=json.dumps(LOGS_POLICY))
    iam.create_instance_profile(InstanceProfileName=f"nodes-{run_id}")
    iam.add_role_to_instance_profile(InstanceProfileName=f"nodes-{run_id}", RoleName=f"flow-{run_id}")
    flow_log = ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName=f"/stratatest/{run_id}/flow",
        DeliverLogsPermissionArn=role["Role"]["Arn"],
        TagSpecifications=spec("vpc-flow-log"),
    )["FlowLogIds"][0]
    oidc = iam.create_open_id_connect_provider(
        Url=f"https://oidc.example.com/{run_id}", ThumbprintList=["a" * 40], Tags=_pairs(tags)
    )["OpenIDConnectProviderArn"]

    s3 = sandbox.client("s3")
    bucket = f"state-{run_id}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _pairs(tags)})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"one", b"two"):
        s3.put_object(Bucket=bucket, Key="terraform.tfstate", Body=body)
    s3.delete_object(Bucket=bucket, Key="terraform.tfstate")  # a delete marker on top of two versions

    kms = sandbox.client("kms")
    key = kms.create_key(Description=run_id, Tags=_pairs(tags, "TagKey", "TagValue"))["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/stratatest-{run_id}", TargetKeyId=key["KeyId"])
    topic = sandbox.client("sns").create_topic(Name=f"alarms-{run_id}", Tags=_pairs(tags))["TopicArn"]
    table_arn = sandbox.client("dynamodb").create_table(
        TableName=f"locks-{run_id}",
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=_pairs(tags),
    )["TableDescription"]["TableArn"]
    ssm = sandbox.client("ssm")
    ssm.put_parameter(Name=f"/stratatest/{run_id}/endpoint", Value="x", Type="String", Tags=_pairs(tags))
    ssm.put_parameter(Name=f"stratatest-{run_id}", Value="x", Type="String", Tags=_pairs(tags))
    cloudwatch = sandbox.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=f"errors-{run_id}",
        MetricName="Errors",
        Namespace="stratatest",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        Tags=_pairs(tags),
    )

    return {
        "vpc": f"{prefix}:vpc/{vpc}",
        "default_sg": f"{prefix}:security-group/{default_sg}",
        "subnet": f"{prefix}:subnet/{subnet_id}",
        "web_sg": f"{prefix}:security-group/{web}",
        "db_sg": f"{prefix}:security-group/{db}",
        "igw": f"{prefix}:internet-gateway/{igw['InternetGatewayId']}",
        "route_table": f"{prefix}:route-table/{table}",
        "eip": f"{prefix}:elastic-ip/{eip}",
        "nat": f"{prefix}:natgateway/{nat['NatGateway']['NatGatewayId']}",
        "launch_template": f"{prefix}:launch-template/{template}",
        "flow_log": f"{prefix}:flow-logs/{flow_log}",  # moto's ARN; AWS's says vpc-flow-log
        "log_group": f"arn:aws:logs:us-east-1:{MOTO_ACCOUNT}:log-group:/stratatest/{run_id}/flow",
        "role": role["Role"]["Arn"],
        "oidc": oidc,
        "bucket": f"arn:aws:s3:::{bucket}",
        "key": key["Arn"],
        "topic": topic,
        "table": table_arn,
        "parameter": f"arn:aws:ssm:us-east-1:{MOTO_ACCOUNT}:parameter/stratatest/{run_id}/endpoint",
        "plain_parameter": f"arn:aws:ssm:us-east-1:{MOTO_ACCOUNT}:parameter/stratatest-{run_id}",
        "alarm": f"arn:aws:cloudwatch:us-east-1:{MOTO_ACCOUNT}:alarm:errors-{run_id}",
    }


def _small_run(sandbox: AwsTarget, run_id: str, expires: str | None = FAR_FUTURE) -> dict[str, str]:
    """A few resources of a run, one per way the sweep finds them: Tagging API, IAM, EC2's tag filter."""
    tags = _tags(run_id, expires)
    s3, iam, ec2 = sandbox.client("s3"), sandbox.client("iam"), sandbox.client("ec2")
    s3.create_bucket(Bucket=f"state-{run_id}")
    s3.put_bucket_tagging(Bucket=f"state-{run_id}", Tagging={"TagSet": _pairs(tags)})
    s3.put_bucket_versioning(Bucket=f"state-{run_id}", VersioningConfiguration={"Status": "Enabled"})
    for body in (b"one", b"two"):
        s3.put_object(Bucket=f"state-{run_id}", Key="terraform.tfstate", Body=body)
    role = iam.create_role(RoleName=f"flow-{run_id}", AssumeRolePolicyDocument=json.dumps(TRUST), Tags=_pairs(tags))
    iam.attach_role_policy(RoleName=f"flow-{run_id}", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": _pairs(tags)}])
    return {
        "bucket": f"arn:aws:s3:::state-{run_id}",
        "role": role["Role"]["Arn"],
        "eip": f"arn:aws:ec2:us-east-1:{MOTO_ACCOUNT}:elastic-ip/{eip['AllocationId']}",
    }


def _arns(candidates: list[Candidate]) -> set[str]:
    return {c.arn for c in candidates}


def test_dry_run_lists_a_run_and_deletes_nothing(sandbox: AwsTarget, recorded: Recorded) -> None:
    run_id = new_run_id()
    made = _run(sandbox, run_id)
    with recorded() as calls:
        candidates = sweep(sandbox, run_id=run_id, expired=False)
    assert _arns(candidates) == set(made.values())
    assert all(c.run_id == run_id and c.reason == f"run {run_id}" for c in candidates)
    assert {c.expires for c in candidates} == {datetime(2999, 1, 1, tzinfo=UTC)}
    mutating = {c.action for c in calls if not c.action.startswith(READ_ONLY)}
    assert mutating == set(), mutating

    table = render_table(candidates)
    assert table.splitlines()[0].split() == ["TYPE", "RUN", "ID", "EXPIRES", "SELECTED", "ACTION", "ARN"]
    for arn in made.values():
        assert arn in table
    assert f"{len(made)} resource(s) selected" in table
    assert render_table([]) == "nothing to sweep\n"

    # In deletion order: what depends on a resource comes before it.
    order = [c.arn for c in candidates]
    for first, then in [
        ("nat", "eip"),
        ("eip", "subnet"),
        ("nat", "subnet"),
        ("web_sg", "vpc"),
        ("subnet", "vpc"),
        ("igw", "vpc"),
        ("flow_log", "log_group"),
        ("flow_log", "role"),
        ("bucket", "key"),
        ("role", "key"),
    ]:
        assert order.index(made[first]) < order.index(made[then]), (first, then)

    assert _arns(sweep(sandbox, run_id=run_id, expired=False)) == set(made.values())  # nothing was deleted
    assert delete(sandbox, candidates) == []  # leave the shared server tidy


def test_delete_leaves_nothing_tagged(sandbox: AwsTarget) -> None:
    run_id = new_run_id()
    made = _run(sandbox, run_id)
    assert left_behind(sandbox, run_id)

    failures = delete(sandbox, sweep(sandbox, run_id=run_id, expired=False))

    assert failures == []
    assert left_behind(sandbox, run_id) == []
    assert sweep(sandbox, run_id=run_id, expired=False) == []  # nor through IAM and EC2's own listings
    iam, ec2, kms, s3 = (sandbox.client(s) for s in ("iam", "ec2", "kms", "s3"))
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.get_role(RoleName=f"flow-{run_id}")
    assert iam.get_instance_profile(InstanceProfileName=f"nodes-{run_id}")["InstanceProfile"]["Roles"] == []
    assert ec2.describe_addresses(Filters=[{"Name": "tag:stratatest:run-id", "Values": [run_id]}])["Addresses"] == []
    key_id = made["key"].rsplit("/", 1)[1]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert f"alias/stratatest-{run_id}" not in {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    assert f"state-{run_id}" not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def test_expired_selection_by_the_expires_tag(sandbox: AwsTarget) -> None:
    expired_run, fresh_run, untimed_run = new_run_id(), new_run_id(), new_run_id()
    stale = _small_run(sandbox, expired_run, expires="2024-01-01T00:00:00Z")
    fresh = _small_run(sandbox, fresh_run, expires="2024-06-01T00:00:00Z")
    untimed = _small_run(sandbox, untimed_run, expires=None)  # no expiry tag: never swept as expired

    selected = sweep(sandbox, run_id=None, expired=True, now=datetime(2024, 3, 1, tzinfo=UTC))
    arns = _arns(selected)
    assert set(stale.values()) <= arns
    assert not arns & (set(fresh.values()) | set(untimed.values()))
    mine = [c for c in selected if c.run_id == expired_run]
    assert {c.reason for c in mine} == {"expired 2024-01-01T00:00:00Z"}

    later = _arns(sweep(sandbox, run_id=None, expired=True, now=datetime(2024, 7, 1, tzinfo=UTC)))
    assert set(stale.values()) | set(fresh.values()) <= later
    assert not later & set(untimed.values())

    both = sweep(sandbox, run_id=untimed_run, expired=True, now=datetime(2024, 3, 1, tzinfo=UTC))
    assert set(untimed.values()) | set(stale.values()) <= _arns(both)

    assert delete(sandbox, [c for c in both if c.run_id in (expired_run, untimed_run)]) == []
    assert delete(sandbox, sweep(sandbox, run_id=fresh_run, expired=False)) == []


def test_another_runs_resources_are_untouched(sandbox: AwsTarget) -> None:
    mine, theirs = new_run_id(), new_run_id()
    _small_run(sandbox, mine)
    kept = _small_run(sandbox, theirs)

    assert delete(sandbox, sweep(sandbox, run_id=mine, expired=False)) == []

    assert _arns(sweep(sandbox, run_id=theirs, expired=False)) == set(kept.values())
    assert sandbox.client("iam").get_role(RoleName=f"flow-{theirs}")["Role"]["Arn"] == kept["role"]
    versions = sandbox.client("s3").list_object_versions(Bucket=f"state-{theirs}")
    assert len(versions["Versions"]) == 2
    delete(sandbox, sweep(sandbox, run_id=theirs, expired=False))


def test_a_failure_is_reported_and_does_not_stop_the_others(sandbox: AwsTarget) -> None:
    """A VPC still holding a subnet nobody tagged cannot go; everything else of the run still does."""
    run_id = new_run_id()
    made = _run(sandbox, run_id)
    vpc_id = made["vpc"].rsplit("/", 1)[1]
    sandbox.client("ec2").create_subnet(VpcId=vpc_id, CidrBlock="10.8.9.0/24")  # not the run's

    failures = delete(sandbox, sweep(sandbox, run_id=run_id, expired=False))

    reasons = {c.arn: reason for c, reason in failures}
    assert reasons.keys() == {made["vpc"], made["default_sg"]}
    assert reasons[made["vpc"]].startswith("DependencyViolation: ")
    assert reasons[made["default_sg"]] == f"goes with {made['vpc']}, which was not deleted"
    assert left_behind(sandbox, run_id) == sorted(reasons)


def test_a_type_without_deleter_is_reported_not_skipped(sandbox: AwsTarget) -> None:
    run_id = new_run_id()
    sqs = sandbox.client("sqs")
    url = sqs.create_queue(QueueName=f"events-{run_id}", tags=_tags(run_id, FAR_FUTURE))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    candidates = sweep(sandbox, run_id=run_id, expired=False)
    assert [(c.arn, c.resource_type) for c in candidates] == [(arn, "sqs:queue")]
    assert "none: no deleter, reported" in render_table(candidates)
    assert "1 of a type the sweep cannot delete" in render_table(candidates)

    failures = delete(sandbox, candidates)
    assert [(c.arn, reason) for c, reason in failures] == [
        (arn, "the sweep has no deleter for sqs:queue: delete it by hand")
    ]
    assert sqs.get_queue_url(QueueName=f"events-{run_id}")["QueueUrl"] == url
    sqs.delete_queue(QueueUrl=url)


def test_deleters_for_what_motos_tagging_api_does_not_return(sandbox: AwsTarget) -> None:
    """EKS, ECR, CloudTrail, GuardDuty and RDS groups are found by tag on AWS, not on moto 5.2.5: their
    candidates are built here as AWS's Tagging API would list them."""
    run_id = new_run_id()
    region, account = "us-east-1", MOTO_ACCOUNT
    ec2, iam = sandbox.client("ec2"), sandbox.client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    subnet_ids = [s["SubnetId"] for s in subnets]
    role = iam.create_role(RoleName=f"eks-{run_id}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]

    eks = sandbox.client("eks")
    cluster = eks.create_cluster(name=run_id, roleArn=role, resourcesVpcConfig={"subnetIds": subnet_ids})
    nodegroup = eks.create_nodegroup(clusterName=run_id, nodegroupName="ng", subnets=subnet_ids, nodeRole=role)
    ecr = sandbox.client("ecr")
    repository = ecr.create_repository(repositoryName=f"{run_id}/app")["repository"]
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}
    ecr.put_image(repositoryName=f"{run_id}/app", imageManifest=json.dumps(manifest), imageTag="v1")
    sandbox.client("s3").create_bucket(Bucket=f"trail-{run_id}")
    trail = sandbox.client("cloudtrail").create_trail(Name=f"trail-{run_id}", S3BucketName=f"trail-{run_id}")
    detector = sandbox.client("guardduty").create_detector(Enable=True)["DetectorId"]
    rds = sandbox.client("rds")
    rds.create_db_subnet_group(DBSubnetGroupName=f"db-{run_id}", DBSubnetGroupDescription="d", SubnetIds=subnet_ids)
    rds.create_db_parameter_group(
        DBParameterGroupName=f"pg-{run_id}", DBParameterGroupFamily="postgres16", Description="d"
    )
    database = rds.create_db_instance(
        DBInstanceIdentifier=f"db-{run_id}",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="admin1",
        MasterUserPassword="not-a-secret-1",
        DBSubnetGroupName=f"db-{run_id}",
        DBParameterGroupName=f"pg-{run_id}",
        DeletionProtection=True,
    )["DBInstance"]
    arns = [
        nodegroup["nodegroup"]["nodegroupArn"],
        cluster["cluster"]["arn"],
        repository["repositoryArn"],
        trail["TrailARN"],
        f"arn:aws:guardduty:{region}:{account}:detector/{detector}",
        database["DBInstanceArn"],
        f"arn:aws:rds:{region}:{account}:subgrp:db-{run_id}",
        f"arn:aws:rds:{region}:{account}:pg:pg-{run_id}",
    ]
    candidates = [Candidate(arn, resource_type(arn), run_id, None, f"run {run_id}") for arn in arns]
    assert "none: no deleter" not in render_table(candidates)

    assert delete(sandbox, candidates) == []

    assert eks.list_clusters()["clusters"].count(run_id) == 0
    assert f"{run_id}/app" not in {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]}
    assert f"trail-{run_id}" not in {t["Name"] for t in sandbox.client("cloudtrail").describe_trails()["trailList"]}
    assert detector not in sandbox.client("guardduty").list_detectors()["DetectorIds"]
    assert f"db-{run_id}" not in {d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]}
    assert f"db-{run_id}" not in {g["DBSubnetGroupName"] for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]}
    groups = rds.describe_db_parameter_groups()["DBParameterGroups"]
    assert f"pg-{run_id}" not in {g["DBParameterGroupName"] for g in groups}


def test_sweep_and_delete_go_through_the_guard(
    make_aws: Callable[..., AwsTarget], sandbox: AwsTarget, recorded: Recorded
) -> None:
    run_id = new_run_id()
    made = _small_run(sandbox, run_id)
    candidates = sweep(sandbox, run_id=run_id, expired=False)
    wrong_identity = make_aws(account="210987654321")  # allowed, but the credentials answer for moto's account

    with recorded() as calls:
        with pytest.raises(SandboxRefused, match=r"\(identity\)"):
            sweep(wrong_identity, run_id=run_id, expired=False)
        with pytest.raises(SandboxRefused, match=r"\(identity\)"):
            delete(wrong_identity, candidates)
        with pytest.raises(SandboxRefused, match=r"\(allowed\)"):
            sweep(make_aws(account="333333333333"), run_id=run_id, expired=True)
    assert [(c.service, c.action) for c in calls] == [("sts", "GetCallerIdentity")] * 2  # nothing listed or deleted
    assert _arns(sweep(sandbox, run_id=run_id, expired=False)) == set(made.values())

    with pytest.raises(ConfigError, match="sweep: nothing selected"):
        sweep(sandbox, run_id=None, expired=False)
    assert delete(sandbox, candidates) == []
