"""Targets: where Terraform applies and boto3 reads back. Select one with `--target NAME`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stratatest.errors import ConfigError
from stratatest.targets.base import ProviderSettings, Target

__all__ = ["TARGET_NAMES", "ProviderSettings", "Target", "make_target"]

TARGET_NAMES = ("moto",)


def make_target(name: str, *, workdir: Path, region: str = "us-east-1", **options: Any) -> Target:
    """Build (not start) the named target; unknown names are a clear error.

    moto options: `port` (HTTPS port to use), `endpoint` + `ca_bundle` (attach to a running server).
    """
    if name == "moto":
        from stratatest.targets.moto import MotoTarget

        given = {k: v for k, v in options.items() if v is not None}
        return MotoTarget(region=region, workdir=workdir, **given)
    raise ConfigError(f"unknown target {name!r}", hint=f"choose one of: {', '.join(TARGET_NAMES)}")
