"""GitOps definitions (platform/gitops): what ArgoCD deploys is what the chart layer tested, into labelled namespaces.

The ApplicationSets are read as data: each tested deployment (deployments.DEPLOYMENTS) must be generated for
every environment from the same chart, value files and namespace the chart tests render with, so a green chart
layer speaks for what the clusters run. ArgoCD's CRDs have no schema here: they are reported not validated.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stratatest.charts import Manifest, Manifests
from stratatest.charts.schema import Status, validate

from .deployments import DEPLOYMENTS, ENVS, ROOT, kubernetes_version

pytestmark = pytest.mark.static

GITOPS = ROOT / "platform" / "gitops"
PSS = "pod-security.kubernetes.io/"
EXCEPTION = "stratatest/pod-security-exception"


def _load(folder: Path) -> Manifests:
    items = []
    for path in sorted(folder.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        items += Manifests.parse(path.read_text(), origin=str(path.relative_to(ROOT))).items
    return Manifests(items, origin=str(folder.relative_to(ROOT)))


GITOPS_OBJECTS = _load(GITOPS)
NAMESPACES = {ns.name: ns for ns in GITOPS_OBJECTS.all("Namespace")}


def _application_set(chart: str) -> Manifest:
    for appset in GITOPS_OBJECTS.all("ApplicationSet"):
        source = appset.spec["template"]["spec"].get("source") or {}
        if source.get("path") == f"charts/{chart}":
            return appset
    raise AssertionError(f"no ApplicationSet in platform/gitops deploys charts/{chart}")


def _for_env(text: str, env: str) -> str:
    return re.sub(r"\{\{\s*\.env\s*\}\}", env, text)


@pytest.mark.control("STRATA-K8S-012")
@pytest.mark.parametrize("name", sorted(NAMESPACES))
def test_namespace_pod_security(name: str) -> None:
    """Application namespaces enforce restricted; a platform namespace may enforce less only with a reason."""
    ns = NAMESPACES[name]
    labels = ns.labels
    assert labels.get(PSS + "audit") == labels.get(PSS + "warn") == "restricted", (
        f"[STRATA-K8S-012] {ns.ref}: audit and warn must stay restricted so every deviation is seen"
    )
    enforce = labels.get(PSS + "enforce")
    if labels.get("stratatest/namespace-tier") != "platform" or enforce == "restricted":
        assert enforce == "restricted", f"[STRATA-K8S-012] {ns.ref} enforces {enforce!r}, not restricted"
    else:
        reason = ns.annotations.get(EXCEPTION, "")
        assert len(reason.split()) >= 5, f"[STRATA-K8S-012] {ns.ref} enforces {enforce!r} without a {EXCEPTION} reason"
    versions = {kubernetes_version(env) for env in ENVS}
    assert labels.get(PSS + "enforce-version") in {f"v{v}" for v in versions}, (
        f"{ns.ref} pins Pod Security version {labels.get(PSS + 'enforce-version')}; the clusters run {versions}"
    )


@pytest.mark.control("STRATA-K8S-012", "STRATA-K8S-013")
@pytest.mark.parametrize("release", list(DEPLOYMENTS))
def test_every_deployment_goes_to_its_own_labelled_namespace(release: str) -> None:
    namespace = DEPLOYMENTS[release]["namespace"]
    appset = _application_set(DEPLOYMENTS[release]["chart"])
    destination = appset.spec["template"]["spec"]["destination"]["namespace"]
    assert destination == namespace != "default", f"{appset.ref} deploys {release} into {destination!r}"
    assert namespace in NAMESPACES, f"no Namespace manifest for {namespace!r} in platform/gitops/namespaces"


@pytest.mark.parametrize("release", list(DEPLOYMENTS))
def test_argocd_deploys_what_the_chart_layer_tests(release: str) -> None:
    """Same chart, release name, value files (in order) and environments as tests/unit/charts render."""
    spec = DEPLOYMENTS[release]
    appset = _application_set(spec["chart"])
    elements = [e for g in appset.spec["generators"] for e in (g.get("list") or {}).get("elements", [])]
    assert sorted(e["env"] for e in elements) == sorted(ENVS), f"{appset.ref} environments"
    helm = appset.spec["template"]["spec"]["source"]["helm"]
    assert helm.get("releaseName") == release
    chart_dir = ROOT / "charts" / spec["chart"]
    for env in ENVS:
        files = [(chart_dir / _for_env(f, env)).resolve() for f in helm.get("valueFiles", [])]
        expected = [(ROOT / v).resolve() for v in spec["values"]] + [chart_dir / f"values-{env}.yaml"]
        assert files == expected, f"{appset.ref} ({env}) uses value files {files}, the chart tests {expected}"
        assert all(f.is_file() for f in files)


def test_kustomization_lists_every_argocd_object() -> None:
    import yaml

    listed = set(yaml.safe_load((GITOPS / "kustomization.yaml").read_text())["resources"])
    files = {str(p.relative_to(GITOPS)) for p in GITOPS.glob("*.yaml")} | {
        str(p.relative_to(GITOPS)) for p in (GITOPS / "applicationsets").glob("*.yaml")
    }
    assert listed == files - {"kustomization.yaml"}, "platform/gitops/kustomization.yaml is out of step with the files"


@pytest.mark.parametrize("manifest", GITOPS_OBJECTS.items, ids=lambda m: f"{m.kind}-{m.name}")
def test_schema(manifest: Manifest) -> None:
    result = validate(manifest, kubernetes_version("prod"))
    assert result.status is not Status.INVALID, str(result)
    if result.status is Status.NOT_VALIDATED:
        pytest.skip(f"not validated: {result.detail}")
