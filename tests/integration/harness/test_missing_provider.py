"""A module that needs a provider this machine cannot get fails init naming that provider and where terraform
looked, never blaming the aws provider the suite provides.

Real `terraform init` through the harness: the suite's CLI config takes `hashicorp/*` from the filesystem
mirror only, so a provider missing there is missing whatever the network allows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stratatest.errors import ToolMissing
from stratatest.toolchain import toolchain

NEEDS_RANDOM = """
resource "random_id" "x" {
  byte_length = 4
}
"""

NEEDS_TWO = """
terraform {
  required_providers {
    random = { source = "hashicorp/random" }
    null   = { source = "hashicorp/null" }
  }
}
"""

NEEDS_AWS_AND_RANDOM = """
terraform {
  required_providers {
    aws    = { source = "hashicorp/aws", version = "~> 5.100" }
    random = { source = "hashicorp/random" }
  }
}

resource "aws_ssm_parameter" "x" {
  name  = "/stratatest/missing-provider"
  type  = "String"
  value = "x"
}
"""


@pytest.fixture(scope="module")
def mirror() -> Path:
    """The filesystem mirror the suite's CLI config uses, which must lack the providers these modules need."""
    found = toolchain().mirror
    if found is None:
        pytest.skip("no filesystem mirror here: terraform would fetch hashicorp/random from the registry")
    held = {p.name for p in (found / "registry.terraform.io" / "hashicorp").iterdir()}
    if held & {"random", "null"}:
        pytest.skip(f"the filesystem mirror {found} holds hashicorp/random or hashicorp/null")
    return found


def _init_error(harness, tmp_path: Path, main_tf: str) -> str:
    (tmp_path / "main.tf").write_text(main_tf)
    with pytest.raises(ToolMissing) as failure:
        harness.plan(tmp_path)
    return str(failure.value)


def test_names_the_missing_provider_and_the_mirror(harness, mirror: Path, tmp_path: Path) -> None:
    message = _init_error(harness, tmp_path, NEEDS_RANDOM)
    assert f"could not get provider hashicorp/random: not in the filesystem mirror {mirror} — " in message
    assert f"add hashicorp/random to the mirror at {mirror}" in message
    assert "or run where the registry is reachable" in message
    assert "hashicorp/aws" not in message
    assert "\n" not in message


def test_names_both_missing_providers(harness, mirror: Path, tmp_path: Path) -> None:
    message = _init_error(harness, tmp_path, NEEDS_TWO)
    assert f"could not get providers hashicorp/null, hashicorp/random: not in the filesystem mirror {mirror}" in message
    assert f"add hashicorp/null, hashicorp/random to the mirror at {mirror}" in message
    assert "hashicorp/aws" not in message


def test_blames_only_the_missing_one_beside_aws(harness, mirror: Path, tmp_path: Path) -> None:
    message = _init_error(harness, tmp_path, NEEDS_AWS_AND_RANDOM)
    assert "could not get provider hashicorp/random: " in message
    assert "hashicorp/aws" not in message
