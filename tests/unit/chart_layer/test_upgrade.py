"""charts/upgrade.py on scratch charts, with real helm and real git: a release is tagged in a scratch repository,
then changed the way a pull request would; each immutable change is found and named, and nothing else is.

Two charts: a small stateful one (StatefulSet, headless Service, Job, PVC, Deployment) whose values drive every
field the check knows, and a copy of charts/microservice whose templates are edited (a selector label, the
Service type), so the check is shown on the chart the platform deploys.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from stratatest.charts import Chart, Manifests
from stratatest.charts.upgrade import Finding, compare, immutable_changes, previous_chart

ROOT = Path(__file__).resolve().parents[3]

STATEFUL_VALUES: dict[str, Any] = {
    "component": "db",
    "serviceType": "ClusterIP",
    "clusterIP": "None",
    "serviceName": "store",
    "podManagementPolicy": "OrderedReady",
    "storageClass": "gp3",
    "claimSize": "10Gi",
    "jobImage": "migrate:1",
    "pvcSize": "5Gi",
    "pvcClass": "gp3",
    "worker": "Deployment",
}
TEMPLATES = {
    "statefulset.yaml": """apiVersion: apps/v1
kind: StatefulSet
metadata: {name: store}
spec:
  serviceName: {{ .Values.serviceName }}
  podManagementPolicy: {{ .Values.podManagementPolicy }}
  selector: {matchLabels: {app: store, component: {{ .Values.component }}}}
  template:
    metadata: {labels: {app: store, component: {{ .Values.component }}}}
    spec: {containers: [{name: db, image: "db:1"}]}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        storageClassName: {{ .Values.storageClass }}
        resources: {requests: {storage: {{ .Values.claimSize }}}}
""",
    "service.yaml": """apiVersion: v1
kind: Service
metadata: {name: store}
spec:
  type: {{ .Values.serviceType }}
  {{- with .Values.clusterIP }}
  clusterIP: {{ . }}
  {{- end }}
  selector: {app: store}
  ports: [{name: db, port: 5432}]
""",
    "job.yaml": """apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: migrate, image: {{ .Values.jobImage | quote }}}]}
""",
    "pvc.yaml": """apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: uploads}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: {{ .Values.pvcClass }}
  resources: {requests: {storage: {{ .Values.pvcSize }}}}
""",
    "worker.yaml": """apiVersion: {{ if eq .Values.worker "Deployment" }}apps/v1{{ else }}argoproj.io/v1alpha1{{ end }}
kind: {{ .Values.worker }}
metadata: {name: worker}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec: {containers: [{name: w, image: "w:1"}]}
""",
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def tag_release(repo: Path) -> None:
    """Commit the scratch repository's files and tag them v1: the previous release."""
    git(repo, "init", "-q")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "v1")
    git(repo, "tag", "v1")


@pytest.fixture
def stateful(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    chart = repo / "charts" / "store"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: store\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(yaml.safe_dump(STATEFUL_VALUES))
    (chart / "values-prod.yaml").write_text("{}\n")
    for name, text in TEMPLATES.items():
        (chart / "templates" / name).write_text(text)
    tag_release(repo)
    return repo


def head_and_previous(repo: Path, chart: Chart, tmp_path: Path) -> tuple[Chart, Chart]:
    return chart, previous_chart(repo, "v1", tmp_path / "v1", chart)


def change_values(repo: Path, **changes: Any) -> Chart:
    path = repo / "charts" / "store" / "values.yaml"
    path.write_text(yaml.safe_dump({**STATEFUL_VALUES, **changes}))
    return Chart(repo / "charts" / "store", release="store")


def fields(findings: list[Finding]) -> set[tuple[str, str, str]]:
    return {(f.kind, f.name, f.field) for f in findings}


def test_an_unchanged_release_has_no_finding(stateful: Path, tmp_path: Path) -> None:
    head, previous = head_and_previous(stateful, change_values(stateful), tmp_path)
    assert compare(previous, head, ["prod"], namespace="store", previous_label="v1") == []


def test_every_immutable_change_is_named(stateful: Path, tmp_path: Path) -> None:
    head, previous = head_and_previous(
        stateful,
        change_values(
            stateful,
            component="database",  # StatefulSet selector
            serviceType="NodePort",
            clusterIP="",  # headless → a virtual IP
            serviceName="store-headless",
            podManagementPolicy="Parallel",
            storageClass="io2",  # volumeClaimTemplate
            jobImage="migrate:2",
            pvcClass="io2",
            worker="Rollout",  # the Deployment goes, a Rollout of the same name comes
        ),
        tmp_path,
    )
    findings = compare(previous, head, ["prod"], namespace="store", previous_label="v1")
    assert fields(findings) == {
        ("StatefulSet", "store", "spec.selector"),
        ("StatefulSet", "store", "spec.serviceName"),
        ("StatefulSet", "store", "spec.podManagementPolicy"),
        ("StatefulSet", "store", "spec.volumeClaimTemplates[data]"),
        ("Service", "store", "spec.type"),
        ("Service", "store", "spec.clusterIP"),
        ("Job", "migrate", "spec.template"),
        ("PersistentVolumeClaim", "uploads", "spec"),
        ("Deployment", "worker", "(removed)"),
    }
    by_field = {(f.kind, f.field): f for f in findings}
    service_type = by_field[("Service", "spec.type")]
    assert str(service_type) == "v1 → HEAD (prod): Service/store spec.type: 'ClusterIP' → 'NodePort'"
    assert by_field[("Deployment", "(removed)")].new == "absent, replaced by Rollout/worker"
    assert by_field[("StatefulSet", "spec.selector")].new == {"matchLabels": {"app": "store", "component": "database"}}


@pytest.mark.parametrize(("size", "flagged"), [("20Gi", False), ("10737418240", False), ("1Gi", True)])
def test_a_pvc_may_grow_but_not_shrink(stateful: Path, tmp_path: Path, size: str, flagged: bool) -> None:
    head, previous = head_and_previous(stateful, change_values(stateful, pvcSize=size), tmp_path)
    findings = compare(previous, head, ["prod"], namespace="store", previous_label="v1")
    assert fields(findings) == ({("PersistentVolumeClaim", "uploads", "spec")} if flagged else set())


@pytest.fixture
def microservice(tmp_path: Path) -> Path:
    """charts/microservice and the sample service's values, as a release of a scratch repository."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "charts" / "microservice", repo / "charts" / "microservice")
    (repo / "services" / "sample").mkdir(parents=True)
    shutil.copy(ROOT / "services" / "sample" / "values.yaml", repo / "services" / "sample" / "values.yaml")
    tag_release(repo)
    return repo


def test_the_platform_chart_with_a_changed_selector_and_service_type(microservice: Path, tmp_path: Path) -> None:
    chart = microservice / "charts" / "microservice"
    helpers = chart / "templates" / "_helpers.tpl"
    helpers.write_text(
        helpers.read_text().replace(
            "app.kubernetes.io/instance: {{ .Release.Name }}\n",
            "app.kubernetes.io/instance: {{ .Release.Name }}\napp.kubernetes.io/component: api\n",
            1,
        )
    )
    service = chart / "templates" / "service.yaml"
    service.write_text(service.read_text().replace("type: ClusterIP", "type: LoadBalancer", 1))
    head = Chart(chart, values_files=[microservice / "services" / "sample" / "values.yaml"], release="sample")
    previous = previous_chart(microservice, "v1", tmp_path / "v1", head)
    findings = compare(previous, head, ["dev", "prod"], namespace="sample", previous_label="v1")
    assert {(f.env, f.kind, f.field) for f in findings} == {
        ("dev", "Deployment", "spec.selector"),
        ("dev", "Service", "spec.type"),
        ("prod", "Deployment", "spec.selector"),
        ("prod", "Rollout", "spec.selector"),
        ("prod", "Service", "spec.type"),
    }
    messages = "\n".join(map(str, findings))
    assert "v1 → HEAD (prod): Rollout/sample spec.selector" in messages


def test_renders_compared_without_helm_too() -> None:
    """immutable_changes works on any two renders, e.g. ones a test parsed itself."""
    old = Manifests.parse("kind: Service\nmetadata: {name: a}\nspec: {}\n", origin="old")
    new = Manifests.parse("kind: Service\nmetadata: {name: a}\nspec: {type: ClusterIP}\n", origin="new")
    assert immutable_changes(old, new, env="dev", previous="r1") == []  # the API default counts as set
