"""Fields an upgrade from the previous release would change but Kubernetes will not: found by rendering both.

`previous_chart(root, ref, dest, head)` exports the chart and its value files as committed at `ref` (git archive:
the release as tagged, nothing of the working tree) and returns a Chart like `head` over them.
`immutable_changes(previous, head, env=...)` compares two renders object by object (kind, namespace, name):

- Deployment, StatefulSet, DaemonSet, ReplicaSet, Rollout: `spec.selector` (immutable in apps/v1 and for a Rollout);
- StatefulSet: `spec.volumeClaimTemplates` (per claim name), `spec.serviceName`, `spec.podManagementPolicy`;
- Service: `spec.clusterIP` (immutable) and `spec.type` (mutable in the API, but a type change replaces the cloud
  load balancer or drops the node ports: clients lose the address they use);
- Job: `spec.template` and `spec.selector` (immutable once created);
- PersistentVolumeClaim: `spec`, except a larger `resources.requests.storage` (volume expansion is allowed);
- a workload (a kind whose controller runs pods) the previous release rendered and HEAD does not: deleting it stops
  its pods at once, whatever replaces it starts only afterwards.

Each change is a Finding naming the release → HEAD, the environment, kind/name, the field and both values.
Defaults the API server fills in (`type: ClusterIP`, `podManagementPolicy: OrderedReady`) count as set.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stratatest import git
from stratatest.charts.helm import Chart
from stratatest.charts.manifests import WORKLOAD_KINDS, Manifest, Manifests

SELECTOR_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout")
#: Kinds whose deletion takes running pods with it.
POD_OWNERS = frozenset({*WORKLOAD_KINDS, "CronJob", "Rollout", "Pod"})
_QUANTITY = re.compile(r"^([0-9.]+)([EPTGMK]i?|[mk])?$")
_FACTORS = {None: 1, "m": 1e-3, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_FACTORS.update({f"{p}i": 1024 ** (i + 1) for i, p in enumerate("KMGTPE")})


@dataclass(frozen=True)
class Finding:
    previous: str  # the release, e.g. "v0.1.0"
    head: str
    env: str
    kind: str
    name: str
    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        where = f"{self.previous} → {self.head} ({self.env}): {self.kind}/{self.name} {self.field}"
        return f"{where}: {self.old!r} → {self.new!r}"


def previous_chart(root: Path, ref: str, dest: Path, head: Chart) -> Chart:
    """`head`'s chart and value files as committed at `ref`, exported under `dest`, with the same release name."""
    paths = [head.path, *head.values_files]
    relative = [Path(os.path.relpath(p.resolve(), root.resolve())) for p in paths]
    git.export(root, ref, dest, tuple(str(p) for p in relative))
    chart, *values = (dest / p for p in relative)
    return Chart(chart, values_files=values, release=head.release, evidence_dir=head.evidence_dir)


def compare(
    previous: Chart, head: Chart, envs: list[str], *, namespace: str, previous_label: str, head_label: str = "HEAD"
) -> list[Finding]:
    """Render both charts per environment and list every immutable change, environment by environment."""
    findings = []
    for env in envs:
        old = previous.render(env=env, namespace=namespace)
        new = head.render(env=env, namespace=namespace)
        findings += immutable_changes(old, new, env=env, previous=previous_label, head=head_label, namespace=namespace)
    return findings


def immutable_changes(
    old: Manifests, new: Manifests, *, env: str, previous: str, head: str = "HEAD", namespace: str = ""
) -> list[Finding]:
    """Every change from render `old` to render `new` that an in-place upgrade cannot make (see the module doc)."""

    def key(m: Manifest) -> tuple[str, str, str]:
        return (m.kind, m.namespace or namespace, m.name)

    after = {key(m): m for m in new}
    findings: list[Finding] = []

    def found(m: Manifest, field: str, before: Any, now: Any) -> None:
        findings.append(Finding(previous, head, env, m.kind, m.name, field, before, now))

    for was in old:
        now = after.get(key(was))
        if now is None:
            if was.kind in POD_OWNERS:
                instead = [f"{m.kind}/{m.name}" for m in new if m.kind in POD_OWNERS and m.name == was.name]
                found(was, "(removed)", "present", f"absent{', replaced by ' + ', '.join(instead) if instead else ''}")
            continue
        for field, before, current in _fields(was, now):
            if before != current:
                found(was, field, before, current)
    return findings


def _fields(was: Manifest, now: Manifest) -> list[tuple[str, Any, Any]]:
    """(field, old value, new value) of every immutable field of this kind."""
    a, b = was.spec, now.spec
    pairs: list[tuple[str, Any, Any]] = []
    if was.kind in SELECTOR_KINDS or was.kind == "Job":
        pairs.append(("spec.selector", a.get("selector"), b.get("selector")))
    if was.kind == "StatefulSet":
        pairs.append(("spec.serviceName", a.get("serviceName", ""), b.get("serviceName", "")))
        policy = "OrderedReady"
        pairs.append(
            ("spec.podManagementPolicy", a.get("podManagementPolicy", policy), b.get("podManagementPolicy", policy))
        )
        claims_a, claims_b = _claims(a), _claims(b)
        for claim in sorted(set(claims_a) | set(claims_b)):
            pairs.append((f"spec.volumeClaimTemplates[{claim}]", claims_a.get(claim), claims_b.get(claim)))
    if was.kind == "Service":
        pairs.append(("spec.type", a.get("type", "ClusterIP"), b.get("type", "ClusterIP")))
        if a.get("clusterIP") or b.get("clusterIP"):
            pairs.append(("spec.clusterIP", a.get("clusterIP"), b.get("clusterIP")))
    if was.kind == "Job":
        pairs.append(("spec.template", a.get("template"), b.get("template")))
    if was.kind == "PersistentVolumeClaim" and not _only_grows(a, b):
        pairs.append(("spec", a, b))
    return pairs


def _claims(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        str((t.get("metadata") or {}).get("name", i)): t for i, t in enumerate(spec.get("volumeClaimTemplates") or [])
    }


def _only_grows(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal but for a larger storage request (what volume expansion allows)."""

    def without_storage(spec: dict[str, Any]) -> dict[str, Any]:
        requests = {k: v for k, v in ((spec.get("resources") or {}).get("requests") or {}).items() if k != "storage"}
        resources = {**(spec.get("resources") or {}), "requests": requests}
        return {**spec, "resources": resources}

    if without_storage(a) != without_storage(b):
        return False
    before, after = (_bytes(((s.get("resources") or {}).get("requests") or {}).get("storage")) for s in (a, b))
    return before is None or (after is not None and after >= before)


def _bytes(quantity: Any) -> float | None:
    match = _QUANTITY.match(str(quantity)) if quantity is not None else None
    return float(match.group(1)) * _FACTORS[match.group(2)] if match else None
