"""The upgrade path and the rollback: the previous release applied, HEAD planned and applied on its state, then the
previous release applied again on HEAD's state.

A module's next release must not destroy what the running one holds: a plan that deletes or replaces a state
bucket, a database or a key loses the data in it, however green every other test is. So the previous release
(a git ref: a tag, or the merge base of a pull request) is exported as committed, applied into the target with
the harness (same run id, same guaranteed destroy), and HEAD (the module as it is in the working tree) is planned
on that very state. Every stateful resource that plan would delete or replace is a finding, named with its address,
its type and the attributes that force the replacement. HEAD is then applied, and the previous release is planned,
judged the same way and applied on HEAD's state: the rollback must apply and converge (a second plan is empty).

What is stateful is one table, STATEFUL: the resource types whose destruction loses data or an identity others hold
(each with what is lost). Left out on purpose: node groups and cluster instances (capacity: a replacement is a
rolling change, the data lives in the cluster or the database), aliases, policies and other configuration (made
again identically), and networks (whatever lives in them is planned too, and found there). A repository extends
the table by overriding the `stateful_types` fixture, or per call with `stateful=`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stratatest import git
from stratatest.errors import ConfigError, NotAssessable, StratatestError, TerraformFailed
from stratatest.paths import display_path
from stratatest.shared import once_per_run
from stratatest.targets.services import services_for
from stratatest.terraform.harness import Harness
from stratatest.terraform.plan import Plan
from stratatest.terraform.stack import Stack
from stratatest.terraform.workdir import configuration_files

#: Resource types whose deletion loses something a re-created resource does not bring back: what is lost.
STATEFUL: dict[str, str] = {
    "aws_s3_bucket": "its objects (Terraform state, audit logs)",
    "aws_dynamodb_table": "its items (the state locks)",
    "aws_kms_key": "everything encrypted under it, unreadable once it is deleted",
    "aws_db_instance": "the database",
    "aws_rds_cluster": "the database",
    "aws_eks_cluster": "the cluster and every workload on it",
    "aws_cloudwatch_log_group": "its log history",
    "aws_ecr_repository": "its images",
    "aws_efs_file_system": "its files",
    "aws_ebs_volume": "its data",
    "aws_elasticache_replication_group": "its data",
    "aws_opensearch_domain": "its indices",
    "aws_secretsmanager_secret": "the secret's value",
    "aws_sqs_queue": "the messages in it",
    "aws_backup_vault": "its recovery points",
    "aws_route53_zone": "its records and name servers (the parent's delegation breaks)",
    "aws_guardduty_detector": "its findings",
}
STATEFUL_TYPES = frozenset(STATEFUL)

#: Why terraform deletes a resource (`action_reason` in the plan JSON), in words.
_REASONS = {
    "replace_because_tainted": "it is tainted",
    "replace_by_request": "-replace asked for it",
    "replace_by_triggers": "its replace_triggered_by changed",
    "delete_because_no_resource_config": "its block is gone from the configuration (a rename needs a moved block)",
    "delete_because_no_module": "its module call is gone from the configuration",
    "delete_because_wrong_repetition": "its block changed between count, for_each and neither",
    "delete_because_count_index": "its index is beyond the new count",
    "delete_because_each_key": "its key is gone from for_each",
    "delete_because_no_move_target": "the moved block's target is not in the configuration",
}


def _attribute_path(steps: list[Any]) -> str:
    """`["rule", 0, "kms_key"]` → `rule[0].kms_key` (a map key reads as an attribute: `tags.Name`)."""
    text = ""
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else f".{step}" if text else str(step)
    return text


@dataclass(frozen=True)
class Loss:
    """A stateful resource a plan would destroy: deleted, or replaced (deleted and created, in either order)."""

    address: str
    type: str
    actions: tuple[str, ...]
    replace_paths: tuple[str, ...]  # the attributes forcing the replacement, as terraform reports them
    reason: str  # terraform's action_reason ("" when it gives none)

    @property
    def replaced(self) -> bool:
        return "create" in self.actions

    def __str__(self) -> str:
        if self.replaced and self.replace_paths:
            why = f"{', '.join(self.replace_paths)} cannot change in place"
        else:
            why = _REASONS.get(self.reason, self.reason or "the plan deletes it")
        verb = "replaced" if self.replaced else "destroyed"
        return f"{self.address} ({self.type}) would be {verb}: {why}; lost: {STATEFUL.get(self.type, 'its state')}"


def losses(plan: Plan, stateful: Collection[str] = STATEFUL_TYPES) -> list[Loss]:
    """Every stateful resource `plan` deletes or replaces, by address."""
    found = []
    for change in plan.raw.get("resource_changes", []):
        actions = tuple(change.get("change", {}).get("actions", ()))
        if change.get("mode", "managed") == "managed" and change["type"] in stateful and "delete" in actions:
            paths = tuple(_attribute_path(p) for p in change["change"].get("replace_paths") or ())
            found.append(Loss(change["address"], change["type"], actions, paths, change.get("action_reason", "")))
    return sorted(found, key=lambda loss: loss.address)


def rollback_losses(
    upgrade: Plan | None, rollback: Plan | None, stateful: Collection[str] = STATEFUL_TYPES
) -> list[Loss]:
    """The stateful resources the rollback destroys or replaces that the release had. What the upgrade created goes
    with the rollback by design; what it only moved (a `moved` block the release lacks) was the release's."""
    if rollback is None:
        return []
    added = {r.address for r in upgrade.managed if r.actions == ("create",)} if upgrade is not None else set()
    return [loss for loss in losses(rollback, stateful) if loss.address not in added]


def previous_module(harness: Harness, module: Path, release: str) -> tuple[Path, str]:
    """`module`'s folder in the tree of `release` (exported as committed, once per run, into the run's shared folder)
    and the commit `release` names.

    The top folder holding the module is exported, so its relative module sources resolve inside the release. A
    module the release did not have has no upgrade path: NotAssessable, checked after HEAD's own path, so a typo is
    still one ConfigError line.
    """
    configuration_files(module)
    root = git.toplevel(module)
    commit = git.resolve(root, release)
    relative = module.resolve().relative_to(root.resolve())
    top = relative.parts[:1]
    dest = harness.shared_dir / "releases" / commit
    once_per_run(
        dest.with_name(f"{commit}.{top[0] if top else 'all'}.exported"), lambda: _export(root, commit, dest, top)
    )
    previous = dest / relative
    try:
        configuration_files(previous)
    except ConfigError:
        raise NotAssessable(
            f"{relative} did not exist in {release} ({commit[:12]}): a module new since then has no upgrade path"
        ) from None
    return previous, commit


def _export(root: Path, commit: str, dest: Path, paths: tuple[str, ...]) -> str:
    """Export for `once_per_run`, which keeps the text returned: the commit exported."""
    git.export(root, commit, dest, paths)
    return commit


@dataclass(frozen=True)
class Step:
    """One move of the stack to another tree: the plan made there (None: terraform saw nothing to change, or could not
    plan) and the error that stopped the plan or its apply (None: applied, or nothing to apply)."""

    plan: Plan | None
    error: str | None


class UpgradePath:
    """One module's upgrade from a release to HEAD and its rollback, applied into the harness's target.

    `stack` is registered live from the release's apply until destroyed: whoever runs the path destroys it
    (`destroy()`, or `with`), whatever happens; an interrupt during an apply destroys at once, as for any stack.
    """

    def __init__(
        self,
        harness: Harness,
        module: Path,
        release: str,
        variables: dict[str, Any] | None = None,
        *,
        previous_variables: dict[str, Any] | None = None,
        backend: dict[str, Any] | None = None,
        stateful: Collection[str] = STATEFUL_TYPES,
    ) -> None:
        self.module = module
        self.release = release
        self.variables = variables or {}
        self.previous_variables = self.variables if previous_variables is None else previous_variables
        self.stateful = frozenset(stateful)
        self.previous, self.commit = previous_module(harness, module, release)
        harness.tfvars(module, self.variables)  # both trees' variables are checked before minutes of apply
        try:
            harness.tfvars(self.previous, self.previous_variables)
        except ConfigError as err:
            raise ConfigError(
                f"the previous release of {display_path(self.module)}, {self.version}: {err.message}",
                hint="give the release its own variables with previous_variables= when they differ from HEAD's",
            ) from None
        self.stack = Stack(harness, self.previous, self.previous_variables, backend=backend)

    @property
    def version(self) -> str:
        """The release as messages name it: `v0.1.0 (361d214de7a4)`."""
        return f"{self.release} ({self.commit[:12]})"

    def run(self) -> Upgrade:
        """Apply the release, plan and apply HEAD on its state, then plan and apply the release on HEAD's state and
        plan it once more. A failed upgrade or rollback is a finding of the result (the rollback is still tried: a
        failed upgrade is when one is needed); a release that does not apply leaves nothing to test and raises."""
        try:
            self.stack.apply()
        except TerraformFailed as err:
            raise StratatestError(
                f"the previous release of {display_path(self.module)}, {self.version}, did not apply, so no upgrade "
                f"path can be tested: {err}",
                hint="name a release that applies on this target (--previous-release REF)",
            ) from None
        upgrade = self._step(self.module, self.variables, "upgrade")
        rollback = self._step(self.previous, self.previous_variables, "rollback")
        applied = rollback.error is None and rollback.plan is not None  # else the plan just made is the state's
        again = self.stack.workspace.pending_changes() if applied else None
        return Upgrade(self, upgrade, rollback, again)

    def _step(self, module: Path, variables: dict[str, Any], what: str) -> Step:
        """Move the stack to `module`'s tree, plan, and apply exactly that plan (when it changes anything).

        HEAD's plan is checked against what the target serves, as the release's was before its apply: a service
        HEAD adds that the target lacks makes the path not assessable there, never a failed upgrade."""
        plan = None
        try:
            self.stack.move_to(module, variables)
            plan = self.stack.workspace.pending_changes()
            target = self.stack.harness.target
            reason = target.unsupported(services_for(plan.resource_types)) if plan is not None else None
            if reason:
                raise NotAssessable(f"{display_path(self.module)} at HEAD: {reason}")
            if plan is not None:
                self.stack.apply_planned(what)
        except TerraformFailed as err:
            return Step(plan, str(err))
        return Step(plan, None)

    def destroy(self) -> None:
        self.stack.destroy()

    def __enter__(self) -> UpgradePath:
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()


@dataclass(frozen=True)
class Upgrade:
    """What the upgrade path found; `assert_keeps_state()` and `assert_rolls_back()` fail naming each problem."""

    path: UpgradePath
    upgrade: Step
    rollback: Step
    after_rollback: Plan | None  # a second plan of the release after the rollback, when terraform saw changes

    @property
    def stack(self) -> Stack:
        """The stack, now holding the release again (read back its outputs, or what the target holds)."""
        return self.path.stack

    @property
    def losses(self) -> list[Loss]:
        """The stateful resources the upgrade to HEAD destroys or replaces."""
        return losses(self.upgrade.plan, self.path.stateful) if self.upgrade.plan is not None else []

    @property
    def rollback_losses(self) -> list[Loss]:
        """The release's own stateful resources the rollback destroys or replaces (`rollback_losses`)."""
        return rollback_losses(self.upgrade.plan, self.rollback.plan, self.path.stateful)

    def assert_keeps_state(self) -> None:
        """HEAD applies on the release's state and destroys none of its stateful resources."""
        problems = [f"HEAD did not apply on the release's state: {self.upgrade.error}"] if self.upgrade.error else []
        problems += [str(loss) for loss in self.losses]
        what = f"upgrading {display_path(self.path.module)} from {self.path.version} to HEAD"
        assert not problems, _story(what, problems)

    def assert_rolls_back(self) -> None:
        """The release applies on HEAD's state, destroys none of its own stateful resources, and converges."""
        release = self.path.release
        problems = [f"{release} did not apply on HEAD's state: {self.rollback.error}"] if self.rollback.error else []
        problems += [str(loss) for loss in self.rollback_losses]
        if self.after_rollback is not None and not self.after_rollback.is_empty:
            problems.append(
                f"{release} did not converge: a second plan wants {len(self.after_rollback.changes)} change(s):\n"
                + self.after_rollback.diff_text()
            )
        what = f"rolling {display_path(self.path.module)} back from HEAD to {self.path.version}"
        assert not problems, _story(what, problems)


def _story(what: str, problems: list[str]) -> str:
    return f"{what}: {len(problems)} problem(s)\n" + "\n".join(f"  - {p}" for p in problems)
