"""The manifest model: yes/no properties read the way the kubelet applies them (defaults included)."""

from __future__ import annotations

import pytest

from stratatest.charts import Container, Manifest, Manifests
from stratatest.errors import ConfigError

RENDER = """---
# Source: app/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
      initContainers:
        - {name: migrate, image: "reg.example:5000/migrate"}
      containers:
        - name: web
          image: "reg.example/web:1.2.3@sha256:0123"
          ports: [{name: http, containerPort: 8080}]
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
                            capabilities: {drop: [ALL]}}
          resources: {requests: {cpu: 10m, memory: 1Mi}, limits: {cpu: 20m, memory: 2Mi}}
---
# Source: app/templates/np.yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-deny}
spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress, Egress]}
"""


@pytest.fixture
def manifests() -> Manifests:
    return Manifests.parse(RENDER, origin="helm template app")


def test_find_and_source(manifests: Manifests) -> None:
    web = manifests.find("Deployment", "web")
    assert (web.namespace, web.source) == ("shop", "app/templates/deployment.yaml")
    assert manifests.kinds == ["Deployment", "NetworkPolicy"]
    assert [w.name for w in manifests.workloads] == ["web"]


def test_find_names_what_was_rendered(manifests: Manifests) -> None:
    with pytest.raises(LookupError, match=r"no Service/web; it rendered: Deployment/web, NetworkPolicy/web-deny"):
        manifests.find("Service", "web")


def test_containers_fold_in_the_pod_security_context(manifests: Manifests) -> None:
    migrate, web = manifests.find("Deployment").containers
    assert web.runs_as_non_root and migrate.runs_as_non_root  # from the pod
    assert web.seccomp_profile == migrate.seccomp_profile == "RuntimeDefault"
    assert web.has_read_only_root_filesystem and not migrate.has_read_only_root_filesystem
    assert web.drops_all_capabilities and not migrate.drops_all_capabilities
    assert not web.allows_privilege_escalation
    assert migrate.allows_privilege_escalation, "unset means allowed: Kubernetes defaults it to true"
    assert web.has_limits and web.has_requests and not migrate.has_limits
    assert web.port("http") == 8080


@pytest.mark.parametrize(
    ("image", "tag", "digest", "pinned"),
    [
        ("reg.example/web:1.2.3@sha256:0123", "1.2.3", "sha256:0123", True),
        ("reg.example:5000/migrate", None, None, False),  # a registry port is not a tag
        ("web:latest", "latest", None, False),
        ("web@sha256:ab", None, "sha256:ab", True),
    ],
)
def test_image_reference(image: str, tag: str | None, digest: str | None, pinned: bool) -> None:
    container = Container({"name": "c", "image": image})
    assert (container.image_tag, container.image_digest, container.is_pinned) == (tag, digest, pinned)


def test_container_setting_overrides_the_pod() -> None:
    container = Container({"securityContext": {"runAsUser": 0}}, {"runAsNonRoot": True, "runAsUser": 1000})
    assert not container.runs_as_non_root


def test_selectors_and_token(manifests: Manifests) -> None:
    web = manifests.find("Deployment")
    policy = manifests.find("NetworkPolicy")
    assert policy.selects(web.pod_labels)
    assert not policy.selects({"app": "db"})
    assert not web.automounts_service_account_token
    assert Manifest({"kind": "Pod", "spec": {}}).automounts_service_account_token


def test_invalid_render_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="rendered invalid YAML"):
        Manifests.parse("a: [", origin="helm template x")
    with pytest.raises(ConfigError, match="not a Kubernetes object"):
        Manifests.parse("- 1\n- 2\n", origin="helm template x")


def test_selectors_honour_match_expressions_and_service_maps() -> None:
    pdb = Manifest(
        {
            "kind": "PodDisruptionBudget",
            "spec": {"selector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}},
        }
    )
    assert pdb.selects({"app": "web", "tier": "front"})
    assert not pdb.selects({"app": "web", "tier": "back"})
    service = Manifest({"kind": "Service", "spec": {"selector": {"app": "web"}}})
    assert service.selects({"app": "web", "tier": "front"}) and not service.selects({"app": "db"})
    assert not Manifest({"kind": "Service", "spec": {}}).selects({"app": "web"}), "no selector selects no pod"
    assert Manifest({"kind": "NetworkPolicy", "spec": {"podSelector": {}}}).selects({"app": "web"}), "{} selects all"
