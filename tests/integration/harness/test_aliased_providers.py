"""Aliased aws providers: every configuration points at the target with the run's tags, keeps its own region,
and the regions a run used are where its leak check and the sweep look."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from stratatest import cli, notices
from stratatest.errors import ConfigError
from stratatest.plugin.session import check_nothing_left
from stratatest.targets import make_target
from stratatest.targets.leftovers import REGIONS_FOLDER
from stratatest.terraform.provider import RUN_ID_TAG

HERE = Path(__file__).resolve().parent
ALIAS_ONLY = HERE / "aliased_provider"
ROOT = HERE / "aliased_root"


def _parameter(target, region: str, name: str) -> tuple[str, dict[str, str]]:
    """The parameter's ARN and tags, read in `region`."""
    with target.in_region(region) as regional:
        ssm = regional.client("ssm")
        arn = ssm.get_parameter(Name=name)["Parameter"]["ARN"]
        pairs = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    return arn, {pair["Key"]: pair["Value"] for pair in pairs}


def test_an_alias_is_applied_into_the_target_in_its_region_with_the_run_id(
    stacks, target, run_id, unique_name, pytestconfig
) -> None:
    name = unique_name("alias")
    stacks(ALIAS_ONLY, name=name)
    assert _parameter(target, "us-west-2", f"/{name}/replica") == (
        f"arn:aws:ssm:us-west-2:{target.client('sts').get_caller_identity()['Account']}:parameter/{name}/replica",
        {RUN_ID_TAG: run_id},
    )
    assert _parameter(target, target.region, f"/{name}/home")[1] == {RUN_ID_TAG: run_id}
    assert "us-west-2" in target.other_regions  # this process's leak check lists it
    assert (pytestconfig.stratatest_shared / REGIONS_FOLDER / "us-west-2").exists()  # and the controller's


def test_own_default_tags_are_kept_and_other_blocks_get_the_run_tags(harness, run_id, unique_name) -> None:
    plan = harness.plan(ROOT, {"name": unique_name("root")})
    assert plan["aws_ssm_parameter.home"]["tags_all"] == {"environment": "probe", RUN_ID_TAG: run_id}
    assert plan["aws_ssm_parameter.tagged"]["tags_all"] == {"copy": "tagged", RUN_ID_TAG: run_id}
    assert plan["aws_ssm_parameter.plain"]["tags_all"] == {RUN_ID_TAG: run_id}


@pytest.mark.parametrize(
    ("provider", "refusal"),
    [
        (
            'provider "aws" {\n  alias  = "replica"\n  region = var.replica_region\n}\n',
            "provider aws.replica takes its region from an expression",
        ),
        ('provider "aws" {\n  alias  = "replica"\n  region = "mars-1"\n}\n', "has region 'mars-1', not a region name"),
        (
            'provider "aws" {\n  alias  = "replica"\n  region = "us-west-2"\n'
            '  default_tags {\n    tags = { team = "a" }\n  }\n}\n',
            "provider aws.replica has default_tags of its own, which an override would replace whole",
        ),
    ],
    ids=["region-expression", "not-a-region", "own-tags-without-run-id"],
)
def test_an_alias_the_leak_check_could_miss_is_refused(harness, tmp_path: Path, provider: str, refusal: str) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "run_id" {\n  default = null\n}\nvariable "replica_region" {\n  default = "us-west-2"\n}\n' + provider
    )
    with pytest.raises(ConfigError, match=refusal) as err:
        harness.plan(tmp_path)
    assert "\n" not in str(err.value)


def test_a_leak_in_another_region_is_found_and_the_command_sweeps_that_region(
    harness, start_moto, unique_name, pytestconfig, capsys, monkeypatch
) -> None:
    """As the controller checks a shared target: a fresh target object, the regions read from the run folder."""
    told: list[str] = []  # the planted leak's notice is this test's, not the run's: kept out of its summary
    monkeypatch.setattr(notices, "_notify", [told.append])
    monkeypatch.setattr(notices, "NOTICES", [])
    harness.plan(ALIAS_ONLY, {"name": unique_name("plan")})  # the harness records us-west-2 in the run folder
    moto = start_moto()
    spec = f"moto:endpoint={moto.endpoint_url},ca_bundle={moto.ca_bundle}"
    leak_run = unique_name("leak").replace("-", "")[:20]
    shared = pytestconfig.stratatest_shared
    fresh = make_target(spec, workdir=shared, run_id=leak_run)
    with fresh, fresh.in_region("us-west-2") as west:
        tags = [{"Key": RUN_ID_TAG, "Value": leak_run}]
        west.client("ssm").put_parameter(Name=f"/{leak_run}", Value="x", Type="String", Tags=tags)
        assert check_nothing_left(fresh, leak_run) == []  # only its own region: the leak is not seen there
        leftovers = check_nothing_left(fresh, leak_run, shared)
    assert len(leftovers) == 1 and ":us-west-2:" in leftovers[0].arn
    command = told[-1].split("remove them with: ", 1)[1]
    assert command == f"stratatest sweep --target {spec} --region us-west-2 --run {leak_run} --yes"

    assert cli.main(shlex.split(command)[1:]) == 0
    assert "deleted 1 of 1 resource(s)" in capsys.readouterr().out
    with fresh:
        assert check_nothing_left(fresh, leak_run, shared) == []
