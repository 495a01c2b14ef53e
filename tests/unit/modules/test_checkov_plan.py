"""Plan layer: Checkov's terraform_plan framework on each environment's plan, read against the catalogue.

Checkov's HCL scan (test_checkov.py) leaves out a check whose value it cannot resolve, such as an environment's
`database.multi_az`, which reaches the RDS module through the platform's object variable. The plan holds every
value the environment sets, so each control mapped to Checkov's AWS checks is judged again here, per
environment, on the plans test_envs_plan.py asserts (the environment's defaults: computed once per run, shared).

Inline `#checkov:skip=<ID>:<reason>` comments live in the HCL, not in plan JSON. Checkov's
`--repo-root-for-plan-enrichment <root module>` maps each planned resource back to the HCL that declares it and
applies that resource's inline skips, with their reasons: a check skipped there is skipped on the plan too, on
the same resource address, and the scan saved for the results record says so itself. Failures an active waiver
covers are judged as the results record judges them.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import pytest

from stratatest.compliance.findings import unwaived
from stratatest.static.checkov import CheckResult, Outcome, Scan, control_params, scan_file

pytestmark = pytest.mark.plan

ROOT = Path(__file__).resolve().parents[3]
ENVS = ["dev", "staging", "prod"]
FRAMEWORK = "terraform_plan"
#: Checkov ids of its Terraform AWS checks (the plan framework runs the Terraform resource and graph checks).
TERRAFORM_CHECKS = ("CKV_AWS_", "CKV2_AWS_")
WAIVE = "fix it, waive it inline in the module with #checkov:skip=<ID>:<reason>, or add a waiver"
#: Checks an environment does not meet by design, not by deviation: Checkov is told not to run them there
#: (`--skip-check`), and a control they assess reports the reason as not assessed in that environment.
BY_DESIGN = {
    "dev": {
        "CKV_AWS_157": "dev runs one database instance by design: STRATA-RDS-002 applies to staging and prod",
        "CKV_AWS_293": "dev is disposable by design: no deletion protection (the platform refuses that in prod)",
    },
}


class PlanScan:
    """One environment's Checkov scan of its plan, made when a test first reads it: a control the environment
    skips by design is decided without it. `results` is the scan less the failures an active waiver covers."""

    def __init__(self, env: str, scan: Callable[[], tuple[Scan, list[CheckResult], str]]) -> None:
        self.env = env
        self._scan = scan

    @cached_property
    def _made(self) -> tuple[Scan, list[CheckResult], str]:
        return self._scan()

    @property
    def scan(self) -> Scan:
        return self._made[0]

    @property
    def results(self) -> list[CheckResult]:
        return self._made[1]

    @property
    def command(self) -> str:
        """What reproduces the scan by hand."""
        return self._made[2]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per catalogue control mapped to Checkov's Terraform AWS checks, per environment (the fixture)."""
    if "control_checks" in metafunc.fixturenames:
        metafunc.parametrize("control_checks", control_params(metafunc, TERRAFORM_CHECKS))


@pytest.fixture(scope="module", params=ENVS)
def plan_scan(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> PlanScan:
    """Checkov on the environment's plan, scanned once per run (per plan content) and shared by every worker.

    The plan JSON is written where pytest keeps its temporary files, so the command in a failure message can be
    run again after the suite has removed its own run folder. `plan_of` (and with it the target) is asked for only
    when a test reads the scan.
    """
    env = request.param

    def scan() -> tuple[Scan, list[CheckResult], str]:
        plan_of = request.getfixturevalue("plan_of")
        root_module = ROOT / "terraform" / "envs" / env
        plan_json = tmp_path_factory.mktemp(f"plan-{env}") / "plan.json"
        plan_json.write_text(json.dumps(plan_of(root_module).raw))
        found = scan_file(
            plan_json,
            [FRAMEWORK],
            name=f"terraform/envs/{env} (plan)",
            shared_dir=pytestconfig.stratatest_shared,  # type: ignore[attr-defined]
            extra_args=[
                "--repo-root-for-plan-enrichment",
                str(root_module),
                *(["--skip-check", ",".join(sorted(BY_DESIGN[env]))] if env in BY_DESIGN else []),
            ],
        )
        catalogue, waivers = pytestconfig.stratatest_catalogue, pytestconfig.stratatest_waivers  # type: ignore[attr-defined]
        argv = ["checkov", "-f", str(plan_json), "--framework", FRAMEWORK, "--skip-download", *found.extra_args]
        return found, unwaived(found.results, catalogue, waivers), shlex.join(argv)

    return PlanScan(env, scan)


def _lines(results: list[CheckResult]) -> str:
    return "\n".join(
        f"  {r.check_id} {r.resource} ({r.check_name}){f': {r.suppress_comment}' if r.suppress_comment else ''}"
        for r in sorted(results, key=lambda r: (r.check_id, r.resource))
    )


def test_checkov_read_every_planned_resource(plan_scan: PlanScan, plan_of) -> None:
    """A plan Checkov read only part of would pass the controls of what it left out (a scan of none is an error)."""
    planned = len(plan_of(ROOT / "terraform" / "envs" / plan_scan.env).managed)
    read = plan_scan.scan.resource_counts[FRAMEWORK]
    assert read == planned, (
        f"Checkov read {read} of the {planned} resources in {plan_scan.env}'s plan: {plan_scan.command}"
    )


def test_control(control_checks: tuple[str, ...], plan_scan: PlanScan) -> None:
    """Some check of the control ran on the environment's plan and none failed unless skipped inline or waived."""
    by_design = [BY_DESIGN.get(plan_scan.env, {}).get(c) for c in control_checks]
    designed = f"not assessed in {plan_scan.env}: {'; '.join(dict.fromkeys(r for r in by_design if r))}"
    if all(by_design):  # Checkov is told not to run any of them here: no need to plan and scan to know that
        pytest.skip(designed)
    ids = ", ".join(control_checks)
    results = [r for r in plan_scan.results if r.check_id in set(control_checks)]
    if not results:
        pytest.skip(
            designed
            if any(by_design)
            else f"not assessed on plan JSON: Checkov runs none of {ids} on {plan_scan.env}'s plan"
        )
    failed = [r for r in results if r.result is Outcome.FAILED]
    if failed:
        pytest.fail(
            f"{len(failed)} failed Checkov check(s) on the {plan_scan.env} plan — {WAIVE}:\n{_lines(failed)}\n"
            f"reproduce: {plan_scan.command}",
            pytrace=False,
        )
    if not any(r.result is Outcome.PASSED for r in results):
        pytest.skip(f"every result of {ids} on {plan_scan.env}'s plan is skipped inline:\n{_lines(results)}")
