"""Plan layer for terraform/modules/ecr: scanning, immutable tags, the CMK, lifecycle; the inventory and the bad
inputs are cases in the stratatest.yaml beside the module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratatest.terraform import inventory

pytestmark = pytest.mark.plan

MODULE = Path(__file__).resolve().parents[3] / "terraform" / "modules" / "ecr"
INVENTORY = MODULE / "inventory" / "default.yaml"
VARIABLES = inventory.load(INVENTORY)["variables"]
NAME = VARIABLES["name"]
REPOSITORIES = VARIABLES["repositories"]
KEY = "module.kms.aws_kms_key.this"


@pytest.fixture(scope="module")
def plan(plan_of):
    """The inventory's case: every default."""
    return plan_of(MODULE, **VARIABLES)


@pytest.fixture(scope="module")
def plan_tuned(plan_of):
    return plan_of(MODULE, **{**VARIABLES, "keep_last_images": 5, "untagged_expire_days": 1, "force_delete": True})


def repositories(plan) -> list:
    return [plan[f'aws_ecr_repository.this["{r}"]'] for r in REPOSITORIES]


def lifecycle_rules(plan, repository: str) -> list[dict]:
    rules = json.loads(plan[f'aws_ecr_lifecycle_policy.this["{repository}"]']["policy"])["rules"]
    return sorted(rules, key=lambda rule: rule["rulePriority"])


def test_creates_only_and_nothing_else(plan) -> None:
    assert all(r.actions == ("create",) for r in plan.managed), plan.diff_text()


def test_one_repository_per_name_under_the_prefix(plan) -> None:
    assert plan.counts()["aws_ecr_repository"] == plan.counts()["aws_ecr_lifecycle_policy"] == len(REPOSITORIES)
    assert [r["name"] for r in repositories(plan)] == [f"{NAME}/{r}" for r in REPOSITORIES]
    assert plan.output("repository_names") == {r: f"{NAME}/{r}" for r in REPOSITORIES}


def test_force_delete_follows_the_variable(plan, plan_tuned) -> None:
    assert [r["force_delete"] for r in repositories(plan)] == [False] * len(REPOSITORIES)
    assert [r["force_delete"] for r in repositories(plan_tuned)] == [True] * len(REPOSITORIES)


@pytest.mark.control("STRATA-ECR-001")
def test_scan_on_push(plan) -> None:
    for repository in repositories(plan):
        assert repository["image_scanning_configuration"] == [{"scan_on_push": True}], repository.address


@pytest.mark.control("STRATA-ECR-002")
def test_tags_immutable(plan) -> None:
    for repository in repositories(plan):
        assert repository["image_tag_mutability"] == "IMMUTABLE", repository.address


@pytest.mark.control("STRATA-ECR-003")
def test_encrypted_with_the_module_key(plan) -> None:
    for repository in repositories(plan):
        (encryption,) = repository["encryption_configuration"]
        assert encryption["encryption_type"] == "KMS"
        assert "module.kms.arn" in plan.references(repository.address, "encryption_configuration.kms_key")


@pytest.mark.control("STRATA-ECR-003")
def test_lifecycle_expires_untagged_then_keeps_the_last_images(plan, plan_tuned) -> None:
    for repository in REPOSITORIES:
        assert plan[f'aws_ecr_lifecycle_policy.this["{repository}"]']["repository"] == f"{NAME}/{repository}"
        untagged, old = lifecycle_rules(plan, repository)
        assert untagged["selection"] == {
            "tagStatus": "untagged",
            "countType": "sinceImagePushed",
            "countUnit": "days",
            "countNumber": 7,
        }
        assert old["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30}
        assert untagged["action"] == old["action"] == {"type": "expire"}
    untagged, old = lifecycle_rules(plan_tuned, REPOSITORIES[0])
    assert (untagged["selection"]["countNumber"], old["selection"]["countNumber"]) == (1, 5)


@pytest.mark.control("STRATA-KMS-001")
def test_key_rotates(plan) -> None:
    key = plan[KEY]
    assert key["enable_key_rotation"] is True
    assert 90 <= key["rotation_period_in_days"] <= 365
    assert key["deletion_window_in_days"] == 30
    assert plan["module.kms.aws_kms_alias.this"]["name"] == f"alias/{NAME}-ecr"


@pytest.mark.control("STRATA-KMS-001")
def test_key_policy_grants_no_service(plan) -> None:
    """ECR uses the key on the caller's behalf; only the account root is named in the policy."""
    statements = json.loads(plan[KEY]["policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["EnableRootAccountPermissions"]
    assert statements[0]["Principal"]["AWS"].endswith(":root")


def test_every_resource_tagged(plan) -> None:
    taggable = [r for r in plan.managed if "tags" in r.values]
    assert {r.type for r in taggable} >= {"aws_ecr_repository", "aws_kms_key"}
    for resource in taggable:
        assert resource["tags"].items() >= VARIABLES["tags"].items(), resource.address
