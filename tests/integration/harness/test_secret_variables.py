"""A secret given to a module is masked even when terraform rejects it: terraform's diagnostic prints the value
(`var.db_password is "..."`) before any plan exists to say it is secret.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stratatest.errors import TerraformFailed

pytestmark = pytest.mark.plan

MODULE = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.100" }
  }
}

variable "db_password" {
  type = string
  validation {
    condition     = startswith(var.db_password, "ok-")
    error_message = "db_password must start with ok-."
  }
}

variable "pin_token" {
  type = string
  validation {
    condition     = length(var.pin_token) > 8
    error_message = "pin_token is too short."
  }
}
"""

REJECTED = "Rejected-Pa55-e2c4"
SHORT = "pw1"  # too short to register (MIN_SECRET_LENGTH): masked by its variable's name in the diagnostic


@pytest.fixture
def module(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(MODULE)
    return tmp_path


def test_a_rejected_secret_is_masked_in_terraforms_message(harness, module: Path) -> None:
    with pytest.raises(TerraformFailed) as failed:
        harness.plan(module, {"db_password": REJECTED, "pin_token": SHORT})
    message = str(failed.value)
    assert 'var.db_password is "[REDACTED]"' in message, message
    assert 'var.pin_token is "[REDACTED]"' in message, message
    assert "db_password must start with ok-." in message  # terraform's own reason is kept
    assert REJECTED not in message and f'"{SHORT}"' not in message


def test_rejected_variables_registers_the_value_too(harness, module: Path) -> None:
    from stratatest.secrets import redact

    assert harness.rejected_variables(module, {"db_password": "Other-Rejected-77", "pin_token": "long-enough"}) == {
        "db_password"
    }
    assert redact("echo Other-Rejected-77") == "echo [REDACTED]"
