"""Emulator layer for terraform/modules/ecr: apply, read the repositories back, idempotency, destroy."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.apply

MODULE = Path(__file__).resolve().parents[3] / "terraform" / "modules" / "ecr"
REPOSITORIES = ["orders", "payments/api"]


@pytest.fixture(scope="module")
def registry(stacks, unique_name):
    name = unique_name("ecr")
    stack = stacks(
        MODULE,
        name=name,
        repositories=REPOSITORIES,
        keep_last_images=20,
        untagged_expire_days=3,
        force_delete=True,  # test setting: let destroy remove a repository even if an image was pushed
        kms_deletion_window_in_days=7,
        tags={"owner": "platform"},
    )
    return stack, {**stack.outputs(), "name": name}


def test_one_repository_per_name(registry, aws) -> None:
    out = registry[1]
    assert out["repository_names"] == {r: f"{out['name']}/{r}" for r in REPOSITORIES}
    for r, name in out["repository_names"].items():
        repository = aws.ecr_repository(name)
        assert repository.exists
        assert repository.arn == out["repository_arns"][r]
        assert repository.url == out["repository_urls"][r]
        assert repository.tags["owner"] == "platform"


@pytest.mark.control("STRATA-ECR-001")
def test_scan_on_push(registry, aws) -> None:
    assert all(aws.ecr_repository(n).scan_on_push for n in registry[1]["repository_names"].values())


@pytest.mark.control("STRATA-ECR-002")
def test_tags_immutable(registry, aws) -> None:
    assert all(aws.ecr_repository(n).tags_immutable for n in registry[1]["repository_names"].values())


@pytest.mark.control("STRATA-ECR-003", "STRATA-KMS-001")
def test_encrypted_with_the_module_key(registry, aws) -> None:
    out = registry[1]
    for name in out["repository_names"].values():
        repository = aws.ecr_repository(name)
        assert repository.is_kms_encrypted
        assert repository.kms_key_arn == out["kms_key_arn"]
    key = aws.kms_key(out["kms_key_arn"])
    assert key.key_manager == "CUSTOMER"
    assert key.is_enabled and key.rotation_enabled


@pytest.mark.control("STRATA-ECR-003")
def test_lifecycle_policy_expires_untagged_and_old_images(registry, aws) -> None:
    for name in registry[1]["repository_names"].values():
        repository = aws.ecr_repository(name)
        assert repository.has_lifecycle_policy
        untagged, old = (rule["selection"] for rule in repository.lifecycle_rules)
        assert untagged == {
            "tagStatus": "untagged",
            "countType": "sinceImagePushed",
            "countUnit": "days",
            "countNumber": 3,
        }
        assert old == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20}
        assert all(rule["action"] == {"type": "expire"} for rule in repository.lifecycle_rules)


def test_every_resource_carries_the_run_id(registry, aws, run_id) -> None:
    out = registry[1]
    assert all(aws.ecr_repository(n).tags.get("stratatest:run-id") == run_id for n in out["repository_names"].values())
    assert aws.kms_key(out["kms_key_arn"]).tags.get("stratatest:run-id") == run_id


def test_idempotent(registry) -> None:
    registry[0].assert_idempotent()


def test_destroy_leaves_nothing(registry, aws) -> None:
    """Runs last in this module: destroy now and check the emulator holds nothing of the stack."""
    stack, out = registry
    stack.destroy()
    assert not any(aws.ecr_repository(n).exists for n in out["repository_names"].values())
    assert aws.kms_key(out["kms_key_arn"]).pending_deletion
