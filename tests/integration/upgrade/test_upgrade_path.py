"""The platform's upgrade path and rollback, from the previous release (the newest tag before HEAD, or
`--previous-release REF`: on a pull request, the merge base) to HEAD, on the emulator.

The state backend first: its state is local, carried between the release's working copy and HEAD's by terraform's
`state pull`/`state push`. Then the dev environment, the whole platform, through that backend: both trees read and
write the same state object in its bucket. Each upgrade must destroy no stateful resource and each rollback must
apply and converge; test_stateful_change.py shows both failing, by name, on a change that would.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.apply

TERRAFORM = Path(__file__).resolve().parents[3] / "terraform"
STATE_KEY = "envs/dev/terraform.tfstate"


@pytest.fixture(scope="module")
def backend(upgrade_path, unique_name):
    return upgrade_path(
        TERRAFORM / "modules" / "state-backend",
        bucket_name=unique_name("upgrade-state"),
        force_destroy=True,
        deletion_protection_enabled=False,
        kms_deletion_window_in_days=7,
    )


@pytest.fixture(scope="module")
def dev(upgrade_path, backend, unique_name):
    """Destroyed before the backend it keeps its state in (the fixture destroys newest first)."""
    config = backend.stack.outputs()["backend_config"]
    return upgrade_path(TERRAFORM / "envs" / "dev", backend={**config, "key": STATE_KEY}, name=unique_name("updev"))


def test_state_backend_upgrade_keeps_its_state(backend) -> None:
    backend.assert_keeps_state()


def test_state_backend_rolls_back(backend) -> None:
    backend.assert_rolls_back()


def test_dev_upgrade_keeps_its_state(dev) -> None:
    dev.assert_keeps_state()


def test_dev_rolls_back(dev) -> None:
    dev.assert_rolls_back()


def test_dev_state_stayed_in_the_backend(dev, backend, target) -> None:
    """Every tree's copy read and wrote the one state object in the bucket; none kept a state of its own."""
    target.client("s3").head_object(Bucket=backend.stack.outputs()["bucket_name"], Key=STATE_KEY)
    assert "module.platform.module.rds.aws_db_instance.this" in dev.stack.state_addresses()
    assert not list(dev.stack.workspace.path.glob("*.tfstate"))
