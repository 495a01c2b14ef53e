"""Checkov's kubernetes and helm frameworks on what each environment deploys, read against the catalogue.

- kubernetes: one scan (once per run, shared by xdist workers) of a folder holding every deployment's render
  per environment; each rendered file must have had resources checked. (The GitOps manifests are Namespaces,
  AppProjects and ApplicationSets, for which Checkov has no check: the project's own controls cover them.)
- helm: Checkov's own helm framework on each chart with the prod values (it renders with the helm the suite
  provisioned; without one it would silently scan nothing, so a scan with no resource is an error). It renders
  without a namespace, so every object lands in `default` there: waiver W-001 (controls/waivers.yaml) covers
  CKV_K8S_21 on that render only, and the kubernetes scan of the real renders judges it.
A failed check fails unless an active waiver covers it, exactly as in the results record; an inline
suppression (annotation `checkov.io/skip1: CKV_K8S_nn=<reason>`) must give a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stratatest.charts import Chart, Manifests
from stratatest.compliance.findings import unwaived
from stratatest.shared import once_per_run
from stratatest.static.checkov import CheckResult, Outcome, Scan, control_params, scan

from .deployments import DEPLOYMENTS, ENVS, ROOT

pytestmark = pytest.mark.static

WAIVE = "fix it, or waive it on the object: annotation checkov.io/skip1: <ID>=<reason>"
KUBERNETES_CHECKS = ("CKV_K8S_", "CKV2_K8S_")


def _rendered_files() -> list[str]:
    return [f"{release}-{env}.yaml" for release in DEPLOYMENTS for env in ENVS]


@pytest.fixture(scope="session")
def k8s_scan(rendered: Callable[[str, str], Manifests], pytestconfig: pytest.Config) -> Scan:
    shared: Path = pytestconfig.stratatest_shared  # type: ignore[attr-defined]
    folder = shared / "rendered-manifests"

    def write() -> str:
        folder.mkdir(parents=True, exist_ok=True)
        for release in DEPLOYMENTS:
            for env in ENVS:
                (folder / f"{release}-{env}.yaml").write_text(rendered(release, env).to_yaml())
        return "written"

    once_per_run(shared / "rendered-manifests.done", write)
    return scan(folder, ("kubernetes",), root=folder, shared_dir=shared)


@pytest.fixture(scope="session")
def helm_scans(deployed: Callable[[str], Chart], pytestconfig: pytest.Config) -> dict[str, Scan]:
    shared: Path = pytestconfig.stratatest_shared  # type: ignore[attr-defined]
    scans = {}
    for release in DEPLOYMENTS:
        chart = deployed(release)
        var_files = [arg for f in (*chart.values_files, chart.env_file("prod")) for arg in ("--var-file", str(f))]
        scans[release] = scan(chart.path, ("helm",), root=ROOT, shared_dir=shared, extra_args=var_files)
    return scans


def _line(result: CheckResult) -> str:
    return f"  {result.check_id} {result.resource} {result.location} ({result.check_name})"


def _lines(results: list[CheckResult]) -> str:
    return "\n".join(_line(r) for r in sorted(results, key=lambda r: (r.file, r.lines, r.check_id, r.resource)))


@pytest.mark.parametrize("name", _rendered_files())
def test_checkov_checked_every_render(k8s_scan: Scan, name: str) -> None:
    checked = {r.resource for r in k8s_scan.results if r.file == name}
    assert checked, f"Checkov's kubernetes framework checked nothing in {name}: is it Kubernetes YAML it can read?"


@pytest.mark.parametrize("release", list(DEPLOYMENTS))
def test_checkov_helm_framework_scanned_the_chart(helm_scans: dict[str, Scan], release: str) -> None:
    assert helm_scans[release].resource_counts.get("helm"), f"Checkov's helm framework scanned nothing in {release}"


@pytest.fixture(scope="session")
def all_results(k8s_scan: Scan, helm_scans: dict[str, Scan], pytestconfig: pytest.Config) -> list[CheckResult]:
    """Every result of both frameworks, less the failures an active waiver covers."""
    results = [*k8s_scan.results, *(r for s in helm_scans.values() for r in s.results)]
    return unwaived(results, pytestconfig.stratatest_catalogue, pytestconfig.stratatest_waivers)  # type: ignore[attr-defined]


def test_no_failed_check(all_results: list[CheckResult]) -> None:
    failed = [r for r in all_results if r.result is Outcome.FAILED]
    if failed:
        pytest.fail(f"{len(failed)} failed Checkov check(s) — {WAIVE}:\n{_lines(failed)}", pytrace=False)


def test_every_waiver_gives_a_written_reason(all_results: list[CheckResult]) -> None:
    bare = [r for r in all_results if r.result is Outcome.SKIPPED and len((r.suppress_comment or "").split()) < 3]
    assert not bare, "Checkov waivers without a written reason (3+ words):\n" + _lines(bare)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per catalogue control mapped to Checkov's Kubernetes checks."""
    if "k8s_checks" in metafunc.fixturenames:
        metafunc.parametrize("k8s_checks", control_params(metafunc, KUBERNETES_CHECKS))


def test_control(k8s_checks: tuple[str, ...], all_results: list[CheckResult]) -> None:
    """Some check of the control ran on the rendered manifests and none failed (unless waived)."""
    wanted = set(k8s_checks)
    results = [r for r in all_results if r.check_id in wanted]
    if not results:
        pytest.skip(f"no rendered object is subject to {', '.join(k8s_checks)}")
    failed = [r for r in results if r.result is Outcome.FAILED]
    assert not failed, f"{WAIVE}:\n{_lines(failed)}"
    if not any(r.result is Outcome.PASSED for r in results):
        pytest.skip(f"every result of {', '.join(k8s_checks)} is waived:\n{_lines(results)}")
