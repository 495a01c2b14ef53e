"""Rendered manifests as small typed objects: `manifests.find(kind="Deployment", name="sample").containers[0]`.

Properties answer yes/no questions the way testinfra's do (`container.runs_as_non_root`), so a test reads as the
control it checks. Each manifest remembers the template it came from (helm's `# Source:` line): a failing
assertion can point at the file to change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from stratatest.errors import ConfigError

#: Kinds whose pod template lives at spec.template.spec (CronJob one level deeper, handled apart).
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")
_SOURCE = re.compile(r"^# Source: (.+)$", re.MULTILINE)
#: libyaml's loader when PyYAML was built with it: ~15x faster than the pure-Python one, and tests ask for the
#: same render dozens of times (bench P7). Dumping stays pure-Python: the two fold long strings differently, and
#: snapshots must not depend on how PyYAML was built.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A Kubernetes LabelSelector (matchLabels and matchExpressions) against `labels`; empty selects everything."""
    selector = selector or {}
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ConfigError(f"unknown label selector operator {operator!r} in {expression}")
    return True


@dataclass(frozen=True)
class Container:
    """One container with its pod's security context folded in, as the kubelet would apply it."""

    body: dict[str, Any]
    pod_security: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.body.get("name", ""))

    @property
    def image(self) -> str:
        return str(self.body.get("image", ""))

    @property
    def image_digest(self) -> str | None:
        return self.image.split("@", 1)[1] if "@" in self.image else None

    @property
    def image_tag(self) -> str | None:
        """The tag, or None when the image has none (then the runtime pulls `latest`)."""
        name = self.image.split("@", 1)[0]
        last = name.rsplit("/", 1)[-1]
        return last.split(":", 1)[1] if ":" in last else None

    @property
    def is_pinned(self) -> bool:
        """Pinned by digest, or by a tag that is not `latest` (a missing tag means `latest`)."""
        return self.image_digest is not None or self.image_tag not in (None, "latest")

    def _security(self, key: str) -> Any:
        own = self.body.get("securityContext") or {}
        return own[key] if key in own else self.pod_security.get(key)

    @property
    def runs_as_non_root(self) -> bool:
        user = self._security("runAsUser")
        return self._security("runAsNonRoot") is True and user != 0

    @property
    def has_read_only_root_filesystem(self) -> bool:
        return (self.body.get("securityContext") or {}).get("readOnlyRootFilesystem") is True

    @property
    def drops_all_capabilities(self) -> bool:
        caps = (self.body.get("securityContext") or {}).get("capabilities") or {}
        return "ALL" in (caps.get("drop") or [])

    @property
    def added_capabilities(self) -> list[str]:
        caps = (self.body.get("securityContext") or {}).get("capabilities") or {}
        return list(caps.get("add") or [])

    @property
    def is_privileged(self) -> bool:
        return (self.body.get("securityContext") or {}).get("privileged") is True

    @property
    def allows_privilege_escalation(self) -> bool:
        """True unless explicitly false: Kubernetes defaults it to true for non-privileged containers too."""
        return (self.body.get("securityContext") or {}).get("allowPrivilegeEscalation") is not False

    @property
    def seccomp_profile(self) -> str | None:
        profile = self._security("seccompProfile") or {}
        return profile.get("type")

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.body.get("resources") or {}

    @property
    def has_requests(self) -> bool:
        return {"cpu", "memory"} <= set(self.resources.get("requests") or {})

    @property
    def has_limits(self) -> bool:
        return {"cpu", "memory"} <= set(self.resources.get("limits") or {})

    @property
    def liveness_probe(self) -> dict[str, Any] | None:
        return self.body.get("livenessProbe")

    @property
    def readiness_probe(self) -> dict[str, Any] | None:
        return self.body.get("readinessProbe")

    def port(self, name: str) -> int | None:
        return next((p.get("containerPort") for p in self.body.get("ports") or [] if p.get("name") == name), None)


@dataclass(frozen=True)
class Manifest:
    """One rendered object."""

    body: dict[str, Any]
    source: str | None = None  # the template, e.g. microservice/templates/deployment.yaml

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    @property
    def metadata(self) -> dict[str, Any]:
        return self.body.get("metadata") or {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def namespace(self) -> str | None:
        return self.metadata.get("namespace")

    @property
    def labels(self) -> dict[str, str]:
        return self.metadata.get("labels") or {}

    @property
    def annotations(self) -> dict[str, str]:
        return self.metadata.get("annotations") or {}

    @property
    def spec(self) -> dict[str, Any]:
        return self.body.get("spec") or {}

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}" + (f" ({self.source})" if self.source else "")

    @property
    def pod_spec(self) -> dict[str, Any] | None:
        """The pod template's spec for workloads (CronJob and an Argo Rollout with a template of its own included),
        None for everything else."""
        if self.kind in WORKLOAD_KINDS:
            return (self.spec.get("template") or {}).get("spec") or {}
        if self.kind == "Rollout":  # Argo Rollouts: a template of its own, or none when it runs a Deployment's
            return (self.spec["template"].get("spec") or {}) if self.spec.get("template") is not None else None
        if self.kind == "CronJob":
            return ((self.spec.get("jobTemplate") or {}).get("spec") or {}).get("template", {}).get("spec") or {}
        if self.kind == "Pod":
            return self.spec
        return None

    @property
    def workload_ref(self) -> tuple[str, str] | None:
        """(kind, name) of the workload whose pod template a Rollout runs (spec.workloadRef), else None."""
        ref = self.spec.get("workloadRef") if self.kind == "Rollout" else None
        return (str(ref.get("kind", "")), str(ref.get("name", ""))) if ref else None

    @property
    def pod_labels(self) -> dict[str, str]:
        if self.kind == "Pod":
            return self.labels
        template = self.spec.get("template") or {}
        return (template.get("metadata") or {}).get("labels") or {}

    @property
    def containers(self) -> list[Container]:
        """Every container and init container of a workload, with the pod's security context."""
        pod = self.pod_spec
        if pod is None:
            return []
        security = pod.get("securityContext") or {}
        bodies = [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]
        return [Container(body, security) for body in bodies]

    @property
    def automounts_service_account_token(self) -> bool:
        """Kubernetes mounts the token unless the pod (or its ServiceAccount) says false."""
        pod = self.pod_spec if self.pod_spec is not None else self.body
        return pod.get("automountServiceAccountToken") is not False

    def selects(self, labels: dict[str, str]) -> bool:
        """Whether this object's selector matches `labels`: a Service's plain map (empty selects no pod), else a
        LabelSelector (`selector`, or a NetworkPolicy's `podSelector`, where empty selects every pod)."""
        if self.kind == "Service":
            wanted = self.spec.get("selector") or {}
            return bool(wanted) and selector_matches({"matchLabels": wanted}, labels)
        return selector_matches(self.spec.get("selector") or self.spec.get("podSelector"), labels)


class Manifests:
    """Everything one render produced, in helm's order."""

    def __init__(self, items: list[Manifest], *, origin: str) -> None:
        self.items = items
        self.origin = origin  # what was rendered, for error messages

    @classmethod
    def parse(cls, text: str, *, origin: str) -> Manifests:
        """Split helm's multi-document output, keeping each document's `# Source:` template."""
        items = []
        for chunk in re.split(r"^---\s*$", text, flags=re.MULTILINE):
            try:
                body = yaml.load(chunk, Loader=_LOADER)
            except yaml.YAMLError as err:
                raise ConfigError(f"{origin} rendered invalid YAML: {err}") from None
            if not body:
                continue
            if not isinstance(body, dict) or "kind" not in body:
                raise ConfigError(f"{origin} rendered a document that is not a Kubernetes object: {chunk[:120]!r}")
            source = _SOURCE.search(chunk)
            items.append(Manifest(body, source.group(1) if source else None))
        return cls(items, origin=origin)

    def __iter__(self) -> Iterator[Manifest]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def kinds(self) -> list[str]:
        return sorted({m.kind for m in self.items})

    def all(self, kind: str | None = None, labels: dict[str, str] | None = None) -> list[Manifest]:
        """Objects of `kind` (any when None) whose labels include every pair in `labels`."""
        wanted = labels or {}
        return [
            m
            for m in self.items
            if (kind is None or m.kind == kind) and all(m.labels.get(k) == v for k, v in wanted.items())
        ]

    def find(self, kind: str, name: str | None = None) -> Manifest:
        """The one object of `kind` (named `name` when given); a clear error listing what there is otherwise."""
        found = [m for m in self.items if m.kind == kind and (name is None or m.name == name)]
        if len(found) == 1:
            return found[0]
        have = ", ".join(f"{m.kind}/{m.name}" for m in self.items) or "nothing"
        what = f"{kind}/{name}" if name else kind
        if not found:
            raise LookupError(f"{self.origin} rendered no {what}; it rendered: {have}")
        raise LookupError(f"{self.origin} rendered {len(found)} objects matching {what}; name one of them")

    @property
    def workloads(self) -> list[Manifest]:
        return [m for m in self.items if m.pod_spec is not None]

    def to_yaml(self) -> str:
        return "".join(f"---\n{yaml.safe_dump(m.body, sort_keys=True)}" for m in self.items)
