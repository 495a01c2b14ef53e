"""Chart layer fixtures: the charts as each environment deploys them, rendered once per input by real helm."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from stratatest.charts import Chart, Manifests

from .deployments import DEPLOYMENTS


@pytest.fixture(scope="session")
def deployed(chart: Callable[..., Chart]) -> Callable[[str], Chart]:
    """`deployed("sample")` → the chart with the release name and value files that deployment uses."""

    def make(release: str) -> Chart:
        spec = DEPLOYMENTS[release]
        return chart(spec["chart"], values=spec["values"], release=release)

    return make


@pytest.fixture(scope="session")
def rendered(deployed: Callable[[str], Chart]) -> Callable[[str, str], Manifests]:
    """`rendered("sample", "prod")` → the manifests that environment gets."""

    def render(release: str, env: str) -> Manifests:
        return deployed(release).render(env=env, namespace=DEPLOYMENTS[release]["namespace"])

    return render
