"""docs/sandbox-iam-policy.json: well-formed, attachable, tag-conditioned, and enough for the sweep."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

POLICY = Path(__file__).resolve().parents[3] / "docs" / "sandbox-iam-policy.json"
RUN_TAG = "stratatest:run-id"
#: Every call the sweep makes (sweep.py), by IAM action name.
SWEEP_ACTIONS = [
    "sts:GetCallerIdentity",
    "tag:GetResources",
    "kms:DescribeKey",
    "ec2:DescribeNatGateways",
    "iam:ListRoles",
    "iam:ListRoleTags",
    "iam:ListOpenIDConnectProviders",
    "iam:ListOpenIDConnectProviderTags",
    "ec2:DescribeAddresses",
    "ec2:DescribeLaunchTemplates",
    "eks:DeleteNodegroup",
    "eks:DescribeNodegroup",
    "eks:DeleteAddon",
    "eks:DeleteCluster",
    "eks:DescribeCluster",
    "rds:DescribeDBInstances",
    "rds:ModifyDBInstance",
    "rds:DeleteDBInstance",
    "rds:DeleteDBSubnetGroup",
    "rds:DeleteDBParameterGroup",
    "ec2:DeleteFlowLogs",
    "ec2:DeleteLaunchTemplate",
    "cloudtrail:DeleteTrail",
    "guardduty:DeleteDetector",
    "cloudwatch:DeleteAlarms",
    "sns:DeleteTopic",
    "logs:DeleteLogGroup",
    "ecr:DeleteRepository",
    "ecr:BatchDeleteImage",
    "ssm:DeleteParameter",
    "dynamodb:DescribeTable",
    "dynamodb:UpdateTable",
    "dynamodb:DeleteTable",
    "s3:ListBucketVersions",
    "s3:DeleteObjectVersion",
    "s3:DeleteBucket",
    "ec2:DeleteNatGateway",
    "ec2:ReleaseAddress",
    "ec2:DescribeSecurityGroups",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:DeleteSecurityGroup",
    "ec2:DescribeRouteTables",
    "ec2:DisassociateRouteTable",
    "ec2:DeleteRouteTable",
    "ec2:DescribeInternetGateways",
    "ec2:DetachInternetGateway",
    "ec2:DeleteInternetGateway",
    "ec2:DeleteSubnet",
    "ec2:DeleteVpc",
    "iam:DeleteOpenIDConnectProvider",
    "iam:ListAttachedRolePolicies",
    "iam:DetachRolePolicy",
    "iam:ListRolePolicies",
    "iam:DeleteRolePolicy",
    "iam:ListInstanceProfilesForRole",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:DeleteRole",
    "kms:ListAliases",
    "kms:DeleteAlias",
    "kms:ScheduleKeyDeletion",
]
_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*]+$")
_OPERATORS = {"Null", "StringEquals", "StringNotEquals", "ArnEquals"}


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate key in {keys}"
    return dict(pairs)


@pytest.fixture(scope="module")
def policy() -> dict[str, Any]:
    return json.loads(POLICY.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicate_keys)


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_well_formed(policy: dict[str, Any]) -> None:
    assert set(policy) == {"Version", "Statement"}
    assert policy["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids)) and all(re.fullmatch(r"[A-Za-z0-9]+", s) for s in sids)
    for statement in policy["Statement"]:
        assert set(statement) <= {"Sid", "Effect", "Action", "NotAction", "Resource", "Condition"}, statement["Sid"]
        assert statement["Effect"] in ("Allow", "Deny")
        assert ("Action" in statement) != ("NotAction" in statement)
        for action in _listed(statement.get("Action") or statement["NotAction"]):
            assert _ACTION.match(action), action
        assert all(r == "*" or r.startswith("arn:aws:") for r in _listed(statement["Resource"]))
        assert set(statement.get("Condition", {})) <= _OPERATORS


def test_attachable_inline(policy: dict[str, Any]) -> None:
    """IAM counts the policy without whitespace; a role's inline policies may hold 10,240 characters."""
    assert len(json.dumps(policy, separators=(",", ":"))) <= 10240


def test_creating_and_changing_are_tag_conditioned(policy: dict[str, Any]) -> None:
    statements = {s["Sid"]: s for s in policy["Statement"]}
    create = statements["CreateOnlyWithTheRunIdTag"]
    assert create["Condition"] == {"Null": {f"aws:RequestTag/{RUN_TAG}": "false"}}
    assert all(re.match(r"[a-z0-9]+:(Create|Put|Allocate)", a) for a in create["Action"])
    change = statements["ChangeAndDeleteOnlyWhatCarriesTheRunIdTag"]
    assert change["Condition"] == {"Null": {f"aws:ResourceTag/{RUN_TAG}": "false"}}
    # Without a condition on every resource: identity, reads, and the two account-level settings only.
    everywhere = {s["Sid"] for s in policy["Statement"] if "Condition" not in s and s["Resource"] == "*"}
    assert everywhere == {"WhoAmIAndFindByTag", "ReadWhatThePlatformUses", "AccountLevelSettingsThePlatformManages"}
    assert all(re.match(r"[a-z0-9]+:(Describe|List|Get)", a) for a in statements["ReadWhatThePlatformUses"]["Action"])


def test_allows_what_the_sweep_calls(policy: dict[str, Any]) -> None:
    allowed = [a for s in policy["Statement"] if s["Effect"] == "Allow" for a in _listed(s["Action"])]
    missing = [action for action in SWEEP_ACTIONS if not any(fnmatchcase(action, a) for a in allowed)]
    assert missing == []
