"""Plan layer for terraform/modules/eks: every security setting of the cluster, its nodes, IRSA roles and keys, and
bad inputs; the inventory is a case in the stratatest.yaml beside the module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stratatest.inspect import policy as pol
from stratatest.inspect.iam import is_wildcard_admin
from stratatest.terraform import inventory

pytestmark = pytest.mark.plan

MODULE = Path(__file__).resolve().parents[3] / "terraform" / "modules" / "eks"
INVENTORY = MODULE / "inventory" / "default.yaml"
VARIABLES = inventory.load(INVENTORY)["variables"]
NAME = VARIABLES["name"]
GROUPS = VARIABLES["node_groups"]
LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
WORKER_POLICIES = ["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]
KEYS = ("secrets_key", "cluster_log_key", "node_volume_key")
OPERATORS = ["10.20.0.0/16", "203.0.113.0/24"]


@pytest.fixture(scope="module")
def plan(plan_of):
    """The inventory's case: private endpoint only, two node groups, the default add-ons."""
    return plan_of(MODULE, **VARIABLES)


@pytest.fixture(scope="module")
def plan_public(plan_of):
    """Public endpoint for the operators' networks, another version, a log shipper elsewhere, one add-on pinned."""
    return plan_of(
        MODULE,
        **{
            **VARIABLES,
            "endpoint_public_access": True,
            "public_access_cidrs": OPERATORS,
            "kubernetes_version": "1.33",
            "log_shipper_namespace": "observability",
            "log_shipper_service_account": "fluent-bit",
            "addons": {"vpc-cni": {"version": "v1.19.2-eksbuild.1"}},
        },
    )


def _module_config(plan, module: str) -> dict[str, Any]:
    return plan.raw["configuration"]["root_module"]["module_calls"][module]


def _resource_config(plan, address: str) -> dict[str, Any]:
    resources = plan.raw["configuration"]["root_module"]["resources"]
    return next(r for r in resources if r["address"] == address)


def _policy(plan, address: str, attribute: str = "policy") -> list[dict[str, Any]]:
    return pol.statements(plan[address][attribute])


def test_creates_only_and_nothing_else(plan) -> None:
    assert all(r.actions == ("create",) for r in plan.managed), plan.diff_text()


def test_keys_come_from_the_shared_kms_key_module(plan) -> None:
    assert {r.address for r in plan.of_type("aws_kms_key")} == {f"module.{k}.aws_kms_key.this" for k in KEYS}
    for key in KEYS:
        assert _module_config(plan, key)["source"] == "../kms-key"
        assert plan[f"module.{key}.aws_kms_key.this"]["deletion_window_in_days"] == 30


@pytest.mark.control("STRATA-EKS-001")
def test_secrets_envelope_encrypted_with_the_module_key(plan) -> None:
    cluster = plan.one("aws_eks_cluster")
    (config,) = cluster["encryption_config"]
    assert config["resources"] == ["secrets"]
    assert "module.secrets_key.arn" in plan.references(cluster.address, "encryption_config.provider.key_arn")


@pytest.mark.control("STRATA-EKS-001")
def test_cluster_role_may_use_the_secrets_key_and_no_other(plan) -> None:
    doc = plan["data.aws_iam_policy_document.cluster_encryption"]
    (statement,) = doc["statement"]
    assert statement["effect"] == "Allow"
    assert sorted(statement["actions"]) == ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ListGrants"]
    assert doc.is_unknown("statement")  # the key ARN, known after apply
    assert plan.references(doc.address, "statement.resources") == ["module.secrets_key", "module.secrets_key.arn"]
    assert plan.references("aws_iam_role_policy.cluster_encryption", "role") == [
        "aws_iam_role.cluster",
        "aws_iam_role.cluster.id",
    ]
    assert "aws_iam_role_policy.cluster_encryption" in _resource_config(plan, "aws_eks_cluster.this")["depends_on"]


@pytest.mark.control("STRATA-EKS-002")
def test_endpoint_private_only_by_default(plan) -> None:
    (vpc,) = plan.one("aws_eks_cluster")["vpc_config"]
    assert vpc["endpoint_private_access"] is True
    assert vpc["endpoint_public_access"] is False
    assert vpc.get("public_access_cidrs") is None  # not sent: only a public endpoint takes CIDRs
    assert vpc["subnet_ids"] == VARIABLES["subnet_ids"]


@pytest.mark.control("STRATA-EKS-002")
def test_public_endpoint_restricted_to_the_given_cidrs(plan_public) -> None:
    (vpc,) = plan_public.one("aws_eks_cluster")["vpc_config"]
    assert vpc["endpoint_private_access"] is True
    assert vpc["endpoint_public_access"] is True
    assert sorted(vpc["public_access_cidrs"]) == OPERATORS


@pytest.mark.control("STRATA-EKS-002")
def test_cluster_security_group_has_no_rules(plan) -> None:
    group = plan.one("aws_security_group")
    assert group["vpc_id"] == VARIABLES["vpc_id"]
    assert not {"ingress", "egress"} & set(_resource_config(plan, group.address)["expressions"])
    assert not [t for t in plan.counts() if "security_group_rule" in t or "security_group_ingress" in t]
    assert "aws_security_group.cluster" in plan.references("aws_eks_cluster.this", "vpc_config.security_group_ids")


@pytest.mark.control("STRATA-EKS-003")
def test_all_five_control_plane_log_types(plan) -> None:
    assert plan.one("aws_eks_cluster")["enabled_cluster_log_types"] == LOG_TYPES


@pytest.mark.control("STRATA-EKS-003")
@pytest.mark.control("STRATA-LOGS-001")
def test_cluster_log_group_created_first_retained_and_encrypted(plan) -> None:
    group = plan.one("aws_cloudwatch_log_group")
    assert group["name"] == f"/aws/eks/{NAME}/cluster" == plan.output("cluster_log_group_name")
    assert group["retention_in_days"] >= 365
    assert "module.cluster_log_key.arn" in plan.references(group.address, "kms_key_id")
    assert "aws_cloudwatch_log_group.cluster" in _resource_config(plan, "aws_eks_cluster.this")["depends_on"]


@pytest.mark.control("STRATA-LOGS-001")
def test_log_key_lets_only_cloudwatch_logs_use_it_for_the_cluster_group(plan) -> None:
    statements = _policy(plan, "module.cluster_log_key.aws_kms_key.this")
    service = [s for s in statements if "Service" in s["Principal"]]
    assert [s["Principal"]["Service"] for s in service] == [["logs.us-east-1.amazonaws.com"]]
    arns = pol.condition_values(service[0], "ArnEquals", "kms:EncryptionContext:aws:logs:arn")
    assert arns is not None and [a.split(":log-group:")[1] for a in arns] == [f"/aws/eks/{NAME}/cluster"]
    assert not [a for a in service[0]["Action"] if a in ("*", "kms:*")]


@pytest.mark.control("STRATA-EKS-004")
def test_default_version_is_supported_and_node_groups_follow_it(plan, plan_public) -> None:
    assert plan.one("aws_eks_cluster")["version"] == "1.32" == plan.output("cluster_version")
    assert plan_public.one("aws_eks_cluster")["version"] == "1.33"
    for key in GROUPS:
        address = f'aws_eks_node_group.this["{key}"]'
        assert plan[address]["version"] == "1.32"
        assert "aws_eks_cluster.this.version" in plan.references(address, "version")


@pytest.mark.control("STRATA-EKS-005")
def test_oidc_provider_is_the_cluster_issuer_for_sts(plan) -> None:
    provider = plan.one("aws_iam_openid_connect_provider")
    assert provider["client_id_list"] == ["sts.amazonaws.com"]
    assert "aws_eks_cluster.this" in plan.references(provider.address, "url")
    assert "thumbprint_list" not in _resource_config(plan, provider.address)["expressions"]


@pytest.mark.control("STRATA-EKS-005")
@pytest.mark.parametrize(
    ("role", "subject"),
    [
        ("cluster_autoscaler", "system:serviceaccount:kube-system:cluster-autoscaler"),
        ("log_shipper", "system:serviceaccount:logging:log-shipper"),
    ],
)
def test_irsa_role_trusts_one_service_account_through_the_issuer(plan, role: str, subject: str) -> None:
    doc = plan[f'data.aws_iam_policy_document.irsa_assume["{role}"]']
    (statement,) = doc["statement"]
    assert statement["effect"] == "Allow"
    assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    assert [p["type"] for p in statement["principals"]] == ["Federated"]
    assert "aws_iam_openid_connect_provider.this" in plan.references(doc.address, "statement.principals.identifiers")
    conditions = sorted((c["test"], c["values"]) for c in statement["condition"])
    assert conditions == sorted([("StringEquals", [subject]), ("StringEquals", ["sts.amazonaws.com"])])
    # The keys are <issuer>:sub and <issuer>:aud; the issuer is known after apply (the emulator test reads them).
    assert plan.references(doc.address, "statement.condition.variable") == ["local.oidc_issuer"]
    assert f"{doc.address}.json" in plan.references(f"aws_iam_role.{role}", "assume_role_policy")


@pytest.mark.control("STRATA-EKS-005")
def test_log_shipper_service_account_is_configurable(plan_public) -> None:
    (statement,) = plan_public['data.aws_iam_policy_document.irsa_assume["log_shipper"]']["statement"]
    values = sorted(v for c in statement["condition"] for v in c["values"])
    assert values == ["sts.amazonaws.com", "system:serviceaccount:observability:fluent-bit"]


@pytest.mark.control("STRATA-EC2-001")
def test_launch_templates_require_imdsv2_with_hop_limit_one(plan) -> None:
    templates = plan.of_type("aws_launch_template")
    assert len(templates) == len(GROUPS)
    for template in templates:
        (options,) = template["metadata_options"]
        assert options["http_endpoint"] == "enabled", template.address
        assert options["http_tokens"] == "required", template.address
        assert options["http_put_response_hop_limit"] == 1, template.address


@pytest.mark.control("STRATA-EBS-001")
def test_root_volumes_encrypted_gp3_with_the_node_key(plan) -> None:
    for key, group in GROUPS.items():
        address = f'aws_launch_template.node["{key}"]'
        (mapping,) = plan[address]["block_device_mappings"]
        (ebs,) = mapping["ebs"]
        assert ebs["encrypted"] == "true"
        assert ebs["volume_type"] == "gp3"
        assert ebs["volume_size"] == group.get("disk_size_gb", 50)
        assert "module.node_volume_key.arn" in plan.references(address, "block_device_mappings.ebs.kms_key_id")


@pytest.mark.control("STRATA-EBS-001")
def test_autoscaling_may_use_the_node_key_through_a_grant(plan) -> None:
    grant = plan.one("aws_kms_grant")
    assert grant["grantee_principal"].endswith(
        ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    # What launching an instance with an encrypted volume takes; never RetireGrant/RevokeGrant or key admin.
    assert sorted(grant["operations"]) == [
        "CreateGrant",
        "Decrypt",
        "DescribeKey",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "ReEncryptFrom",
        "ReEncryptTo",
    ]
    assert "module.node_volume_key.arn" in plan.references(grant.address, "key_id")


def test_node_groups_use_their_launch_template_and_scaling(plan) -> None:
    for key, group in GROUPS.items():
        address = f'aws_eks_node_group.this["{key}"]'
        node_group = plan[address]
        assert node_group["node_group_name"] == f"{NAME}-{key}"
        assert node_group["scaling_config"] == [
            {"min_size": group["min_size"], "max_size": group["max_size"], "desired_size": group["desired_size"]}
        ]
        assert node_group["update_config"][0]["max_unavailable"] == 1
        assert node_group["capacity_type"] == group.get("capacity_type", "ON_DEMAND")
        assert node_group["instance_types"] == group["instance_types"]
        assert (node_group.get("labels") or {}) == group.get("labels", {})  # no labels plan as null
        assert node_group.get("disk_size") is None  # the launch template sizes the disk
        assert "aws_launch_template.node" in plan.references(address, "launch_template.id")
        assert "aws_launch_template.node" in plan.references(address, "launch_template.version")
    assert plan.output("node_group_names") == {k: f"{NAME}-{k}" for k in GROUPS}


def test_node_groups_carry_the_cluster_autoscaler_discovery_tags(plan) -> None:
    for key in GROUPS:
        tags = plan[f'aws_eks_node_group.this["{key}"]']["tags"]
        assert tags["k8s.io/cluster-autoscaler/enabled"] == "true"
        assert tags[f"k8s.io/cluster-autoscaler/{NAME}"] == "owned"


def test_desired_size_changes_are_not_ignored() -> None:
    """Scaling a group by changing desired_size must reach EKS, so the module must not ignore it."""
    text = "\n".join(p.read_text() for p in MODULE.glob("*.tf"))
    assert "ignore_changes" not in text


def test_default_addons(plan, plan_public) -> None:
    addons = {r["addon_name"]: r for r in plan.of_type("aws_eks_addon")}
    assert sorted(addons) == ["coredns", "kube-proxy", "vpc-cni"]
    assert all(a.get("addon_version") is None for a in addons.values())  # EKS picks the version
    assert all(plan.references(a.address, "cluster_name") for a in addons.values())
    (pinned,) = plan_public.of_type("aws_eks_addon")
    assert (pinned["addon_name"], pinned["addon_version"]) == ("vpc-cni", "v1.19.2-eksbuild.1")


@pytest.mark.control("STRATA-IAM-001")
def test_cluster_autoscaler_policy_is_least_privilege(plan) -> None:
    statements = _policy(plan, "aws_iam_role_policy.cluster_autoscaler")
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert not is_wildcard_admin(statement)
        assert not [a for a in statement["Action"] if a == "*" or a.endswith(":*")]
        if statement["Resource"] == ["*"]:  # only read-only actions that take no resource-level permissions
            assert all(a.split(":")[1].startswith(("Describe", "Get")) for a in statement["Action"]), statement
    writes = [s for s in statements if "autoscaling:SetDesiredCapacity" in s["Action"]]
    (write,) = writes
    assert sorted(write["Action"]) == [
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
    ]
    assert pol.condition_values(write, "StringEquals", f"aws:ResourceTag/k8s.io/cluster-autoscaler/{NAME}") == ["owned"]
    (describe_nodegroup,) = [s for s in statements if "eks:DescribeNodegroup" in s["Action"]]
    assert [r.split(":", 5)[5] for r in describe_nodegroup["Resource"]] == [f"nodegroup/{NAME}/*/*"]


@pytest.mark.control("STRATA-IAM-001")
def test_log_shipper_writes_only_to_the_given_log_groups(plan) -> None:
    (statement,) = _policy(plan, "aws_iam_role_policy.log_shipper")
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    groups = sorted({r.split(":log-group:")[1].removesuffix(":*") for r in statement["Resource"]})
    assert groups == sorted(VARIABLES["log_shipper_log_group_names"])
    assert len(statement["Resource"]) == 2 * len(groups)  # each group and its streams, nothing else


@pytest.mark.control("STRATA-IAM-001")
@pytest.mark.control("STRATA-IAM-002")
def test_managed_policies_are_exactly_the_eks_ones(plan) -> None:
    attached = {r.address: r["policy_arn"].split(":policy/")[1] for r in plan.of_type("aws_iam_role_policy_attachment")}
    assert sorted(attached.values()) == sorted(["AmazonEKSClusterPolicy", *WORKER_POLICIES])
    assert attached["aws_iam_role_policy_attachment.cluster"] == "AmazonEKSClusterPolicy"
    for name in WORKER_POLICIES:
        assert plan[f'aws_iam_role_policy_attachment.node["{name}"]']["role"] == f"{NAME}-eks-node"
    assert not {"AdministratorAccess", "PowerUserAccess", "IAMFullAccess"} & set(attached.values())


@pytest.mark.control("STRATA-IAM-001")
def test_roles_trust_only_their_service(plan) -> None:
    for role, service in (("cluster", "eks.amazonaws.com"), ("node", "ec2.amazonaws.com")):
        (statement,) = _policy(plan, f"aws_iam_role.{role}", "assume_role_policy")
        assert statement["Principal"] == {"Service": [service]}
        assert statement["Action"] == ["sts:AssumeRole"]


@pytest.mark.control("STRATA-KMS-001")
def test_every_key_rotates(plan) -> None:
    for key in KEYS:
        resource = plan[f"module.{key}.aws_kms_key.this"]
        assert resource["enable_key_rotation"] is True
        assert 90 <= resource["rotation_period_in_days"] <= 365


def test_every_resource_tagged(plan) -> None:
    taggable = [r for r in plan.managed if "tags" in r.values]
    assert {r.type for r in taggable} >= {
        "aws_eks_cluster",
        "aws_eks_node_group",
        "aws_launch_template",
        "aws_iam_role",
        "aws_kms_key",
        "aws_cloudwatch_log_group",
        "aws_iam_openid_connect_provider",
        "aws_eks_addon",
    }
    for resource in taggable:
        assert resource["tags"].items() >= VARIABLES["tags"].items(), resource.address
    for template in plan.of_type("aws_launch_template"):
        specs = {s["resource_type"]: s["tags"] for s in template["tag_specifications"]}
        assert set(specs) == {"instance", "volume", "network-interface"}
        assert all(tags.items() >= VARIABLES["tags"].items() for tags in specs.values())


def _group(**overrides: Any) -> dict[str, Any]:
    return {"node_groups": {"general": {**GROUPS["general"], **overrides}}}


# Terraform reports every failed validation of one plan, so each case below costs one (quick, failing) plan.
# Values that cannot hold at once (two ways to break node_groups, or public_access_cidrs) get their own case.
BAD_INPUTS = {
    "many": {
        "name": "Acme_EKS",
        "kubernetes_version": "1.29",
        "vpc_id": "vpc-x",
        "subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1"],
        "endpoint_public_access": True,
        "public_access_cidrs": ["0.0.0.0/0"],
        **_group(min_size=5, max_size=3, desired_size=4),
        "addons": {"vpc-cni": {"version": "latest"}},
        "cluster_log_retention_in_days": 366,
        "log_shipper_namespace": "Logging",
        "log_shipper_service_account": "-shipper",
        "log_shipper_log_group_names": ["/acme/*"],
        "kms_deletion_window_in_days": 3,
        "tags": {"aws:owner": "platform"},
    },
    "out-of-range": {
        "name": "a" * 33,
        "kubernetes_version": "1.34",
        "endpoint_public_access": True,
        "public_access_cidrs": [],
        **_group(desired_size=7),
        "log_shipper_log_group_names": [],
    },
    "internet-in-halves": {
        "endpoint_public_access": True,
        "public_access_cidrs": ["0.0.0.0/1", "128.0.0.0/1"],
        **_group(desired_size=1),
    },
    "bad-node-group": {"node_groups": {"General": {**GROUPS["general"], "capacity_type": "RESERVED"}}},
    "no-node-group": {"node_groups": {}, "public_access_cidrs": ["10.0.0.1/16"]},
    "small-disk": {**_group(disk_size_gb=10)},
    "no-instance-type": {**_group(instance_types=[])},
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_rejects_bad_input(harness, case: str) -> None:
    bad = BAD_INPUTS[case]
    rejected = harness.rejected_variables(MODULE, {**VARIABLES, **bad})
    # endpoint_public_access = true is valid: it only turns the CIDR checks on (terraform names it in the
    # message of the check that refers to it, "public endpoint needs CIDRs").
    assert rejected - {"endpoint_public_access"} == set(bad) - {"endpoint_public_access"}
