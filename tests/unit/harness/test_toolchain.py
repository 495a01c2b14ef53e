"""Finding terraform and the aws provider mirror, and the CLI config the suite writes for itself."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from stratatest.errors import ToolMissing
from stratatest.toolchain import AWS_PROVIDER, doctor, find_mirror, find_terraform, render_cli_config, toolchain


@pytest.fixture
def fresh_toolchain() -> Iterator[None]:
    """toolchain() is cached per process: resolve anew here, and let later tests resolve with the real env."""
    toolchain.cache_clear()
    yield
    toolchain.cache_clear()


def fake_mirror(root: Path, version: str = "9.9.9") -> Path:
    platform = root / AWS_PROVIDER / version / "linux_amd64"
    platform.mkdir(parents=True)
    (platform / "terraform-provider-aws_v9.9.9_x5").write_text("not a real provider")
    return root


def fake_terraform(tmp_path: Path, version: str = "9.9.9") -> Path:
    script = tmp_path / "fake-terraform"
    script.write_text(f"#!/bin/sh\necho '{json.dumps({'terraform_version': version})}'\n")
    script.chmod(0o755)
    return script


def test_cli_config_with_mirror(tmp_path: Path) -> None:
    """hashicorp/* from the mirror only (never the registry), everything else direct, one plugin cache."""
    text = render_cli_config(tmp_path / "mirror dir", tmp_path / "plugins")
    assert f'    path    = "{tmp_path / "mirror dir"}"' in text
    assert text.count('["registry.terraform.io/hashicorp/*"]') == 2
    assert "  filesystem_mirror {" in text and "    exclude = " in text
    assert text.endswith(f'plugin_cache_dir = "{tmp_path / "plugins"}"\n')


def test_cli_config_without_mirror(tmp_path: Path) -> None:
    assert render_cli_config(None, tmp_path / "plugins") == f'plugin_cache_dir = "{tmp_path / "plugins"}"\n'


@pytest.mark.parametrize("with_mirror", [True, False], ids=["mirror", "registry"])
def test_terraform_accepts_the_cli_config(tmp_path: Path, with_mirror: bool) -> None:
    """Terraform reports CLI config problems as a warning on every command: there must be none."""
    config, plugins = tmp_path / "terraform.tfrc", tmp_path / "plugins"
    plugins.mkdir()  # toolchain() creates it before writing the config
    config.write_text(render_cli_config(fake_mirror(tmp_path / "m") if with_mirror else None, plugins))
    out = subprocess.run(
        [shutil.which("terraform") or "terraform", "version"],
        env={"TF_CLI_CONFIG_FILE": str(config), "CHECKPOINT_DISABLE": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "problems with the CLI configuration" not in out.stdout + out.stderr


def test_explicit_empty_mirror_is_tool_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit mirror without the provider is a mistake to report, not a reason to fall back silently."""
    monkeypatch.setenv("STRATATEST_PROVIDER_MIRROR", str(tmp_path))
    with pytest.raises(ToolMissing) as excinfo:
        find_mirror()
    assert f"STRATATEST_PROVIDER_MIRROR={tmp_path}" in str(excinfo.value)
    assert excinfo.value.hint == f"expected {AWS_PROVIDER}/<version>/<os_arch>/ under it; unset it to use the registry"


def test_explicit_mirror_is_found_with_its_versions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = fake_mirror(tmp_path)
    (mirror / AWS_PROVIDER / "9.9.8").mkdir()  # an empty version folder is not a usable version
    monkeypatch.setenv("STRATATEST_PROVIDER_MIRROR", str(mirror))
    assert find_mirror() == (mirror, ("9.9.9",))


def test_find_terraform_honours_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATATEST_TERRAFORM", str(fake_terraform(tmp_path)))
    tool = find_terraform()
    assert (tool.found, tool.path, tool.version) == (True, str(tmp_path / "fake-terraform"), "9.9.9")


def test_find_terraform_rejects_a_non_executable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = fake_terraform(tmp_path)
    script.chmod(0o644)
    monkeypatch.setenv("STRATATEST_TERRAFORM", str(script))
    tool = find_terraform()
    assert not tool.found and "STRATATEST_TERRAFORM" in tool.hint


def test_toolchain_writes_its_config_into_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_toolchain: None
) -> None:
    """Every terraform call gets this config through env(): never ~/.terraformrc."""
    mirror = fake_mirror(tmp_path / "mirror")
    monkeypatch.setenv("STRATATEST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("STRATATEST_PROVIDER_MIRROR", str(mirror))
    monkeypatch.setenv("STRATATEST_TERRAFORM", str(fake_terraform(tmp_path)))
    chain = toolchain()
    assert chain.cli_config == tmp_path / "cache" / "terraform.tfrc"
    assert chain.cli_config.read_text() == render_cli_config(mirror, tmp_path / "cache" / "plugins")
    assert chain.plugin_cache.is_dir()
    assert chain.env()["TF_CLI_CONFIG_FILE"] == str(chain.cli_config)
    assert chain.provider_source == f"filesystem mirror {mirror} (aws 9.9.9)"


def test_doctor_reports_terraform_and_the_provider() -> None:
    lines, ok = doctor()
    assert ok
    assert lines[0].startswith("terraform   ") and shutil.which("terraform") in lines[0]
    assert any(line.startswith("aws provider ") and "MISSING" not in line for line in lines)


def test_doctor_says_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATATEST_TERRAFORM", str(tmp_path / "absent"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("STRATATEST_PROVIDER_MIRROR", str(tmp_path))
    lines, ok = doctor()
    assert not ok
    assert lines[0].startswith("terraform   MISSING — install Terraform")
    assert lines[1].startswith("aws provider MISSING — the hashicorp/aws provider is not in")
