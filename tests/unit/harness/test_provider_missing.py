"""Where the registry cannot be reached, init names each provider it could not get and the registry it tried.

Real `terraform init` through the runner, with a CLI config whose registry answers on a closed local port (a
`host` block), so the registry is unreachable on any machine. The aws provider, which the suite itself
provides, gets the suite's own fix (its mirror setting); any other provider gets only what fits it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stratatest.errors import ToolMissing
from stratatest.localhost import free_port
from stratatest.terraform.runner import Terraform
from stratatest.toolchain import toolchain

UNREACHABLE_REGISTRY = """
host "registry.terraform.io" {
  services = {
    "providers.v1" = "http://127.0.0.1:%d/v1/providers/"
  }
}
"""


def _init_error(tmp_path: Path, main_tf: str) -> str:
    config = tmp_path / "terraform.tfrc"
    config.write_text(UNREACHABLE_REGISTRY % free_port())
    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text(main_tf)
    tf = Terraform(module, binary=toolchain().terraform.path or "terraform", env={"TF_CLI_CONFIG_FILE": str(config)})
    with pytest.raises(ToolMissing) as failure:
        tf.execute_command("init", "-backend=false", "-input=false", "-no-color")
    return str(failure.value)


def test_names_each_provider_and_the_unreachable_registry(tmp_path: Path) -> None:
    message = _init_error(
        tmp_path,
        'terraform {\n  required_providers {\n    random = { source = "hashicorp/random" }\n'
        '    github = { source = "integrations/github" }\n  }\n}\n',
    )
    assert (
        " could not get providers hashicorp/random, integrations/github: registry.terraform.io is unreachable — "
        "run where registry.terraform.io is reachable, or put hashicorp/random in a filesystem mirror beside "
        "hashicorp/aws (STRATATEST_PROVIDER_MIRROR)"
    ) in message  # only hashicorp/* come from the suite's mirror
    assert message.endswith("(STRATATEST_PROVIDER_MIRROR)") and "\n" not in message


def test_the_aws_provider_gets_the_suites_mirror_setting(tmp_path: Path) -> None:
    message = _init_error(
        tmp_path, 'resource "aws_ssm_parameter" "x" {\n  name  = "x"\n  type  = "String"\n  value = "x"\n}\n'
    )
    assert " could not get provider hashicorp/aws: registry.terraform.io is unreachable — " in message
    assert (
        "set STRATATEST_PROVIDER_MIRROR to a folder holding registry.terraform.io/hashicorp/aws/<version>/" in message
    )
