"""The harness: working copies bound to a target, plans shared across tests, stacks that always destroy.

One Harness per pytest process. Plans are cached in memory and on disk under the run's shared folder (with
a file lock), so under pytest-xdist a (module, variables) pair is planned once per run, not once per worker.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock

from stratatest.errors import TerraformFailed
from stratatest.report.redact import redact
from stratatest.targets.base import Target
from stratatest.terraform import workdir as wd
from stratatest.terraform.plan import Plan
from stratatest.terraform.provider import endpoint_names, render_provider, render_s3_backend, write_provider
from stratatest.terraform.runner import Terraform, Watchdog, error_lines
from stratatest.toolchain import Toolchain

VARS_FILE = "stratatest.auto.tfvars.json"
#: How terraform names a variable whose validation failed: `var.bucket_name is "Bad_Name"`.
_REJECTED_VARIABLE = re.compile(r"\bvar\.([A-Za-z_][A-Za-z0-9_-]*) is\b")
BACKEND_FILE = "stratatest.s3.tfbackend"


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


@dataclass
class Workspace:
    """A working copy, initialised, with its terraform runner."""

    copy: wd.WorkingCopy
    tf: Terraform

    @property
    def path(self) -> Path:
        return self.copy.path

    def _plan_file(self) -> bool:
        """Plan into a file inside the working copy; True when terraform reports changes."""
        args = ("-input=false", "-no-color", "-out=stratatest.tfplan", "-detailed-exitcode")
        return self.tf.execute_command("plan", *args).retcode == 2

    def _show(self) -> Plan:
        return Plan.from_json(self.tf.execute_command("show", "-json", "-no-color", "stratatest.tfplan").out)

    def plan(self) -> Plan:
        """`terraform plan` then `show -json`."""
        self._plan_file()
        return self._show()

    def pending_changes(self) -> Plan | None:
        """The plan when terraform reports changes, else None without `show` (one provider start-up, ≈ 2 s)."""
        return self._show() if self._plan_file() else None

    def remove(self) -> None:
        self.copy.remove()


def make_terraform(
    toolchain: Toolchain, path: Path, env: dict[str, str] | None = None, watchdog: Watchdog | None = None
) -> Terraform:
    return Terraform(
        path,
        binary=toolchain.terraform.path or "terraform",
        env=toolchain.env() | (env or {}),
        watchdog=watchdog,
    )


def init(tf: Terraform, copy: wd.WorkingCopy, *args: str) -> None:
    """`terraform init` from the shared plugin cache.

    No lock file is given to a cold init: with one, terraform re-hashes the cached provider (a 675 MB read,
    ~1.3 s) to verify it. The lock file this init writes is then shared by every later copy of the content.
    """
    tf.execute_command("init", "-input=false", "-no-color", *args)


def init_cached(tf: Terraform, copy: wd.WorkingCopy) -> None:
    """Init without a backend, once per module content: later copies reuse the cached `.terraform`."""
    with wd.init_lock(copy.content_hash):
        if not wd.seed_from_cache(copy):
            init(tf, copy, "-backend=false")
            wd.store_in_cache(copy)


def static_workspace(toolchain: Toolchain, module: Path, dest: Path) -> Workspace:
    """An initialised copy with no target and no provider settings: for validate and other static checks."""
    copy = wd.copy_module(module, dest)
    tf = make_terraform(toolchain, copy.path)
    init_cached(tf, copy)
    return Workspace(copy, tf)


class Harness:
    """Creates workspaces for modules against one target and caches plans for the run."""

    def __init__(self, toolchain: Toolchain, target: Target, run_id: str, shared_dir: Path) -> None:
        self.toolchain = toolchain
        self.target = target
        self.run_id = run_id
        self.shared_dir = shared_dir
        self.scratch = Path(tempfile.mkdtemp(prefix="wc-", dir=shared_dir))
        self._plans: dict[str, Plan] = {}

    def terraform(self, path: Path) -> Terraform:
        return make_terraform(self.toolchain, path, self.target.env(), self.target.failure_watch())

    def workspace(
        self,
        module: Path,
        variables: dict[str, Any] | None = None,
        *,
        backend: dict[str, Any] | None = None,
    ) -> Workspace:
        """A fresh initialised copy of `module` pointed at the target, with `variables` in a tfvars file."""
        copy = wd.copy_module(module, Path(tempfile.mkdtemp(prefix="m-", dir=self.scratch)))
        tf = self.terraform(copy.path)
        settings = self.target.provider_settings()
        if backend is not None:
            copy.write(BACKEND_FILE, render_s3_backend(settings, backend))
            init(tf, copy, f"-backend-config={BACKEND_FILE}")
        else:
            init_cached(tf, copy)
        endpoints = endpoint_names(tf, copy.path / wd.LOCK_FILE)
        write_provider(copy.path, module, render_provider(settings, endpoints, self.run_id, tags=True))
        copy.write(VARS_FILE, json.dumps(variables or {}, indent=2))
        return Workspace(copy, tf)

    def plan(self, module: Path, variables: dict[str, Any] | None = None) -> Plan:
        """The plan of `module` with `variables`, computed once per run and shared by every caller."""
        key = _key(wd.content_hash(module), variables or {}, self.target.name, self.run_id)
        if key in self._plans:
            return self._plans[key]
        cached = self.shared_dir / "plans" / f"{key}.json"
        cached.parent.mkdir(exist_ok=True)
        with FileLock(str(cached) + ".lock"):
            if cached.exists():
                plan = Plan.from_json(cached.read_text())
            else:
                ws = self.workspace(module, variables)
                try:
                    plan = ws.plan()
                finally:
                    ws.remove()
                cached.write_text(json.dumps(plan.raw))
        self._plans[key] = plan
        return plan

    def rejected_variables(self, module: Path, variables: dict[str, Any]) -> set[str]:
        """Plan with `variables`; return the names of the variables terraform's validation rejected.

        Terraform reports every failed validation of a plan at once, so one plan checks many bad inputs. A plan
        that fails for another reason raises TerraformFailed with terraform's error.
        """
        ws = self.workspace(module, variables)
        try:
            result = ws.tf.run_raw("plan", "-input=false", "-no-color", "-refresh=false")
        finally:
            ws.remove()
        rejected = set(_REJECTED_VARIABLE.findall(result.err))
        if result.retcode != 0 and not rejected:
            raise TerraformFailed(f"terraform plan failed in {module}: {redact(error_lines(result.err))}")
        return rejected

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)
