"""Emulator layer for the dev environment: the whole platform applied into moto with its S3 backend.

The modules' own emulator tests read each module back in depth (the rds module has none of its own: its
provider waits cost minutes, so its read-back lives here); this one proves the composition: one apply
of every module through the state backend, the wiring between modules (database reachable only from the
cluster, alarms on the real database and node groups, the log shipper scoped to the log groups
observability creates), the account-wide baseline, least privilege across the account, the environment's
tags on everything, idempotency, an in-place change as a pull request would make it, and a clean destroy.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from stratatest.inspect import policy as pol
from stratatest.targets.leftovers import left_behind

pytestmark = pytest.mark.apply

TERRAFORM = Path(__file__).resolve().parents[3] / "terraform"
STATE_KEY = "envs/dev/terraform.tfstate"


@pytest.fixture(scope="module")
def store(stacks, unique_name) -> dict[str, Any]:
    """The state backend the environment keeps its state in (destroyed after it: stacks go in reverse)."""
    stack = stacks(
        TERRAFORM / "modules" / "state-backend",
        bucket_name=unique_name("dev-state"),
        force_destroy=True,
        deletion_protection_enabled=False,
        kms_deletion_window_in_days=7,
    )
    return stack.outputs()


@pytest.fixture(scope="module")
def dev(stacks, store, unique_name):
    stack = stacks(
        TERRAFORM / "envs" / "dev", backend={**store["backend_config"], "key": STATE_KEY}, name=unique_name("dev")
    )
    return stack, stack.outputs()["platform"]


@pytest.fixture(scope="module")
def out(dev) -> dict[str, Any]:
    return dev[1]


@pytest.mark.control("STRATA-TFSTATE-001")
def test_state_lives_in_the_backend_encrypted(dev, store, target) -> None:
    head = target.client("s3").head_object(Bucket=store["bucket_name"], Key=STATE_KEY)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == store["kms_key_arn"]
    assert not list(dev[0].workspace.path.glob("terraform.tfstate")), "state was written locally"


def test_every_resource_carries_the_environment_tags(out, target, run_id) -> None:
    tagging = target.client("resourcegroupstaggingapi")
    pages = tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": "stratatest:run-id", "Values": [run_id]}, {"Key": "environment", "Values": ["dev"]}]
    )
    tagged = [{t["Key"]: t["Value"] for t in r["Tags"]} for p in pages for r in p["ResourceTagMappingList"]]
    assert len(tagged) > 30
    assert all(t["owner"] == "platform-team" and t["managed-by"] == "terraform" for t in tagged)


@pytest.mark.control("STRATA-VPC-001")
def test_network_spans_three_zones_with_flow_logs(out, aws) -> None:
    vpc = aws.vpc(out["vpc_id"])
    assert vpc.has_flow_logs_to(out["flow_log_group_name"])
    assert sorted(aws.subnet(s).availability_zone for s in out["private_subnet_ids"]) == [
        "us-east-1a",
        "us-east-1b",
        "us-east-1c",
    ]
    assert len(vpc.nat_gateway_ids) == 1  # dev: one NAT gateway


@pytest.mark.control("STRATA-EKS-001", "STRATA-EKS-002", "STRATA-EKS-003", "STRATA-EKS-004")
def test_cluster_is_private_encrypted_and_logged(out, aws) -> None:
    eks = out["eks"]
    cluster = aws.eks_cluster(eks["cluster_name"])
    assert cluster.status == "ACTIVE"
    assert cluster.secrets_encrypted_with(eks["kms_key_arn"])
    assert cluster.endpoint_private_access and not cluster.endpoint_public_access
    assert cluster.logs_all_types
    assert cluster.version == "1.32"
    assert sorted(cluster.addon_names) == ["coredns", "kube-proxy", "vpc-cni"]


@pytest.mark.control("STRATA-EC2-001", "STRATA-EBS-001")
def test_nodes_use_imdsv2_and_encrypted_volumes(out, aws) -> None:
    eks = out["eks"]
    group = aws.eks_cluster(eks["cluster_name"]).node_group(eks["node_group_names"]["general"])
    assert group.scaling == {"min_size": 1, "max_size": 3, "desired_size": 2}
    template = aws.launch_template(group.launch_template["id"], group.launch_template["version"])
    assert template.requires_imdsv2 and template.hop_limit == 1
    assert template.volumes_encrypted_with(eks["node_volume_kms_key_arn"])


@pytest.mark.control("STRATA-RDS-001", "STRATA-RDS-003")
def test_database_is_reachable_only_from_the_cluster(out, aws) -> None:
    rds, eks = out["rds"], out["eks"]
    db = aws.db_instance(rds["db_instance_identifier"])
    assert db.is_encrypted and db.kms_key_arn == rds["kms_key_arn"]
    assert not db.publicly_accessible
    assert db.subnet_ids == sorted(out["private_subnet_ids"])
    assert db.security_group_ids == [rds["security_group_id"]]
    group = aws.security_group(rds["security_group_id"])
    (rule,) = group.ingress_rules
    assert (rule["FromPort"], rule["ToPort"]) == (5432, 5432)
    assert [p["GroupId"] for p in rule["UserIdGroupPairs"]] == [eks["cluster_security_group_id"]]
    assert not rule["IpRanges"] and not rule.get("Ipv6Ranges")
    assert group.egress_rules == []


@pytest.mark.control("STRATA-RDS-002", "STRATA-RDS-004", "STRATA-RDS-005")
def test_database_settings_are_devs(out, aws) -> None:
    rds = out["rds"]
    db = aws.db_instance(rds["db_instance_identifier"])
    assert not db.multi_az and not db.deletion_protection  # dev asks for neither; staging and prod do (plan tests)
    assert db.backup_retention_days >= 7
    assert sorted(db.log_exports) == ["postgresql", "upgrade"]
    assert db.manages_master_password and db.master_user_secret_exists
    assert db.master_user_secret_kms_key_arn == rds["kms_key_arn"]
    assert db.iam_authentication_enabled
    assert db.parameter_group_names == [rds["parameter_group_name"]]
    parameters = aws.db_parameter_group(rds["parameter_group_name"])
    assert parameters.family == "postgres16" and parameters.forces_tls


@pytest.mark.control("STRATA-ECR-001", "STRATA-ECR-002", "STRATA-ECR-003")
def test_image_repository(out, aws) -> None:
    ecr = out["ecr"]
    repository = aws.ecr_repository(ecr["repository_names"]["sample-service"])
    assert repository.tags_immutable and repository.scan_on_push
    assert repository.is_kms_encrypted and repository.kms_key_arn == ecr["kms_key_arn"]
    assert repository.has_lifecycle_policy


@pytest.mark.control("STRATA-OBS-001")
def test_alarms_watch_the_real_database_and_node_group(out, aws) -> None:
    obs, rds = out["observability"], out["rds"]
    topic = aws.sns_topic(obs["alarm_topic_arn"])
    assert topic.is_encrypted
    alarms = [aws.alarm(name) for name in obs["alarm_names"]]
    assert alarms and all(a.notifies(obs["alarm_topic_arn"]) for a in alarms)
    db_alarms = [a for a in alarms if a.namespace == "AWS/RDS"]
    assert {a.dimensions["DBInstanceIdentifier"] for a in db_alarms} == {rds["db_instance_identifier"]}
    assert [a for a in alarms if a.namespace == "AWS/EC2"], "no node-group alarm"


@pytest.mark.control("STRATA-LOGS-001", "STRATA-KMS-001")
def test_every_log_group_is_retained_and_encrypted(out, aws) -> None:
    names = [out["flow_log_group_name"], out["eks"]["cluster_log_group_name"]]
    names += list(out["rds"]["log_group_names"].values()) + list(out["observability"]["log_group_names"].values())
    for name in names:
        group = aws.log_group(name)
        assert group.exists and group.retention_days == 365 and group.is_encrypted, name
        assert aws.kms_key(group.kms_key_arn).rotation_enabled, name


@pytest.mark.control("STRATA-IAM-001", "STRATA-EKS-005")
def test_log_shipper_may_write_only_to_the_application_log_groups(out, aws) -> None:
    shipper = aws.iam_role(out["eks"]["log_shipper_role_name"])
    groups = [aws.log_group(n).arn for n in out["observability"]["log_group_names"].values()]
    resources = {
        r for document in shipper.inline_policies.values() for s in pol.statements(document) for r in s["Resource"]
    }
    assert resources and {re.sub(r":\*$", "", r) for r in resources} == set(groups)
    assert shipper.trusted_federated == [out["eks"]["oidc_provider_arn"]]


@pytest.mark.control("STRATA-GD-001", "STRATA-CT-001", "STRATA-S3-001", "STRATA-S3-002", "STRATA-S3-003")
def test_account_baseline_detects_and_records(out, aws) -> None:
    baseline = out["security_baseline"]
    assert aws.guardduty_detector(baseline["guardduty_detector_id"]).is_enabled
    trail = aws.cloudtrail(baseline["cloudtrail_name"])
    assert trail.is_multi_region and trail.validates_log_files and trail.is_logging
    assert trail.kms_key_arn == baseline["kms_key_arn"]
    bucket = aws.s3_bucket(baseline["cloudtrail_bucket_name"])
    assert trail.bucket_name == bucket.name
    assert bucket.sse_algorithm == "aws:kms" and bucket.blocks_public_access and bucket.denies_insecure_transport


@pytest.mark.control("STRATA-EBS-001", "STRATA-IAM-003")
def test_account_encrypts_volumes_and_enforces_passwords(out, aws) -> None:
    account = aws.account
    assert account.ebs_encryption_by_default
    assert account.ebs_default_kms_key_id == out["security_baseline"]["ebs_kms_key_arn"]
    policy = account.password_policy
    assert policy is not None and policy.meets(min_length=14, reuse_prevention=24, max_age_days=90)


@pytest.mark.control("STRATA-IAM-001", "STRATA-IAM-002")
def test_least_privilege_across_the_account(out, aws) -> None:
    assert aws.account.customer_policies_with_wildcard_admin == []
    assert aws.account.roles_with_admin_attached == {}


def test_idempotent(dev) -> None:
    dev[0].assert_idempotent()


def test_in_place_change_as_a_pull_request_makes_it(dev, aws) -> None:
    """Scale the node group and lengthen log retention in the env's own file, then apply: updates only."""
    stack, out = dev
    main = stack.workspace.path / "main.tf"
    text = main.read_text()
    assert text.count("desired_size   = 2") == 1 and text.count("disposable       = true") == 1
    main.write_text(
        text.replace("desired_size   = 2", "desired_size   = 3").replace(
            "disposable       = true", "disposable       = true\n  log_retention_in_days = 400"
        )
    )
    plan = stack.update()
    assert plan.changes and all(r.actions == ("update",) for r in plan.changes), plan.diff_text()
    # A role policy built from a log group's attributes is re-read when the group changes: shown as an update
    # whose document is known only after apply, and rewritten unchanged.
    changed = {r.type for r in plan.changes}
    assert (
        {"aws_eks_node_group", "aws_cloudwatch_log_group"}
        <= changed
        <= {
            "aws_eks_node_group",
            "aws_cloudwatch_log_group",
            "aws_iam_role_policy",
        }
    ), plan.diff_text()
    eks = out["eks"]
    group = aws.eks_cluster(eks["cluster_name"]).node_group(eks["node_group_names"]["general"])
    assert group.scaling["desired_size"] == 3
    assert aws.log_group(eks["cluster_log_group_name"]).retention_days == 400
    stack.assert_idempotent()


def test_destroy_leaves_nothing(dev, aws, target, run_id) -> None:
    stack, out = dev
    stack.destroy()
    assert left_behind(target, run_id, environment="dev") == []
    assert not aws.eks_cluster(out["eks"]["cluster_name"]).exists
    assert not aws.db_instance(out["rds"]["db_instance_identifier"]).exists
    assert not aws.db_parameter_group(out["rds"]["parameter_group_name"]).exists
    assert not aws.vpc(out["vpc_id"]).exists
