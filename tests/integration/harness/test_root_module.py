"""Root modules with their own provider and a remote backend (the environments' shape) run under the harness.

A provider block without default_tags gets the run's tags from the harness's override, unedited. One with
default_tags of its own must merge `var.run_id` (an override would replace its whole default_tags block), and a
plan or throwaway apply without backend settings uses a local backend instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stratatest.errors import ConfigError

HERE = Path(__file__).resolve().parent


def test_plan_keeps_the_modules_default_tags_and_adds_the_run_id(harness, run_id, unique_name) -> None:
    plan = harness.plan(HERE / "root_module", {"parameter_name": f"/stratatest/{unique_name('root')}"})
    tags = plan["aws_ssm_parameter.probe"]["tags_all"]
    assert tags == {"environment": "probe", "stratatest:run-id": run_id}


def test_apply_tags_the_resource_and_points_at_the_target(stacks, target, run_id, unique_name) -> None:
    name = f"/stratatest/{unique_name('root')}"
    stacks(HERE / "root_module", parameter_name=name)
    ssm = target.client("ssm")
    arn = ssm.get_parameter(Name=name)["Parameter"]["ARN"]
    assert f":{target.provider_settings().region}:" in arn
    tags = {
        t["Key"]: t["Value"] for t in ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    }
    assert tags == {"environment": "probe", "stratatest:run-id": run_id}


def test_own_provider_without_default_tags_is_tagged_unedited(harness, run_id, unique_name) -> None:
    plan = harness.plan(HERE / "root_module_untagged", {"parameter_name": f"/stratatest/{unique_name('plain')}"})
    assert plan["aws_ssm_parameter.probe"]["tags_all"] == {"stratatest:run-id": run_id}


def test_own_default_tags_without_the_run_id_are_refused_with_what_to_add(harness) -> None:
    with pytest.raises(ConfigError) as refused:
        harness.plan(HERE / "root_module_own_tags")
    text = str(refused.value)
    assert "provider aws has default_tags of its own" in text and "\n" not in text
    assert 'add variable "run_id" { type = string, default = null } to the module, then write' in text
    assert 'tags = merge(<its tags>, var.run_id == null ? {} : { "stratatest:run-id" = var.run_id }) in that' in text
