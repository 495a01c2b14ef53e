"""Generate the aws provider blocks (and S3 backend settings) that point a working copy at a target.

A target's endpoint reaches every service through terraform's environment (`AWS_ENDPOINT_URL`), so a module
that adds a service never silently talks to real AWS. Every aws provider
configuration of a module is pointed at the target, the default one and each alias (which keeps its own
region), so no resource of a run escapes the target or the run-id tag.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stratatest.errors import ConfigError
from stratatest.targets.base import ProviderSettings, Target
from stratatest.targets.spec import REGION
from stratatest.terraform import hcl
from stratatest.terraform.variables import declarations

RUN_ID_TAG = "stratatest:run-id"
#: The variable a root module with its own provider declares to carry the run id into its default_tags.
RUN_ID_VARIABLE = "run_id"
_AWS_PROVIDER = re.compile(r'^\s*provider\s+"aws"\s*\{', re.MULTILINE)
_BACKEND = re.compile(r'^\s*backend\s+"[a-z0-9_]+"\s*\{', re.MULTILINE)
#: Replaces a root module's remote backend when a test gives no backend settings (plans, throwaway applies).
LOCAL_BACKEND_OVERRIDE = 'terraform {\n  backend "local" {}\n}\n'
#: The variable (a map) a root module with its own provider declares for a target's further tags.
RUN_TAGS_VARIABLE = "run_tags"
_USES_RUN_ID = re.compile(rf"\bvar\.{RUN_ID_VARIABLE}\b")
_USES_RUN_TAGS = re.compile(rf"\bvar\.{RUN_TAGS_VARIABLE}\b")
#: Services the S3 backend calls (bucket, lock table, identity).
BACKEND_ENDPOINTS = ("s3", "dynamodb", "sts", "iam")


def hcl_value(value: Any) -> str:
    """A Python value as an HCL literal (JSON syntax is valid HCL for strings, numbers, bools, lists)."""
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(str(k))} = {hcl_value(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    return json.dumps(value)


@dataclass(frozen=True)
class ProviderBlock:
    """One `provider "aws"` block a module writes: its alias (None: the default configuration), its literal
    region (None: none given), and its own default_tags as written (None: none)."""

    alias: str | None
    region: str | None
    own_tags: str | None

    @property
    def address(self) -> str:
        return f"aws.{self.alias}" if self.alias else "aws"


def provider_blocks(module: Path) -> list[ProviderBlock]:
    """The module's own `provider "aws"` blocks, read with an HCL parser from the files that have any."""
    blocks: list[ProviderBlock] = []
    for path in sorted(module.glob("*.tf")):
        text = path.read_text()
        if not _AWS_PROVIDER.search(text):
            continue
        try:
            parsed = hcl.parse(text)
        except hcl.ParseError as err:
            raise ConfigError(
                f'{path}: cannot read its provider "aws" blocks ({str(err).splitlines()[0]})',
                hint="check the file with terraform validate",
            ) from None
        blocks += [_block(path, entry["aws"]) for entry in parsed.get("provider", []) if "aws" in entry]
    return blocks


def _block(path: Path, body: dict[str, Any]) -> ProviderBlock:
    alias = hcl.first(body.get("alias"))
    region = hcl.first(body.get("region"))
    tags = body.get("default_tags")
    block = ProviderBlock(alias, None, str(tags) if tags else None)
    if alias is None or region is None:
        return block  # the default configuration's region is the target's
    if not isinstance(region, str) or "${" in region:
        raise ConfigError(
            f"{path}: provider {block.address} takes its region from an expression ({region}): a run must know every "
            "region it creates resources in, to find what it leaves there",
            hint='write the region as a literal, e.g. region = "us-west-2"',
        )
    if not REGION.match(region):
        raise ConfigError(f"{path}: provider {block.address} has region {region!r}, not a region name (e.g. us-west-2)")
    return ProviderBlock(alias, region, block.own_tags)


def declares_backend(module: Path) -> bool:
    """Root modules such as the environments name a remote backend (partial configuration)."""
    return any(_BACKEND.search(p.read_text()) for p in module.glob("*.tf"))


def run_id_variables(module: Path, run_id: str, run_tags: dict[str, str] | None = None) -> dict[str, Any]:
    """Variables that carry the run's tags into a module whose provider blocks have default_tags of their own.

    Every other provider configuration gets the run's tags generated into its `default_tags`, whether the module
    writes the block (the override adds the nested block it lacks) or not: nothing to edit. An override replaces
    a nested block whole, though, so a generated `default_tags` would wipe a block's own (environment, owner, ...):
    such a block must merge `var.run_id` (and, on a target that tags more, `var.run_tags`) itself, and is refused
    with the exact lines to add otherwise. A module that declares those variables is given them.
    """
    names = declarations(module).names
    declared = {RUN_ID_VARIABLE: RUN_ID_VARIABLE in names, RUN_TAGS_VARIABLE: RUN_TAGS_VARIABLE in names}
    for block in provider_blocks(module):
        _check_merges_run_tags(module, block, bool(run_tags), declared)
    values: dict[str, Any] = {RUN_ID_VARIABLE: run_id} if declared[RUN_ID_VARIABLE] else {}
    if run_tags and declared[RUN_TAGS_VARIABLE]:
        values[RUN_TAGS_VARIABLE] = dict(run_tags)
    return values


def _check_merges_run_tags(module: Path, block: ProviderBlock, with_run_tags: bool, declared: dict[str, bool]) -> None:
    """A block's own default_tags are kept whole: they must merge the run's variables themselves."""
    if not block.own_tags:
        return
    needed = [RUN_ID_VARIABLE, RUN_TAGS_VARIABLE] if with_run_tags else [RUN_ID_VARIABLE]
    uses = {RUN_ID_VARIABLE: _USES_RUN_ID, RUN_TAGS_VARIABLE: _USES_RUN_TAGS}
    missing = [name for name in needed if not declared[name] or not uses[name].search(block.own_tags)]
    if not missing:
        return
    add = [f'variable "{RUN_ID_VARIABLE}" {{ type = string, default = null }}'] if not declared[RUN_ID_VARIABLE] else []
    if RUN_TAGS_VARIABLE in missing and not declared[RUN_TAGS_VARIABLE]:
        add.append(f'variable "{RUN_TAGS_VARIABLE}" {{ type = map(string), default = {{}} }}')
    merge = [f'var.{RUN_ID_VARIABLE} == null ? {{}} : {{ "{RUN_ID_TAG}" = var.{RUN_ID_VARIABLE} }}']
    if with_run_tags:
        merge.append(f"var.{RUN_TAGS_VARIABLE}")
    raise ConfigError(
        f"{module}: provider {block.address} has default_tags of its own, which an override would replace whole, "
        "so the run's tags cannot be added for it and its resources could leak unnoticed",
        hint=", then ".join(
            ([f"add {' and '.join(add)} to the module"] if add else [])
            + [f"write tags = merge(<its tags>, {', '.join(merge)}) in that block's default_tags"]
        ),
    )


def render_provider(
    settings: ProviderSettings,
    tags: dict[str, str] | None,
    *,
    alias: str | None = None,
    region: str | None = None,
) -> str:
    """One provider block: target settings and the run's tags (run id first) as default tags; `alias` and its own
    `region` for an aliased configuration.

    No `endpoints` block: a target's endpoint reaches every service through `AWS_ENDPOINT_URL` in terraform's
    environment (`terraform_env`), which the provider reads for each service it calls. Listing the provider's 300-odd
    endpoint settings instead cost about 2 s on every plan, apply and destroy.
    """
    lines = ['provider "aws" {']
    if alias:
        lines.append(f"  alias = {hcl_value(alias)}")
    lines.append(f"  region = {hcl_value(region or settings.region)}")
    lines += [f"  {k} = {hcl_value(v)}" for k, v in sorted(settings.attributes.items())]
    if tags:
        lines += ["  default_tags {", f"    tags = {hcl_value(tags)}", "  }"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_providers(module: Path, settings: ProviderSettings, tags: dict[str, str]) -> tuple[str, list[str]]:
    """Every aws provider configuration of `module` pointed at the target, and the regions they use.

    The default configuration and each alias (keeping its own region; the target's when it names none). A
    block with default_tags of its own keeps them (an override would replace them whole; `run_id_variables`
    checks they merge the run's tags); every other block gets `tags`.
    """
    blocks = provider_blocks(module)
    if not any(block.alias is None for block in blocks):
        blocks.insert(0, ProviderBlock(None, None, None))
    texts = [
        render_provider(settings, None if block.own_tags else tags, alias=block.alias, region=block.region)
        for block in blocks
    ]
    regions = sorted({block.region or settings.region for block in blocks})
    return "\n".join(texts), regions


def terraform_env(target: Target) -> dict[str, str]:
    """Terraform's environment for `target`: its credentials and region, and `AWS_ENDPOINT_URL` for a target with an
    endpoint, which points every service of the provider (and of the SDK it is built on) there.

    The service-specific `AWS_ENDPOINT_URL_<SERVICE>` variables would win over it; terraform's environment never
    carries the user's (the runner drops every inherited AWS_* variable).
    """
    endpoint = target.provider_settings().endpoint_url
    return target.env() | ({"AWS_ENDPOINT_URL": endpoint} if endpoint else {})


def write_provider(workdir: Path, module: Path, text: str) -> Path:
    """A module with provider blocks of its own gets `_override.tf` (merged into them by provider name and
    alias: an alias can only be overridden, never declared twice); other modules get a provider file."""
    name = "stratatest_override.tf" if provider_blocks(module) else "stratatest_provider.tf"
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
