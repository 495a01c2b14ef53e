"""The harness: working copies bound to a target, plans shared across tests, stacks that always destroy.

One Harness per pytest process. Plans are cached in memory and on disk under the run's shared folder (with
a file lock), so under pytest-xdist a (module, variables) pair is planned once per run, not once per worker,
and shown (`show -json`) at most once per run: by the first process that reads the plan, never when none does.
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
    render_providers,
    render_s3_backend,
    run_id_variables,
    terraform_env,
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
PLAN_FILE = "stratatest.tfplan"


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


def _show_json(tf: Terraform) -> str:
    """`show -json` of the copy's plan file: it starts the provider only to print the plan (≈ 2 s)."""
    return tf.execute_command("show", "-json", "-no-color", PLAN_FILE).out


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
        args = ("-input=false", "-no-color", f"-out={PLAN_FILE}", "-detailed-exitcode")
        return self.tf.execute_command("plan", *args).retcode == 2

    def plan(self) -> Plan:
        """`terraform plan` then `show -json`."""
        self._plan_file()
        return Plan.from_json(_show_json(self.tf))

    def pending_changes(self) -> Plan | None:
        """The plan when terraform reports changes, else None without `show` (one provider start-up, ≈ 2 s)."""
        return Plan.from_json(_show_json(self.tf)) if self._plan_file() else None

    def remove(self) -> None:
        self.copy.remove()


def make_terraform(
    toolchain: Toolchain,
    path: Path,
    env: dict[str, str] | None = None,
    watchdog: Watchdog | None = None,
    module: Path | None = None,
) -> Terraform:
    """A runner in the copy at `path`; its messages name `module` (what the copy was made from) when given."""
    return Terraform(
        path,
        binary=toolchain.terraform.path or "terraform",
        env=toolchain.env() | (env or {}),
        watchdog=watchdog,
        label=display_path(module) if module is not None else None,
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
    tf = make_terraform(toolchain, copy.path, module=module)
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

    def terraform(self, path: Path, module: Path | None = None) -> Terraform:
        return make_terraform(
            self.toolchain, path, terraform_env(self.target), self.target.failure_watch(), module=module
        )

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
        try:
            if keep:
                relative = str(copy.path.relative_to(copy.root))
                runs.mark_stack(copy.root, {"module": str(module), "relative_path": relative, "pid": os.getpid()})
            tf = self.terraform(copy.path, module)
            self._prepare(tf, copy, module, backend)
            _write_tfvars(copy, values)
        except BaseException:  # nothing was applied from this copy yet: a failed init must not be kept as state
            copy.remove()
            if keep:
                runs.forget_if_empty(self.run_id)
            raise
        return Workspace(copy, tf)

    def _prepare(self, tf: Terraform, copy: wd.WorkingCopy, module: Path, backend: dict[str, Any] | None) -> None:
        """Init the copy (its backend, or none) and point its providers at the target."""
        if backend is not None:
            copy.write(BACKEND_FILE, render_s3_backend(self.target.provider_settings(), backend))
            init(tf, copy, f"-backend-config={BACKEND_FILE}")
        elif declares_backend(module):
            copy.write(LOCAL_BACKEND_FILE, LOCAL_BACKEND_OVERRIDE)
            init_cached(tf, copy, local_backend=True)
        else:
            init_cached(tf, copy)
        self.point_at_target(copy.path, module)

    def point_at_target(self, path: Path, module: Path) -> None:
        """Write the copy's provider blocks for this harness's target: its settings and the run's tags, for the default
        configuration and each alias; remember their regions, where the leak check looks."""
        tags = {RUN_ID_TAG: self.run_id, **self.target.default_tags()}
        text, regions = render_providers(module, self.target.provider_settings(), tags)
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
        """The plan of `module` with `variables`, computed once per run and shared by every caller.

        `terraform plan` runs now (in the run's first process to ask), so its errors surface here; `show -json`
        runs when something first reads the plan, so a test that reads no planned value does not pay for it.
        """
        wd.configuration_files(module)  # a path that holds no module is one line, before it is hashed
        key = _key(wd.content_hash(module), variables or {}, self.target.name, self.run_id)
        if key in self._plans:  # checked, and its secrets registered, when this process first asked for it
            return self._plans[key]
        self.tfvars(module, variables)  # refused, and its secrets registered, in every process, cached on disk or not
        copy = self.shared_dir / "plans" / key
        where = once_per_run(copy.with_suffix(".planned"), lambda: self._plan_copy(module, variables, copy))
        plan = Plan(lambda: self._read(module, variables, copy, where))
        self._plans[key] = plan
        return plan

    def _plan_copy(self, module: Path, variables: dict[str, Any] | None, dest: Path) -> str:
        """Plan in a fresh working copy and move it to `dest`, out of this process's scratch, for whichever process
        reads the plan first; returns the module's folder inside the copy."""
        ws = self.workspace(module, variables)
        try:
            ws._plan_file()
            shutil.rmtree(dest, ignore_errors=True)  # what a process killed half-way through `_read` left
            os.replace(ws.copy.root, dest)
        finally:
            ws.remove()  # nothing left to remove once the copy has moved
        return str(ws.path.relative_to(ws.copy.root))

    def _read(self, module: Path, variables: dict[str, Any] | None, copy: Path, where: str) -> dict[str, Any]:
        """The plan's JSON, shown once per run in the planned copy (planned again if the copy is gone)."""

        def show() -> str:
            folder = copy / where
            if not (folder / PLAN_FILE).exists():
                folder = copy / self._plan_copy(module, variables, copy)
            text = _show_json(self.terraform(folder, module))
            shutil.rmtree(copy, ignore_errors=True)
            return text

        text = once_per_run(copy.with_suffix(".json"), show)
        raw = json.loads(text)
        register_plan_secrets(raw, variables or {})
        record_evidence(
            self.shared_dir,
            "plan",
            display_path(module),
            text,
            {"variables_sha256": sha256_text(json.dumps(variables or {}, sort_keys=True, default=str))},
        )
        return raw

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
