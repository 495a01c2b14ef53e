"""The project's own Kubernetes controls on every workload each environment deploys (rendered, no cluster).

One test per control and deployment/environment, with plain asserts on the typed manifests. A platform workload
that cannot meet a control (the log shipper reads root-owned host logs) says so on the workload itself with a
`stratatest.io/exception.<CONTROL-ID>` annotation giving the reason: the test then reports it skipped with that
reason, never passed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from stratatest.charts import Container, Manifest, Manifests

from .deployments import DEPLOYMENTS, ENVS

pytestmark = pytest.mark.static

CASES = [pytest.param(release, env, id=f"{release}-{env}") for release in DEPLOYMENTS for env in ENVS]
EXCEPTION = "stratatest.io/exception."


def _workloads(manifests: Manifests, control: str) -> list[Manifest]:
    """The workloads the control applies to; skipped with the written reason where every one is excepted."""
    workloads = manifests.workloads
    assert workloads, f"{manifests.origin} rendered no workload"
    applies = [w for w in workloads if not w.annotations.get(EXCEPTION + control)]
    if not applies:
        reasons = "; ".join(f"{w.ref}: {w.annotations[EXCEPTION + control]}" for w in workloads)
        pytest.skip(f"{control} not assessed — exception on the workload: {reasons}")
    return applies


def _containers(manifests: Manifests, control: str) -> Iterator[tuple[Manifest, Container]]:
    for workload in _workloads(manifests, control):
        for container in workload.containers:
            yield workload, container


def _check(manifests: Manifests, control: str, bad: Callable[[Container], bool], what: str) -> None:
    offenders = [f"{w.ref} container {c.name}" for w, c in _containers(manifests, control) if bad(c)]
    assert not offenders, f"[{control}] {what}: {', '.join(offenders)}\n  reproduce: {manifests.origin}"


@pytest.mark.control("STRATA-K8S-001")
@pytest.mark.parametrize(("release", "env"), CASES)
def test_runs_as_non_root(rendered: Callable[[str, str], Manifests], release: str, env: str) -> None:
    m = rendered(release, env)
    _check(m, "STRATA-K8S-001", lambda c: not c.runs_as_non_root, "may run as root (runAsNonRoot/runAsUser)")


@pytest.mark.control("STRATA-K8S-002")
@pytest.mark.parametrize(("release", "env"), CASES)
def test_read_only_root_filesystem(rendered: Callable[[str, str], Manifests], release: str, env: str) -> None:
    m = rendered(release, env)
    _check(m, "STRATA-K8S-002", lambda c: not c.has_read_only_root_filesystem, "writable root filesystem")


@pytest.mark.control("STRATA-K8S-003")
@pytest.mark.parametrize(("release", "env"), CASES)
def test_drops_all_capabilities(rendered: Callable[[str, str], Manifests], release: str, env: str) -> None:
    m = rendered(release, env)
    _check(m, "STRATA-K8S-003", lambda c: not c.drops_all_capabilities, "does not drop ALL capabilities")
    _check(m, "STRATA-K8S-003", lambda c: bool(c.added_capabilities), "adds capabilities back")


@pytest.mark.control("STRATA-K8S-004")
@pytest.mark.parametrize(("release", "env"), CASES)
def test_not_privileged_and_no_escalation(rendered: Callable[[str, str], Manifests], release: str, env: str) -> None:
    m = rendered(release, env)
    _check(m, "STRATA-K8S-004", lambda c: c.is_privileged, "privileged container")
    _check(m, "STRATA-K8S-004", lambda c: c.allows_privilege_escalation, "allowPrivilegeEscalation not false")
    for workload in _workloads(m, "STRATA-K8S-004"):
        pod = workload.pod_spec or {}
        shared = [k for k in ("hostPID", "hostIPC", "hostNetwork") if pod.get(k)]
        assert not shared, f"[STRATA-K8S-004] {workload.ref} shares the host's {', '.join(shared)}"


@pytest.mark.control("STRATA-K8S-005")
@pytest.mark.parametrize(("release", "env"), CASES)
def test_requests_and_limits(rendered: Callable[[str, str], Manifests], release: str, env: str) -> None:
    m = rendered(release, env)
    _check(m, "STRATA-K8S-005", lambda c: not c.has_requests, "no cpu+memory requests")
    _check(m, "STRATA-K8S-005", lambda c: not c.has_limits, "no cpu+memory limits")


@pytest.mark.control("STRATA-K8S-006")
@pytest.mark.parametrize(("release", "env"), CASES)
def test_probes(rendered: Callable[[str, str], Manifests], release: str, env: str) -> None:
    m = rendered(release, env)
    regular = [(w, c) for w, c in _containers(m, "STRATA-K8S-006") if c.body in (w.pod_spec or {}).get("containers")]
    missing = [f"{w.ref} container {c.name}" for w, c in regular if not (c.liveness_probe and c.readiness_probe)]
    assert not missing, f"[STRATA-K8S-006] no liveness and readiness probe: {', '.join(missing)}"


@pytest.mark.control("STRATA-K8S-009")
@pytest.mark.parametrize(("release", "env"), CASES)
def test_images_pinned(rendered: Callable[[str, str], Manifests], release: str, env: str) -> None:
    m = rendered(release, env)
    _check(m, "STRATA-K8S-009", lambda c: not c.is_pinned, "image not pinned (latest or no tag)")
    _check(m, "STRATA-K8S-009", lambda c: c.image_digest is None, "image not pinned by digest")


@pytest.mark.control("STRATA-K8S-010")
@pytest.mark.parametrize(("release", "env"), CASES)
def test_seccomp_runtime_default(rendered: Callable[[str, str], Manifests], release: str, env: str) -> None:
    m = rendered(release, env)
    _check(m, "STRATA-K8S-010", lambda c: c.seccomp_profile != "RuntimeDefault", "seccomp profile not RuntimeDefault")


@pytest.mark.control("STRATA-K8S-011")
@pytest.mark.parametrize(("release", "env"), CASES)
def test_no_service_account_token(rendered: Callable[[str, str], Manifests], release: str, env: str) -> None:
    m = rendered(release, env)
    mounting = [w.ref for w in _workloads(m, "STRATA-K8S-011") if w.automounts_service_account_token]
    assert not mounting, f"[STRATA-K8S-011] automounts a service account token: {', '.join(mounting)}"
    for account in m.all("ServiceAccount"):
        assert account.body.get("automountServiceAccountToken") is False, (
            f"[STRATA-K8S-011] {account.ref} does not set automountServiceAccountToken: false"
        )


@pytest.mark.control("STRATA-K8S-013")
@pytest.mark.parametrize(("release", "env"), CASES)
def test_not_in_default_namespace(rendered: Callable[[str, str], Manifests], release: str, env: str) -> None:
    m = rendered(release, env)
    assert DEPLOYMENTS[release]["namespace"] != "default"
    pinned = [o.ref for o in m if o.namespace == "default"]
    assert not pinned, f"[STRATA-K8S-013] objects pinned to the default namespace: {', '.join(pinned)}"


@pytest.mark.control("STRATA-K8S-001", "STRATA-K8S-002", "STRATA-K8S-003", "STRATA-K8S-004", "STRATA-K8S-010")
@pytest.mark.parametrize(("release", "env"), CASES)
def test_every_pod_template_that_runs_is_checked(
    rendered: Callable[[str, str], Manifests], release: str, env: str
) -> None:
    """An Argo Rollout runs either a template of its own (a workload the checks above read) or, through
    workloadRef, a Deployment's: that Deployment must be in the same render, so the checks read the pods it runs."""
    m = rendered(release, env)
    checked = {(w.kind, w.name) for w in m.workloads}
    for rollout in m.all("Rollout"):
        ref = rollout.workload_ref
        if rollout.pod_spec is not None:
            assert ref is None, f"{rollout.ref} has both a template and a workloadRef"
            assert (rollout.kind, rollout.name) in checked
            continue
        assert ref is not None, f"{rollout.ref} has neither a pod template nor a workloadRef"
        assert ref in checked, (
            f"{rollout.ref} runs {ref[0]}/{ref[1]}, which this render lacks: its pods would escape every pod "
            f"control; rendered workloads: {sorted(checked)}"
        )


# --- per-service objects: network policy, disruption budget, autoscaling -----------------------------------

SERVICE_CASES = [pytest.param(env, id=f"sample-{env}") for env in ENVS]


def _policies_for(m: Manifests, workload: Manifest) -> list[Manifest]:
    return [p for p in m.all("NetworkPolicy") if p.selects(workload.pod_labels)]


@pytest.mark.control("STRATA-K8S-007")
@pytest.mark.parametrize("env", SERVICE_CASES)
def test_default_deny_network_policy(rendered: Callable[[str, str], Manifests], env: str) -> None:
    m = rendered("sample", env)
    deployment = m.find("Deployment", "sample")
    policies = _policies_for(m, deployment)
    deny = [
        p
        for p in policies
        if set(p.spec.get("policyTypes") or []) == {"Ingress", "Egress"}
        and not p.spec.get("ingress")
        and not p.spec.get("egress")
    ]
    assert deny, (
        f"[STRATA-K8S-007] no default-deny NetworkPolicy (policyTypes Ingress+Egress, no rules) selects "
        f"{deployment.ref}; policies selecting it: {[p.name for p in policies] or 'none'}"
    )


@pytest.mark.control("STRATA-K8S-007")
@pytest.mark.parametrize("env", SERVICE_CASES)
def test_network_allows_are_narrow(rendered: Callable[[str, str], Manifests], env: str) -> None:
    """Every ingress allow names its sources and only the service's port; no allow-all rule hides in them."""
    m = rendered("sample", env)
    deployment = m.find("Deployment", "sample")
    ports = {p.get("name") for c in deployment.containers for p in c.body.get("ports") or []}
    for policy in _policies_for(m, deployment):
        for rule in policy.spec.get("ingress") or []:
            assert rule.get("from"), f"[STRATA-K8S-007] {policy.ref} allows ingress from anywhere"
            allowed = {p.get("port") for p in rule.get("ports") or []}
            assert allowed and allowed <= ports | {int(p) for p in ports if str(p).isdigit()}, (
                f"[STRATA-K8S-007] {policy.ref} allows ingress on {allowed or 'every port'}, not just {ports}"
            )
        for rule in policy.spec.get("egress") or []:
            assert rule.get("to") or rule.get("ports"), f"[STRATA-K8S-007] {policy.ref} allows egress anywhere"


@pytest.mark.control("STRATA-K8S-008")
@pytest.mark.parametrize("env", SERVICE_CASES)
def test_disruption_budget_and_autoscaling(rendered: Callable[[str, str], Manifests], env: str) -> None:
    m = rendered("sample", env)
    deployment = m.find("Deployment", "sample")
    # With a Rollout (prod), the Rollout owns the pod count: the HPA must scale it, not the Deployment it runs.
    owner = next(iter(m.all("Rollout")), deployment)
    hpa = m.find("HorizontalPodAutoscaler")
    target = hpa.spec.get("scaleTargetRef") or {}
    wanted = (owner.api_version, owner.kind, owner.name)
    assert (target.get("apiVersion"), target.get("kind"), target.get("name")) == wanted, (
        f"[STRATA-K8S-008] {hpa.ref} scales {target}, not {owner.ref}"
    )
    pdbs = [p for p in m.all("PodDisruptionBudget") if p.selects(deployment.pod_labels)]
    assert pdbs, f"[STRATA-K8S-008] no PodDisruptionBudget selects {deployment.ref}"
    minimum = int(hpa.spec.get("minReplicas", 1))
    if env == "prod":
        assert minimum >= 2, f"[STRATA-K8S-008] prod {hpa.ref} minReplicas is {minimum}: one zone outage is an outage"
    available = pdbs[0].spec.get("minAvailable")
    if isinstance(available, int):
        assert available < minimum, (
            f"[STRATA-K8S-008] {pdbs[0].ref} minAvailable {available} with minReplicas {minimum} blocks every drain"
        )
