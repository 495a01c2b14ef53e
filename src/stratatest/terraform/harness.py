"""The harness: working copies bound to a target, plans shared across tests, stacks that always destroy.

One Harness per pytest process. Plans are cached in memory and on disk under the run's shared folder (with
a file lock), so under pytest-xdist a (module, variables) pair is planned once per run, not once per worker.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stratatest import runs
from stratatest.compliance.evidence import record_evidence, sha256_text
from stratatest.errors import TerraformFailed
from stratatest.paths import display_path
from stratatest.secrets import redact, register_plan_secrets, register_secret
from stratatest.shared import once_per_run
from stratatest.targets.base import Target
from stratatest.targets.leftovers import remember_regions
from stratatest.terraform import workdir as wd
from stratatest.terraform.plan import Plan
from stratatest.terraform.provider import (
    LOCAL_BACKEND_OVERRIDE,
    RUN_ID_TAG,
    declares_backend,
    endpoint_names,
    render_providers,
    render_s3_backend,
    run_id_variables,
    write_provider,
)
from stratatest.terraform.runner import Terraform, Watchdog
from stratatest.terraform.variables import declarations
from stratatest.toolchain import Toolchain

VARS_FILE = "stratatest.auto.tfvars.json"
#: The variable a tfvars line sets: `  "bucket_name": ...` (VARS_FILE is written one variable per line).
_TFVARS_KEY = re.compile(r'^\s*"([A-Za-z_][A-Za-z0-9_-]*)"\s*:')
_VARIABLE_ROOT = re.compile(r"^var\.([A-Za-z_][A-Za-z0-9_-]*)")
BACKEND_FILE = "stratatest.s3.tfbackend"
LOCAL_BACKEND_FILE = "stratatest_backend_override.tf"


def _diagnostics(json_lines: str) -> list[dict[str, Any]]:
    """The diagnostics of a `-json` terraform run (one JSON message per line)."""
    found = []
    for line in json_lines.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("type") == "diagnostic":
            found.append(message.get("diagnostic") or {})
    return found


def _rejected_variables(diagnostic: dict[str, Any]) -> set[str]:
    """The variables a failed check is about.

    A failed variable validation names one: the tfvars line its range points at (not the `var.x` values
    listed under it, since a rule may read other variables too, e.g. `var.environment` in the database's
    rule). A failed precondition has no single culprit: every variable its condition reads.
    """
    summary = str(diagnostic.get("summary", ""))
    snippet = diagnostic.get("snippet") or {}
    if summary == "Invalid value for variable":
        if not str((diagnostic.get("range") or {}).get("filename", "")).endswith(VARS_FILE):
            return set()
        match = _TFVARS_KEY.match(snippet.get("code", ""))
        return {match.group(1)} if match else set()
    if summary.endswith("precondition failed"):
        return {m.group(1) for v in snippet.get("values", []) if (m := _VARIABLE_ROOT.match(v.get("traversal", "")))}
    return set()


def _write_tfvars(copy: wd.WorkingCopy, values: dict[str, Any]) -> None:
    copy.write(VARS_FILE, json.dumps(values, indent=2))


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


def init_cached(tf: Terraform, copy: wd.WorkingCopy, *, local_backend: bool = False) -> None:
    """Init once per module content: later copies reuse the cached `.terraform`.

    Without a backend by default; `local_backend` initialises the local backend that LOCAL_BACKEND_OVERRIDE
    puts in place of a root module's remote one (cached under its own key: the `.terraform` differs).
    """
    if local_backend:
        copy = replace(copy, content_hash=_key(copy.content_hash, "local-backend"))
    with wd.init_lock(copy.content_hash):
        if not wd.seed_from_cache(copy):
            args = () if local_backend else ("-backend=false",)
            init(tf, copy, *args)
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
        keep: bool = False,
    ) -> Workspace:
        """A fresh initialised copy of `module` pointed at the target, with `variables` in a tfvars file.

        `keep`: the copy will hold applied state, so it lives in the run's kept folder (`stratatest.runs`), not in
        the temp folder, until destroy succeeds: a run killed with SIGKILL can be finished from it.
        """
        values = self.tfvars(module, variables)  # bad input is refused before anything is copied or initialised
        if keep:
            runs.write_manifest(self.run_id, {"target": self.target.spec, "region": self.target.region})
            dest = runs.stack_folder(self.run_id, module)
        else:
            dest = Path(tempfile.mkdtemp(prefix="m-", dir=self.scratch))
        copy = wd.copy_module(module, dest)
        if keep:
            relative = str(copy.path.relative_to(copy.root))
            runs.mark_stack(copy.root, {"module": str(module), "relative_path": relative, "pid": os.getpid()})
        tf = self.terraform(copy.path)
        settings = self.target.provider_settings()
        if backend is not None:
            copy.write(BACKEND_FILE, render_s3_backend(settings, backend))
            init(tf, copy, f"-backend-config={BACKEND_FILE}")
        elif declares_backend(module):
            copy.write(LOCAL_BACKEND_FILE, LOCAL_BACKEND_OVERRIDE)
            init_cached(tf, copy, local_backend=True)
        else:
            init_cached(tf, copy)
        self.point_at_target(tf, copy.path, module)
        _write_tfvars(copy, values)
        return Workspace(copy, tf)

    def point_at_target(self, tf: Terraform, path: Path, module: Path) -> None:
        """Write the copy's provider blocks for this harness's target: its settings, every endpoint, the run's tags,
        for the default configuration and each alias; remember their regions, where the leak check looks."""
        endpoints = endpoint_names(tf, path / wd.LOCK_FILE)
        tags = {RUN_ID_TAG: self.run_id, **self.target.default_tags()}
        text, regions = render_providers(module, self.target.provider_settings(), endpoints, tags)
        for region in regions:  # an alias may reach a region a real account's allowlist does not allow
            self.target.allow_region(region)
        write_provider(path, module, text)
        remember_regions(self.target, self.shared_dir, regions)

    def write_variables(self, copy: wd.WorkingCopy, module: Path, variables: dict[str, Any] | None) -> None:
        """The copy's tfvars: `variables`, plus the run id for a root module that declares its own provider."""
        _write_tfvars(copy, self.tfvars(module, variables))

    def tfvars(self, module: Path, variables: dict[str, Any] | None) -> dict[str, Any]:
        """The values a copy of `module` is given, checked before terraform sees them.

        A name the module does not declare is refused (terraform would only warn, and the test would pass against
        the default). Values of sensitive or secret-named variables are registered for masking now: a failing
        validation prints `var.db_password is "..."` before any plan could say the value is secret.
        """
        declared = declarations(module)
        values = {**run_id_variables(module, self.run_id, self.target.default_tags()), **(variables or {})}
        register_secret(declared.secret_values(values))
        declared.refuse_undeclared(values)
        return values

    def plan(self, module: Path, variables: dict[str, Any] | None = None) -> Plan:
        """The plan of `module` with `variables`, computed once per run and shared by every caller."""
        wd.configuration_files(module)  # a path that holds no module is one line, before it is hashed
        key = _key(wd.content_hash(module), variables or {}, self.target.name, self.run_id)
        if key in self._plans:  # checked, and its secrets registered, when this process first asked for it
            return self._plans[key]
        self.tfvars(module, variables)  # refused, and its secrets registered, in every process, cached on disk or not
        cached = self.shared_dir / "plans" / f"{key}.json"
        text = once_per_run(cached, lambda: self._plan_text(module, variables))
        plan = Plan.from_json(text)
        register_plan_secrets(plan.raw, variables or {})
        record_evidence(
            self.shared_dir,
            "plan",
            display_path(module),
            text,
            {"variables_sha256": sha256_text(json.dumps(variables or {}, sort_keys=True, default=str))},
        )
        self._plans[key] = plan
        return plan

    def _plan_text(self, module: Path, variables: dict[str, Any] | None) -> str:
        ws = self.workspace(module, variables)
        try:
            return json.dumps(ws.plan().raw)
        finally:
            ws.remove()

    def rejected_variables(self, module: Path, variables: dict[str, Any]) -> set[str]:
        """Plan with `variables`; return the names of the variables terraform's validation rejected.

        Terraform reports every failed validation of a plan at once, so one plan checks many bad inputs. A plan
        that fails for another reason raises TerraformFailed with terraform's error.
        """
        ws = self.workspace(module, variables)
        try:
            result = ws.tf.run_raw("plan", "-input=false", "-no-color", "-refresh=false", "-json")
        finally:
            ws.remove()
        errors = [d for d in _diagnostics(result.out) if d.get("severity") == "error"]
        rejected = {name for d in errors for name in _rejected_variables(d)}
        if result.retcode != 0 and not rejected:
            summary = "; ".join(f"{d.get('summary')}: {d.get('detail', '')}".strip() for d in errors) or result.err
            raise TerraformFailed(f"terraform plan failed in {module}: {redact(summary)}")
        return rejected

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)
