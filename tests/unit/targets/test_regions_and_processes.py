"""The regions a run used, as the leak check reads them, and whether N processes may each start a target."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratatest.errors import ConfigError
from stratatest.targets import make_target
from stratatest.targets.leftovers import REGIONS_FOLDER, regions_used, remember_regions


def test_regions_are_noted_on_the_target_and_in_the_run_folder(tmp_path: Path) -> None:
    target = make_target("moto", workdir=tmp_path / "t", region="eu-west-1")
    shared = tmp_path / "run"
    remember_regions(target, shared, ["eu-west-1", "us-west-2"])
    assert target.other_regions == {"us-west-2"}
    assert sorted(p.name for p in (shared / REGIONS_FOLDER).iterdir()) == ["eu-west-1", "us-west-2"]

    controller = make_target("moto", workdir=shared, region="eu-west-1")  # another process: nothing in memory
    assert regions_used(controller) == ["eu-west-1"]
    (shared / REGIONS_FOLDER / "not a region").touch()  # never listed: only region names count
    remember_regions(target, shared, ["ap-south-1"])
    assert regions_used(controller, shared) == ["eu-west-1", "ap-south-1", "us-west-2"]
    assert regions_used(target) == ["eu-west-1", "ap-south-1", "us-west-2"]


@pytest.mark.parametrize(
    ("spec", "processes", "refused"),
    [
        ("moto:port=4567", 2, True),
        ("moto:port=4567", 1, False),
        ("moto", 8, False),
        ("moto:port=4567,endpoint=https://127.0.0.1:4567,ca_bundle=c.pem", 2, False),
        ("localstack", 2, False),
    ],
    ids=["fixed-port-two", "fixed-port-one", "free-port", "attached", "other-target"],
)
def test_several_processes_may_each_start_a_target_unless_it_is_bound_to_one_port(
    tmp_path: Path, spec: str, processes: int, refused: bool
) -> None:
    target = make_target(spec, workdir=tmp_path)
    if not refused:
        target.check_processes(processes)
        return
    with pytest.raises(ConfigError, match=r"port=4567 is fixed, but 2 worker processes") as err:
        target.check_processes(processes)
    assert "-n 0" in str(err.value) and "moto:endpoint=" in str(err.value) and "\n" not in str(err.value)
