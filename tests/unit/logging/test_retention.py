"""STRATA-LOGS-003: Elasticsearch keeps container logs exactly as long as each environment's CloudWatch log groups.

The ILM policy of each environment (platform/logging/ilm-policy-<env>.json) is compared with the
`retention_in_days` of every `aws_cloudwatch_log_group` in that environment's terraform PLAN, the same plan
tests/unit/modules/test_envs_plan.py asks for (same module, no variables: computed once, shared). And the policy
must be the one the index template attaches to the data streams (`index.lifecycle.name`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from stratatest.logs import deployed_config
from stratatest.logs.elasticsearch import IndexTemplate, ilm_delete_after, time_value

pytestmark = pytest.mark.plan

ROOT = Path(__file__).resolve().parents[3]
TERRAFORM = ROOT / "terraform"
LOGGING = ROOT / "platform" / "logging"
ENVS = ["dev", "staging", "prod"]


def policy_file(env: str) -> Path:
    return LOGGING / f"ilm-policy-{env}.json"


@pytest.fixture(scope="module", params=ENVS)
def env(request: pytest.FixtureRequest, plan_of: Any) -> tuple[str, Any]:
    """(name, plan) of each environment with its defaults, exactly as test_envs_plan.py requests it."""
    return request.param, plan_of(TERRAFORM / "envs" / request.param)


@pytest.mark.control("STRATA-LOGS-003")
def test_ilm_delete_phase_equals_cloudwatch_retention(env: tuple[str, Any]) -> None:
    name, plan = env
    path = policy_file(name)
    delete_after = ilm_delete_after(json.loads(path.read_text()))
    assert delete_after is not None, f"{path.relative_to(ROOT)} has no delete phase: Elasticsearch keeps logs forever"
    groups = plan.of_type("aws_cloudwatch_log_group")
    assert groups, f"terraform/envs/{name} plans no CloudWatch log group to compare with"
    mismatches = []
    for group in groups:
        assert not group.is_unknown("retention_in_days"), f"{group.address}: retention unknown until apply"
        days = group["retention_in_days"]
        if timedelta(days=days) != delete_after:
            mismatches.append(f"{group.address} ({group.get('name') or 'name known after apply'}): {days} days")
    assert not mismatches, (
        f"{name}: ILM delete min_age is {_days(delete_after)} days but CloudWatch retention_in_days is\n  "
        + "\n  ".join(mismatches)
        + f"\nchange {path.relative_to(ROOT)} (phases.delete.min_age) or the retention in "
        f'terraform/envs/{name}/main.tf (module "platform" log_retention_in_days; default in '
        "terraform/modules/platform/variables.tf), so both keep logs equally long"
    )


@pytest.mark.control("STRATA-LOGS-003")
def test_shipper_cloudwatch_output_writes_to_a_planned_group_kept_as_long(
    env: tuple[str, Any], chart: Callable[..., Any]
) -> None:
    """Where the log shipper also sends container logs to CloudWatch, that group exists in the plan, in the
    environment's region, and keeps them as long as Elasticsearch does."""
    name, plan = env
    config = deployed_config(chart("log-shipper").render(env=name, namespace="logging")).config
    outputs = [o for o in config.outputs if o.name == "cloudwatch_logs"]
    if not outputs:
        pytest.skip(f"{name}: the log shipper has no cloudwatch_logs output")
    groups = {g["name"]: g for g in plan.of_type("aws_cloudwatch_log_group") if not g.is_unknown("name")}
    delete_after = ilm_delete_after(json.loads(policy_file(name).read_text()))
    assert plan.variables.get("region"), f"terraform/envs/{name} has no region variable to compare with"
    for output in outputs:
        group_name = output.require("log_group_name")
        assert output.get("region") == plan.variables.get("region"), (
            f"{output.label} writes to region {output.get('region')}, terraform/envs/{name} is in "
            f"{plan.variables.get('region')}"
        )
        assert group_name in groups, (
            f"{output.label} writes to {group_name!r}, which terraform/envs/{name} does not create "
            f"(auto_create_group {output.get('auto_create_group')}); planned groups: {sorted(groups)}"
        )
        days = groups[group_name]["retention_in_days"]
        assert timedelta(days=days) == delete_after, (
            f"{name}: {group_name} keeps {days} days, {policy_file(name).relative_to(ROOT)} deletes after "
            f"{_days(delete_after) if delete_after else 'never'} days"
        )


def _days(delta: timedelta) -> str:
    return f"{delta / timedelta(days=1):g}"


def _installed_names(readme: str, file_name: str) -> list[str]:
    """Policy names the README's install commands PUT `file_name` under (or its `ilm-policy-<env>.json` form)."""
    accepted = {file_name, re.sub(r"-(dev|staging|prod)\.json$", "-<env>.json", file_name)}
    names = []
    for command in re.sub(r"\\\n\s*", " ", readme).splitlines():  # join backslash-continued lines
        policy = re.search(r"_ilm/policy/([A-Za-z0-9._-]+)", command)
        data = re.search(r"--data(?:-binary)?\s+@(\S+)", command)
        if policy and data and Path(data.group(1)).name in accepted:
            names.append(policy.group(1))
    return names


@pytest.mark.static
@pytest.mark.control("STRATA-LOGS-003")
@pytest.mark.parametrize("name", ENVS)
def test_template_attaches_the_installed_policy(name: str) -> None:
    """The data streams get the policy whose retention was checked: the template names the installed policy."""
    template = IndexTemplate.load(LOGGING / "index-template.json")
    assert template.lifecycle_name, "index-template.json sets no index.lifecycle.name: no retention is applied"
    path = policy_file(name)
    policy = json.loads(path.read_text())
    readme = (LOGGING / "README.md").read_text()
    installed = set(_installed_names(readme, path.name))
    assert installed == {template.lifecycle_name}, (
        f"platform/logging/README.md installs {path.name} as {sorted(installed) or 'nothing'}, the template "
        f"attaches {template.lifecycle_name!r}"
    )
    meta = (policy.get("policy") or {}).get("_meta") or {}
    stated = re.findall(r"_ilm/policy/([A-Za-z0-9._-]+)", json.dumps(meta))
    assert set(stated) <= {template.lifecycle_name}, f"{path.name} _meta names {stated}"
    # Every phase age parses as Elasticsearch reads it, and the phases are in order (ILM refuses otherwise).
    phases = policy["policy"]["phases"]
    order = [p for p in ("hot", "warm", "cold", "frozen", "delete") if p in phases]
    ages = [time_value(str(phases[p].get("min_age", "0ms"))) for p in order]
    assert ages == sorted(ages), f"{path.name}: phase min_age out of order: {dict(zip(order, ages, strict=True))}"
