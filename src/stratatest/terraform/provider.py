"""Generate the aws provider block (and S3 backend settings) that point a working copy at a target.

Every endpoint the provider knows is listed, read from the provider's own schema once per provider build
and cached, so a module that adds a service never silently talks to real AWS.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from filelock import FileLock

from stratatest.errors import ConfigError
from stratatest.targets.base import ProviderSettings
from stratatest.toolchain import cache_dir

RUN_ID_TAG = "stratatest:run-id"
#: The variable a root module with its own provider declares to carry the run id into its default_tags.
RUN_ID_VARIABLE = "run_id"
_OWN_PROVIDER = re.compile(r'^\s*provider\s+"aws"\s*\{', re.MULTILINE)
_BACKEND = re.compile(r'^\s*backend\s+"[a-z0-9_]+"\s*\{', re.MULTILINE)
#: Replaces a root module's remote backend when a test gives no backend settings (plans, throwaway applies).
LOCAL_BACKEND_OVERRIDE = 'terraform {\n  backend "local" {}\n}\n'
_RUN_ID_VARIABLE = re.compile(rf'^\s*variable\s+"{RUN_ID_VARIABLE}"\s*\{{', re.MULTILINE)
#: The variable (a map) a root module with its own provider declares for a target's further tags.
RUN_TAGS_VARIABLE = "run_tags"
_RUN_TAGS_VARIABLE = re.compile(rf'^\s*variable\s+"{RUN_TAGS_VARIABLE}"\s*\{{', re.MULTILINE)
#: Services the S3 backend calls (bucket, lock table, identity).
BACKEND_ENDPOINTS = ("s3", "dynamodb", "sts", "iam")


def hcl_value(value: Any) -> str:
    """A Python value as an HCL literal (JSON syntax is valid HCL for strings, numbers, bools, lists)."""
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(str(k))} = {hcl_value(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    return json.dumps(value)


def declares_aws_provider(module: Path) -> bool:
    """Root modules with their own `provider "aws"` get an override file; others a plain provider file."""
    return any(_OWN_PROVIDER.search(p.read_text()) for p in module.glob("*.tf"))


def declares_backend(module: Path) -> bool:
    """Root modules such as the environments name a remote backend (partial configuration)."""
    return any(_BACKEND.search(p.read_text()) for p in module.glob("*.tf"))


def run_id_variables(module: Path, run_id: str, run_tags: dict[str, str] | None = None) -> dict[str, Any]:
    """Variables that carry the run's tags into a root module that declares its own `provider "aws"`.

    An override file replaces nested blocks whole, so a generated `default_tags` would wipe the module's own
    (environment, owner, ...). Such a module must instead declare `variable "run_id"` and merge it into its
    default_tags; without it its resources would escape the leak check, so that is refused. A target that tags
    more than the run id (a real account: owner and expiry) needs `variable "run_tags"` (a map) as well.
    """
    if not declares_aws_provider(module):
        return {}
    texts = [p.read_text() for p in module.glob("*.tf")]
    if not any(_RUN_ID_VARIABLE.search(t) for t in texts):
        raise ConfigError(
            f'{module} declares its own provider "aws" but no variable "{RUN_ID_VARIABLE}": its resources '
            "would not carry the run id and could leak unnoticed",
            hint=f'declare variable "{RUN_ID_VARIABLE}" (default null) and merge '
            f'{{"{RUN_ID_TAG}" = var.{RUN_ID_VARIABLE}}} into the provider\'s default_tags when it is set',
        )
    if not run_tags:
        return {RUN_ID_VARIABLE: run_id}
    if not any(_RUN_TAGS_VARIABLE.search(t) for t in texts):
        raise ConfigError(
            f'{module} declares its own provider "aws" but no variable "{RUN_TAGS_VARIABLE}": on this target '
            f"every resource must also carry {', '.join(sorted(run_tags))}",
            hint=f'declare variable "{RUN_TAGS_VARIABLE}" (map(string), default {{}}) and merge it into the '
            "provider's default_tags",
        )
    return {RUN_ID_VARIABLE: run_id, RUN_TAGS_VARIABLE: dict(run_tags)}


def endpoint_names(terraform: Any, lock_file: Path) -> list[str]:
    """The provider's endpoint keys, from `terraform providers schema -json`, cached per lock file."""
    key = hashlib.sha256(lock_file.read_bytes()).hexdigest()[:16]
    cached = cache_dir() / f"aws-endpoints-{key}.json"
    with FileLock(str(cached) + ".lock"):
        if not cached.exists():
            schema = json.loads(terraform.execute_command("providers", "schema", "-json", "-no-color").out)
            aws = next(v for k, v in schema["provider_schemas"].items() if k.endswith("hashicorp/aws"))
            names = sorted(aws["provider"]["block"]["block_types"]["endpoints"]["block"]["attributes"])
            cached.write_text(json.dumps(names))
    return json.loads(cached.read_text())


def render_provider(settings: ProviderSettings, endpoints: list[str], tags: dict[str, str] | None) -> str:
    """The provider block: target settings, every endpoint, and the run's tags (run id first) as default tags."""
    lines = ['provider "aws" {', f"  region = {hcl_value(settings.region)}"]
    lines += [f"  {k} = {hcl_value(v)}" for k, v in sorted(settings.attributes.items())]
    if settings.endpoint_url:
        lines.append("  endpoints {")
        lines += [f"    {name} = {hcl_value(settings.endpoint_url)}" for name in endpoints]
        lines.append("  }")
    if tags:
        lines += ["  default_tags {", f"    tags = {hcl_value(tags)}", "  }"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_provider(workdir: Path, module: Path, text: str) -> Path:
    """Root modules with a provider block get `_override.tf` (merged); plain modules get a provider file."""
    name = "stratatest_override.tf" if declares_aws_provider(module) else "stratatest_provider.tf"
    target = workdir / name
    target.write_text(text)
    return target


def render_s3_backend(settings: ProviderSettings, config: dict[str, Any]) -> str:
    """A `.tfbackend` file for the S3 backend: the given bucket/key/table plus the target's settings."""
    values: dict[str, Any] = {"region": settings.region, **config}
    passthrough = (
        "access_key",
        "secret_key",
        "custom_ca_bundle",
        "skip_credentials_validation",
        "skip_requesting_account_id",
        "skip_metadata_api_check",
    )
    values.update({k: v for k, v in settings.attributes.items() if k in passthrough})
    if settings.endpoint_url:
        values["use_path_style"] = True
        values["endpoints"] = {name: settings.endpoint_url for name in BACKEND_ENDPOINTS}
    return "".join(f"{k} = {hcl_value(v)}\n" for k, v in values.items())
