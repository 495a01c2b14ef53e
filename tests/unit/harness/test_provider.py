"""The generated aws provider and S3 backend HCL: literal rendering, file choice, and the real provider's verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stratatest.targets.base import ProviderSettings
from stratatest.terraform import harness
from stratatest.terraform.provider import (
    BACKEND_ENDPOINTS,
    RUN_ID_TAG,
    hcl_value,
    provider_blocks,
    render_provider,
    render_s3_backend,
    write_provider,
)
from stratatest.toolchain import toolchain

URL = "https://127.0.0.1:1"
SETTINGS = ProviderSettings(
    region="us-east-1",
    endpoint_url=URL,
    attributes={
        "access_key": "testing",
        "secret_key": "testing",
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
        "s3_use_path_style": True,
        "max_retries": 1,
    },
)
REQUIRES_AWS = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.100" }
  }
}

resource "terraform_data" "probe" {
  input = "probe"
}
"""


@pytest.mark.parametrize(
    ("value", "hcl"),
    [
        ("us-east-1", '"us-east-1"'),
        ('say "hi"\n', '"say \\"hi\\"\\n"'),
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (["a", "b"], '["a", "b"]'),
        ({"stratatest:run-id": "st1", "n": 2}, '{ "stratatest:run-id" = "st1", "n" = 2 }'),
        ({"outer": {"inner": [1]}}, '{ "outer" = { "inner" = [1] } }'),
    ],
    ids=["str", "escaped-str", "true", "false", "int", "list", "dict", "nested-dict"],
)
def test_hcl_value(value: Any, hcl: str) -> None:
    assert hcl_value(value) == hcl


def test_render_provider_carries_the_settings_and_tags_the_run_with_no_endpoints_block() -> None:
    """The endpoint reaches terraform through its environment (`terraform_env`), not 300-odd endpoint settings."""
    text = render_provider(SETTINGS, {RUN_ID_TAG: "st1a2b3c"})
    lines = text.splitlines()
    assert lines[0] == 'provider "aws" {' and lines[-1] == "}"
    assert '  region = "us-east-1"' in lines
    assert "  skip_credentials_validation = true" in lines
    assert "  max_retries = 1" in lines
    assert "endpoints" not in text and URL not in text
    assert f'    tags = {{ "{RUN_ID_TAG}" = "st1a2b3c" }}' in lines


def test_render_provider_without_tags() -> None:
    """Static use gets no run tag."""
    text = render_provider(ProviderSettings(region="eu-west-1"), None)
    assert text == 'provider "aws" {\n  region = "eu-west-1"\n}\n'
    assert "default_tags" not in render_provider(SETTINGS, {})


@pytest.mark.parametrize(
    ("body", "declares"),
    [
        ('provider "aws" {\n  region = "us-east-1"\n}\n', True),
        ('  provider   "aws"{\n  alias = "replica"\n}\n', False),
        (REQUIRES_AWS, False),
        ('# provider "aws" {\n', False),
        ('provider "awscc" {\n}\n', False),
    ],
    ids=["block", "aliased-no-space", "required-only", "commented", "other-provider"],
)
def test_declares_aws_provider(tmp_path: Path, body: str, declares: bool) -> None:
    """A default (non-aliased) `provider "aws"` block of the module's own, as the run-id rules read it."""
    (tmp_path / "main.tf").write_text(body)
    assert any(block.alias is None for block in provider_blocks(tmp_path)) is declares


@pytest.mark.parametrize(
    ("body", "name"),
    [('provider "aws" {\n}\n', "stratatest_override.tf"), (REQUIRES_AWS, "stratatest_provider.tf")],
    ids=["own-provider", "no-provider"],
)
def test_write_provider_file_name(tmp_path: Path, body: str, name: str) -> None:
    """A module's own provider block must be overridden (merged), or terraform sees two default providers."""
    module, work = tmp_path / "module", tmp_path / "work"
    module.mkdir()
    work.mkdir()
    (module / "main.tf").write_text(body)
    written = write_provider(work, module, "# provider\n")
    assert written == work / name
    assert [p.name for p in work.iterdir()] == [name]
    assert written.read_text() == "# provider\n"


def test_s3_backend_points_every_backend_service_at_the_target() -> None:
    config = {"bucket": "state", "key": "app/terraform.tfstate", "dynamodb_table": "locks", "encrypt": True}
    lines = render_s3_backend(SETTINGS, config).splitlines()
    assert lines[:5] == [
        'region = "us-east-1"',
        'bucket = "state"',
        'key = "app/terraform.tfstate"',
        'dynamodb_table = "locks"',
        "encrypt = true",
    ]
    assert "use_path_style = true" in lines
    assert f'endpoints = {{ "s3" = "{URL}", "dynamodb" = "{URL}", "sts" = "{URL}", "iam" = "{URL}" }}' in lines
    assert set(BACKEND_ENDPOINTS) == {"s3", "dynamodb", "sts", "iam"}


def test_s3_backend_passes_only_backend_attributes() -> None:
    """Provider-only settings (s3_use_path_style, max_retries) are invalid in a backend and must not leak in."""
    keys = {line.split(" = ")[0] for line in render_s3_backend(SETTINGS, {"bucket": "b"}).splitlines()}
    assert keys == {
        "region",
        "bucket",
        "access_key",
        "secret_key",
        "skip_credentials_validation",
        "skip_requesting_account_id",
        "skip_metadata_api_check",
        "use_path_style",
        "endpoints",
    }


def test_s3_backend_for_a_real_account_has_no_endpoints() -> None:
    text = render_s3_backend(ProviderSettings(region="eu-west-1", attributes={"profile": "x"}), {"bucket": "b"})
    assert text == 'region = "eu-west-1"\nbucket = "b"\n'


def test_rendered_provider_is_valid_for_the_real_aws_provider(tmp_path: Path) -> None:
    """Every setting rendered is one the real provider accepts: no unknown attribute."""
    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text(REQUIRES_AWS)
    ws = harness.static_workspace(toolchain(), module, tmp_path / "work")
    written = write_provider(ws.path, module, render_provider(SETTINGS, {RUN_ID_TAG: "st1"}))
    assert written.name == "stratatest_provider.tf"
    result = ws.tf.execute_command("validate", "-no-color")
    assert "The configuration is valid" in result.out


def test_run_tags_reach_a_root_module_that_declares_them(tmp_path: Path) -> None:
    """A sandbox account tags owner and expiry too: a root module with its own provider gets them as a variable."""
    from stratatest.errors import ConfigError
    from stratatest.terraform.provider import run_id_variables

    module = tmp_path / "env"
    module.mkdir()
    (module / "main.tf").write_text('provider "aws" {}\nvariable "run_id" {}\n')
    tags = {"stratatest:owner": "ci", "stratatest:expires": "2026-12-08T00:00:00Z"}
    assert run_id_variables(module, "r1") == {"run_id": "r1"}
    assert run_id_variables(module, "r1", tags) == {"run_id": "r1"}  # no tags of its own: the override tags it
    (module / "main.tf").write_text(
        'provider "aws" {\n  default_tags {\n    tags = merge({ a = "b" }, { "stratatest:run-id" = var.run_id })\n'
        '  }\n}\nvariable "run_id" {}\n'
    )
    assert run_id_variables(module, "r1") == {"run_id": "r1"}
    with pytest.raises(ConfigError, match=r'add variable "run_tags" .*, var.run_tags\) in that block'):
        run_id_variables(module, "r1", tags)
    (module / "variables.tf").write_text('variable "run_tags" {\n  type = map(string)\n}\n')
    with pytest.raises(ConfigError, match=r"— write tags = merge\(<its tags>, .*, var.run_tags\) in that block"):
        run_id_variables(module, "r1", tags)  # declared, but its tags do not merge it
    (module / "main.tf").write_text(
        (module / "main.tf").read_text().replace("var.run_id })", "var.run_id }, var.run_tags)")
    )
    assert run_id_variables(module, "r1", tags) == {"run_id": "r1", "run_tags": tags}
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    assert run_id_variables(plain, "r1", tags) == {}  # its provider block is generated, tags and all
