"""Upgrade path of the charts (STRATA-K8S-015): the previous release and HEAD rendered per environment, with the
value files each deployment uses, change no field Kubernetes keeps immutable and remove no workload.

The previous release is the `previous_release` fixture's git ref (`--previous-release`; by default the newest tag
before HEAD), exported with git archive, so the comparison is with the release as tagged. `helm rollback` itself,
and what a cluster does with the change, belong to the cluster layer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stratatest.charts import Chart
from stratatest.charts.upgrade import compare, previous_chart

from .deployments import DEPLOYMENTS, ENVS

pytestmark = [pytest.mark.static, pytest.mark.control("STRATA-K8S-015")]


@pytest.mark.parametrize("release", list(DEPLOYMENTS))
def test_upgrade_from_the_previous_release_changes_no_immutable_field(
    deployed: Callable[[str], Chart],
    repo_root: Path,
    previous_release: str,
    tmp_path: Path,
    release: str,
) -> None:
    head = deployed(release)
    previous = previous_chart(repo_root, previous_release, tmp_path / previous_release, head)
    findings = compare(
        previous, head, list(ENVS), namespace=DEPLOYMENTS[release]["namespace"], previous_label=previous_release
    )
    assert not findings, f"an upgrade from {previous_release} would fail or recreate objects:\n  " + "\n  ".join(
        map(str, findings)
    )
