"""The upgrade path fails, naming each resource and the attribute, when a change would destroy a stateful one.

A scratch git repository holds a small module (release/) committed and tagged `v1`, then a commit that changes it
the way a careless pull request would: the bucket renamed (replaced), the key made multi-Region (replaced), the log
group's block renamed without a `moved` block (destroyed), and, holding nothing, the key's alias renamed (replaced,
and not a finding); it also declares a variable the release lacks. Everything runs for real: terraform plans and
applies each tree against the emulator.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stratatest.errors import ConfigError, NotAssessable, StratatestError
from stratatest.git import run_git
from stratatest.terraform.upgrade import UpgradePath

pytestmark = pytest.mark.apply

HERE = Path(__file__).resolve().parent
#: The careless change HEAD commits over the release: (the release's text, HEAD's), each found exactly once.
CHANGE = (
    ("  bucket        = var.name\n", '  bucket        = "${var.name}-v2"\n'),
    ("  enable_key_rotation     = true\n", "  enable_key_rotation     = true\n  multi_region            = true\n"),
    ('  name          = "alias/${var.name}"\n', '  name          = "alias/${var.name}-v2"\n'),
    ('"aws_cloudwatch_log_group" "app"', '"aws_cloudwatch_log_group" "application"'),
    ('  name              = "/${var.name}/app"\n', '  name              = "/${var.name}/application"\n'),
    ('variable "name" {', 'variable "retention_in_days" {\n  type    = number\n  default = 7\n}\n\nvariable "name" {'),
)

GROWS = '\nresource "aws_sqs_queue" "jobs" {\n  name = "${var.name}-jobs"\n}\n'


def _git(root: Path, *args: str) -> None:
    run_git(root, "-c", "user.name=stratatest", "-c", "user.email=stratatest@example.invalid", *args)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scratch repository: `v1` (release/ as stateful/ and grows/, and broken/), then HEAD (the change, a queue
    added to grows/, and a module new since v1)."""
    root = tmp_path_factory.mktemp("scratch-repo")
    shutil.copytree(HERE / "release", root / "terraform" / "stateful")
    shutil.copytree(HERE / "broken", root / "terraform" / "broken")
    shutil.copytree(HERE / "release", root / "terraform" / "grows")
    _git(root, "init", "--quiet")
    _git(root, "add", ".")
    _git(root, "commit", "--quiet", "--no-gpg-sign", "-m", "release")
    _git(root, "tag", "--no-sign", "-a", "v1", "-m", "v1")
    main = root / "terraform" / "stateful" / "main.tf"
    text = main.read_text()
    for before, after in CHANGE:
        assert text.count(before) == 1, before
        text = text.replace(before, after)
    main.write_text(text)
    shutil.copytree(HERE / "release", root / "terraform" / "new-module")
    with (root / "terraform" / "grows" / "main.tf").open("a") as grows:  # HEAD adds a service: a queue
        grows.write(GROWS)
    _git(root, "add", ".")
    _git(root, "commit", "--quiet", "--no-gpg-sign", "-m", "a careless change")
    return root / "terraform"


@pytest.fixture(scope="module")
def upgrade(upgrade_path, repo: Path, unique_name):
    return upgrade_path(repo / "stateful", release="v1", name=unique_name("upgrade"))


def test_the_upgrade_names_each_stateful_resource_and_the_attribute(upgrade) -> None:
    found = {loss.address: loss for loss in upgrade.losses}
    assert sorted(found) == ["aws_cloudwatch_log_group.app", "aws_kms_key.data", "aws_s3_bucket.data"]
    assert found["aws_s3_bucket.data"].replaced and found["aws_s3_bucket.data"].replace_paths == ("bucket",)
    assert found["aws_kms_key.data"].replaced and found["aws_kms_key.data"].replace_paths == ("multi_region",)
    log_group = found["aws_cloudwatch_log_group.app"]
    assert not log_group.replaced and log_group.reason == "delete_because_no_resource_config"
    assert upgrade.upgrade.error is None  # HEAD did apply: the finding is what it destroyed, not an error

    with pytest.raises(AssertionError) as failure:
        upgrade.assert_keeps_state()
    message = str(failure.value)
    assert "upgrading " in message and "stateful from v1 (" in message and "to HEAD: 3 problem(s)" in message
    assert "aws_s3_bucket.data (aws_s3_bucket) would be replaced: bucket cannot change in place" in message
    assert "aws_kms_key.data (aws_kms_key) would be replaced: multi_region cannot change in place" in message
    assert (
        "aws_cloudwatch_log_group.app (aws_cloudwatch_log_group) would be destroyed: its block is gone from the "
        "configuration (a rename needs a moved block)"
    ) in message
    assert "aws_kms_alias" not in message  # replaced too, but an alias holds nothing
    assert upgrade.upgrade.plan["aws_kms_alias.data"].replaces


def test_the_rollback_names_the_releases_resources_it_would_destroy(upgrade) -> None:
    """Rolling back replaces the bucket again. Not the key: `multi_region` is computed when unset, so the release
    (which does not set it) keeps HEAD's multi-Region key. The log group HEAD added goes with HEAD: no finding."""
    assert upgrade.rollback.error is None and upgrade.after_rollback is None  # applied, and converged
    assert [loss.address for loss in upgrade.rollback_losses] == ["aws_s3_bucket.data"]
    assert upgrade.rollback.plan["aws_kms_key.data"].actions == ("no-op",)
    assert upgrade.rollback.plan["aws_cloudwatch_log_group.application"].actions == ("delete",)
    with pytest.raises(AssertionError) as failure:
        upgrade.assert_rolls_back()
    message = str(failure.value)
    assert "rolling " in message and "stateful back from HEAD to v1 (" in message and "1 problem(s)" in message
    assert "aws_s3_bucket.data (aws_s3_bucket) would be replaced: bucket cannot change in place" in message


def test_the_stack_holds_the_release_after_the_rollback(upgrade, aws) -> None:
    names = upgrade.stack.state_addresses()
    assert "aws_cloudwatch_log_group.app" in names and "aws_cloudwatch_log_group.application" not in names
    bucket = upgrade.rollback.plan["aws_s3_bucket.data"].values["bucket"]
    assert aws.s3_bucket(bucket).exists and not aws.s3_bucket(f"{bucket}-v2").exists


def test_a_release_that_does_not_apply_fails_saying_so_and_leaves_nothing(harness, repo: Path, aws, unique_name):
    name = unique_name("broken")
    with UpgradePath(harness, repo / "broken", "v1", {"name": name}) as path, pytest.raises(StratatestError) as failure:
        path.run()
    message = str(failure.value)
    assert "the previous release of " in message and "broken, v1 (" in message
    assert "did not apply, so no upgrade path can be tested" in message
    assert "This release does not apply, on purpose." in message
    assert path.stack.destroyed  # its log group was created before the postcondition failed: destroyed since
    assert not aws.log_group(f"/{name}/broken").exists


def test_a_module_new_since_the_release_has_no_upgrade_path(harness, repo: Path) -> None:
    with pytest.raises(
        NotAssessable, match=r"^terraform/new-module did not exist in v1 \([0-9a-f]{12}\): a module new"
    ):
        UpgradePath(harness, repo / "new-module", "v1", {"name": "unused"})


def test_a_ref_that_names_no_commit_is_one_line(harness, repo: Path) -> None:
    with pytest.raises(ConfigError, match=r"'v9' names no commit in "):
        UpgradePath(harness, repo / "stateful", "v9", {"name": "unused"})


def test_variables_the_release_lacks_are_refused_before_anything_is_applied(harness, repo: Path) -> None:
    with pytest.raises(ConfigError) as failure:
        UpgradePath(harness, repo / "stateful", "v1", {"name": "unused", "retention_in_days": 14})
    assert "the previous release of " in failure.value.message and 'no variable "retention_in_days"' in str(
        failure.value
    )
    assert "previous_variables=" in str(failure.value.hint)


def test_a_service_head_adds_that_the_target_lacks_is_not_assessed(harness, repo: Path, aws, unique_name, monkeypatch):
    """On a target that serves the release's services but not HEAD's new one, the upgrade is not assessable there:
    said before HEAD applies anything, and the release's stack is still destroyed."""
    monkeypatch.setattr(harness.target, "services", lambda: frozenset({"s3", "kms", "logs"}))
    name = unique_name("grows")
    with UpgradePath(harness, repo / "grows", "v1", {"name": name}) as path, pytest.raises(NotAssessable) as refused:
        path.run()
    lacks = harness.target.unsupported({"s3", "kms", "logs", "sqs"})  # each target words it its own way
    assert "sqs" in lacks and str(refused.value).endswith(f"terraform/grows at HEAD: {lacks}")
    assert path.stack.destroyed and not aws.s3_bucket(name).exists
