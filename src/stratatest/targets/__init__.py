"""Targets: where Terraform applies and boto3 reads back. Chosen with `--target SPEC` (see `spec.py`).

Targets are registered by name and imported only when chosen, so a run on moto never imports LocalStack's
or AWS's code, and a target's dependencies stay its own.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from stratatest.errors import ConfigError
from stratatest.targets.base import ProviderSettings, Target
from stratatest.targets.spec import parse_spec

__all__ = ["REGISTRY", "ProviderSettings", "Target", "make_target", "target_class"]

#: name → "module:Class", loaded lazily.
REGISTRY: dict[str, str] = {
    "moto": "stratatest.targets.moto:MotoTarget",
    "localstack": "stratatest.targets.localstack:LocalStackTarget",
    "aws": "stratatest.targets.aws:AwsTarget",
}


def target_class(spec: str) -> type[Target]:
    """The class a spec names, without building it (its layer and options are class attributes)."""
    name, _ = parse_spec(spec)
    if name not in REGISTRY:
        raise ConfigError(f"unknown target {name!r}", hint=f"choose one of: {', '.join(REGISTRY)}")
    module, _, cls = REGISTRY[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def make_target(spec: str, *, workdir: Path, region: str = "us-east-1", run_id: str = "") -> Target:
    """Build (not start) the target a spec names; unknown names and options are one-line errors."""
    cls = target_class(spec)
    _, options = parse_spec(spec)
    unknown = sorted(set(options) - set(cls.OPTIONS))
    if unknown:
        known = ", ".join(f"{k} ({v})" for k, v in cls.OPTIONS.items()) or "none"
        raise ConfigError(f"target {cls.name!r} has no option {', '.join(unknown)}", hint=f"its options: {known}")
    target = cls.from_options(options, region=region, workdir=Path(workdir), run_id=run_id)
    target.spec = spec
    return target
