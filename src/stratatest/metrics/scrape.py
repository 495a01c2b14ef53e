"""A Prometheus scrape config derived from a rendered ServiceMonitor, the way the Prometheus operator derives it.

No cluster exists here, so the Service's pods are stood in for by one locally running process (`address`), but
everything else follows the operator: one job per ServiceMonitor endpoint (`serviceMonitor/<ns>/<name>/<i>`), the
`job` label = the Service name (or the Service label named by `jobLabel`), and the target labels `namespace`,
`service`, `pod`, `container` and `endpoint` (the port name) set as the operator's relabelings set them. Metrics
path, interval, timeout and scheme come from the endpoint. A field the operator honours but this module does not
translate (relabelings, TLS, auth, ...) is refused with a ConfigError: ignoring it would test a different config.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from stratatest.charts.manifests import Manifest, Manifests, selector_matches
from stratatest.errors import ConfigError

#: ServiceMonitor.spec fields translated below; any other field is refused.
SPEC_FIELDS = frozenset({"selector", "namespaceSelector", "endpoints", "jobLabel", "targetLabels", "podTargetLabels"})
#: Endpoint fields translated below.
ENDPOINT_FIELDS = frozenset(
    {"port", "path", "scheme", "interval", "scrapeTimeout", "honorLabels", "honorTimestamps", "params"}
)


@dataclass(frozen=True)
class ScrapeJob:
    """One ServiceMonitor endpoint applied to one selected Service."""

    job_name: str  # the operator's scrape pool name
    source: str  # e.g. "ServiceMonitor/sample endpoints[0] → Service/sample port http"
    metrics_path: str
    scheme: str
    labels: dict[str, str]  # job, namespace, service, pod, container, endpoint (+ targetLabels/podTargetLabels)
    interval: str | None = None  # None: Prometheus's global scrape_interval, as with the operator
    scrape_timeout: str | None = None
    honor_labels: bool = False
    honor_timestamps: bool | None = None
    params: dict[str, list[str]] = field(default_factory=dict)

    @property
    def job(self) -> str:
        return self.labels["job"]

    def scrape_config(self, address: str) -> dict[str, Any]:
        """The `scrape_configs` entry scraping `address` (host:port) in place of the Service's pods."""
        config: dict[str, Any] = {
            "job_name": self.job_name,
            "metrics_path": self.metrics_path,
            "scheme": self.scheme,
            "honor_labels": self.honor_labels,
            "static_configs": [{"targets": [address], "labels": dict(self.labels)}],
        }
        optional = {
            "scrape_interval": self.interval,
            "scrape_timeout": self.scrape_timeout,
            "honor_timestamps": self.honor_timestamps,
            "params": self.params or None,
        }
        config.update({key: value for key, value in optional.items() if value is not None})
        return config


def _namespace(manifest: Manifest, default: str | None) -> str:
    namespace = manifest.namespace or default
    if not namespace:
        raise ConfigError(f"{manifest.ref} has no namespace and none was given (pass namespace=)")
    return namespace


def _namespace_selected(monitor: Manifest, namespace: str, default: str | None) -> bool:
    selector = monitor.spec.get("namespaceSelector") or {}
    if selector.get("any"):
        return True
    names = selector.get("matchNames")
    return namespace in names if names else namespace == _namespace(monitor, default)


def selected_services(monitor: Manifest, manifests: Manifests, namespace: str | None = None) -> list[Manifest]:
    """The Services of `manifests` that `monitor` selects (namespace selector and label selector)."""
    selector = monitor.spec.get("selector")
    if selector is None:
        raise ConfigError(f"{monitor.ref} has no spec.selector")
    return [
        service
        for service in manifests.all(kind="Service")
        if _namespace_selected(monitor, _namespace(service, namespace), namespace)
        and selector_matches(selector, service.labels)
    ]


def unmonitored_services(manifests: Manifests, namespace: str | None = None) -> list[Manifest]:
    """Services no ServiceMonitor in `manifests` selects: nobody would scrape them."""
    monitors = manifests.all(kind="ServiceMonitor")
    chosen = {id(s) for monitor in monitors for s in selected_services(monitor, manifests, namespace)}
    return [service for service in manifests.all(kind="Service") if id(service) not in chosen]


def _refuse_unknown(monitor: Manifest, where: str, given: Iterable[str], known: frozenset[str]) -> None:
    unknown = sorted(set(given) - known)
    if unknown:
        raise ConfigError(
            f"{monitor.ref} {where} uses {', '.join(unknown)}, which stratatest does not translate into a local "
            f"scrape config (translated: {', '.join(sorted(known))}); testing without it would test another config"
        )


def _backing_pod(service: Manifest, manifests: Manifests, port: dict[str, Any]) -> tuple[Manifest, str]:
    """The workload whose pods `service` selects and the container serving the Service port's targetPort."""
    workloads = [w for w in manifests if w.pod_spec is not None and w.kind != "Pod" and service.selects(w.pod_labels)]
    if len(workloads) != 1:
        found = ", ".join(w.ref for w in workloads) or "none"
        raise ConfigError(f"{service.ref} must select exactly one workload's pods to stand in for; selects {found}")
    target = port.get("targetPort", port.get("port"))
    for container in workloads[0].containers:
        for container_port in container.body.get("ports") or []:
            if target in (container_port.get("name"), container_port.get("containerPort")):
                return workloads[0], container.name
    raise ConfigError(f"no container of {workloads[0].ref} serves targetPort {target!r} of {service.ref}")


#: Pod-name suffixes the controllers would generate (ReplicaSet hash + random suffix; StatefulSet ordinal), so
#: alert selectors such as `pod=~"sample-[a-z0-9]+-[a-z0-9]{5}"` match the stand-in as they would a real pod.
POD_SUFFIXES = {"Deployment": "5c7d9f8b6d-l0cal", "StatefulSet": "0", "DaemonSet": "l0cal"}


def scrape_jobs(manifests: Manifests, *, namespace: str | None = None) -> list[ScrapeJob]:
    """Every (ServiceMonitor endpoint, selected Service) pair of a render as the operator would scrape it.

    `namespace` is the release namespace, for objects helm rendered without metadata.namespace. The pod label is
    a name a pod of the backing workload could have (POD_SUFFIXES). A ServiceMonitor that selects no Service, or
    names a port the Service lacks, is a ConfigError: Prometheus would silently scrape nothing.
    """
    jobs: list[ScrapeJob] = []
    for monitor in manifests.all(kind="ServiceMonitor"):
        _refuse_unknown(monitor, "spec", monitor.spec, SPEC_FIELDS)
        services = selected_services(monitor, manifests, namespace)
        if not services:
            raise ConfigError(f"{monitor.ref} selects no Service in {manifests.origin}")
        monitor_ns = _namespace(monitor, namespace)
        for index, endpoint in enumerate(monitor.spec.get("endpoints") or []):
            _refuse_unknown(monitor, f"endpoints[{index}]", endpoint, ENDPOINT_FIELDS)
            port_name = endpoint.get("port")
            if not port_name:
                raise ConfigError(f"{monitor.ref} endpoints[{index}] names no port (a Service port name)")
            for service in services:
                port = next((p for p in service.spec.get("ports") or [] if p.get("name") == port_name), None)
                if port is None:
                    where = f"{monitor.ref} endpoints[{index}] port {port_name!r}"
                    raise ConfigError(f"{where} is not a port of {service.ref}")
                workload, container = _backing_pod(service, manifests, port)
                jobs.append(_job(monitor, index, endpoint, service, workload, container, monitor_ns, namespace))
    return jobs


def _job(
    monitor: Manifest,
    index: int,
    endpoint: dict[str, Any],
    service: Manifest,
    workload: Manifest,
    container: str,
    monitor_ns: str,
    namespace: str | None,
) -> ScrapeJob:
    job_label = monitor.spec.get("jobLabel")
    job = service.labels.get(job_label, service.name) if job_label else service.name
    labels = {
        "namespace": _namespace(service, namespace),
        "service": service.name,
        "pod": f"{workload.name}-{POD_SUFFIXES[workload.kind]}",
        "container": container,
        "endpoint": str(endpoint["port"]),
    }
    for name in monitor.spec.get("targetLabels") or []:
        if name in service.labels:
            labels[name] = service.labels[name]
    for name in monitor.spec.get("podTargetLabels") or []:
        if name in workload.pod_labels:
            labels[name] = workload.pod_labels[name]
    labels["job"] = job
    return ScrapeJob(
        job_name=f"serviceMonitor/{monitor_ns}/{monitor.name}/{index}",
        source=f"{monitor.ref} endpoints[{index}] → {service.ref} port {endpoint['port']}",
        metrics_path=endpoint.get("path") or "/metrics",
        scheme=endpoint.get("scheme") or "http",
        labels=labels,
        interval=endpoint.get("interval") or None,
        scrape_timeout=endpoint.get("scrapeTimeout") or None,
        honor_labels=bool(endpoint.get("honorLabels", False)),
        honor_timestamps=endpoint.get("honorTimestamps"),
        params={k: [str(v) for v in vs] for k, vs in (endpoint.get("params") or {}).items()},
    )
