"""ECRRepository view against moto's in-memory ECR: each yes/no property, both ways."""

from __future__ import annotations

import json

import pytest

from stratatest.inspect.ecr import RepositoryNotFound

NAME = "acme/orders"
RULES = [
    {
        "rulePriority": 2,
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30},
        "action": {"type": "expire"},
    },
    {
        "rulePriority": 1,
        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
        "action": {"type": "expire"},
    },
]


@pytest.fixture
def ecr(aws):
    return aws.client("ecr")


def test_repr_names_the_repository(aws):
    assert repr(aws.ecr_repository(NAME)) == f"<ecr_repository {NAME}>"


def test_missing_repository(aws):
    repository = aws.ecr_repository(NAME)
    assert not repository.exists
    with pytest.raises(RepositoryNotFound, match=NAME):
        _ = repository.scan_on_push
    with pytest.raises(RepositoryNotFound):
        _ = repository.has_lifecycle_policy


def test_default_repository_is_mutable_unscanned_and_aes(aws, ecr):
    ecr.create_repository(repositoryName=NAME)
    repository = aws.ecr_repository(NAME)
    assert repository.exists
    assert not repository.tags_immutable
    assert not repository.scan_on_push
    assert not repository.is_kms_encrypted
    assert repository.kms_key_arn is None
    assert not repository.has_lifecycle_policy
    assert repository.lifecycle_rules == []
    assert repository.tags == {}


def test_hardened_repository(aws, ecr):
    key_arn = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    arn = ecr.create_repository(
        repositoryName=NAME,
        imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key_arn},
        tags=[{"Key": "owner", "Value": "platform"}],
    )["repository"]["repositoryArn"]
    ecr.put_lifecycle_policy(repositoryName=NAME, lifecyclePolicyText=json.dumps({"rules": RULES}))
    repository = aws.ecr_repository(NAME)
    assert repository.arn == arn
    assert repository.url.endswith(f"/{NAME}")
    assert repository.tags_immutable
    assert repository.scan_on_push
    assert repository.is_kms_encrypted
    assert repository.kms_key_arn == key_arn
    assert repository.has_lifecycle_policy
    assert [r["rulePriority"] for r in repository.lifecycle_rules] == [1, 2]  # sorted by priority
    assert repository.lifecycle_rules[0]["selection"]["tagStatus"] == "untagged"
    assert repository.tags == {"owner": "platform"}


def test_other_repositories_do_not_count(aws, ecr):
    ecr.create_repository(repositoryName=f"{NAME}-longer", imageTagMutability="IMMUTABLE")
    assert not aws.ecr_repository(NAME).exists
