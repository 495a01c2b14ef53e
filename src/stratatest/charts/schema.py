"""Offline schema validation of rendered objects: built-in kinds and the CRDs the platform uses.

Built-in kinds are checked with kubernetes-validate's bundled OpenAPI schemas for the cluster's Kubernetes
version, strictly (unknown fields are errors: a misspelt `readOnlyRootFileSystem` would otherwise be dropped by
the API server and the control silently lost). The Prometheus operator's CRDs are checked with the typed models
of cloudcoil-models-prometheus-operator, also strictly. Argo Rollouts' Rollout and AnalysisTemplate are checked with
the typed models from npm that `argo_schema` installs and runs (unknown fields included), or reported not validated
with the reason where node or npm cannot be had. Any other kind gets NOT_VALIDATED with the reason: a CRD nothing
here can check is reported as such, never as valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import kubernetes_validate
from pydantic import BaseModel, ValidationError

from stratatest.charts import argo_schema
from stratatest.charts.manifests import Manifest


class Status(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    NOT_VALIDATED = "not-validated"


@dataclass(frozen=True)
class Validation:
    manifest: Manifest
    status: Status
    detail: str = ""  # the errors when invalid, the reason when not validated

    def __str__(self) -> str:
        return f"{self.manifest.ref}: {self.status}" + (f" — {self.detail}" if self.detail else "")


#: CRDs validated by cloudcoil's Prometheus Operator models; the module is imported only for an object of these
#: kinds (its pydantic models take seconds to build, and most runs validate none).
PROMETHEUS_OPERATOR_KINDS = {
    ("monitoring.coreos.com/v1", kind) for kind in ("ServiceMonitor", "PrometheusRule", "PodMonitor")
}


def _crd_model(api_version: str, kind: str) -> type[BaseModel] | None:
    if (api_version, kind) not in PROMETHEUS_OPERATOR_KINDS:
        return None
    from cloudcoil.models.prometheus_operator import v1

    return getattr(v1, kind)


def validate(manifest: Manifest, kubernetes_version: str) -> Validation:
    """One object against its schema; never raises for a bad object, only reports."""
    model = _crd_model(manifest.api_version, manifest.kind)
    if model is not None:
        return _validate_crd(manifest, model)
    if (manifest.api_version, manifest.kind) in argo_schema.KINDS:
        return _validate_argo(manifest)
    try:
        kubernetes_validate.validate(manifest.body, kubernetes_version, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return Validation(
            manifest,
            Status.NOT_VALIDATED,
            f"no schema for {manifest.api_version} {manifest.kind} in Kubernetes {kubernetes_version} or the CRD "
            "models stratatest has",
        )
    except kubernetes_validate.ValidationError as err:
        where = ".".join(str(p) for p in err.path) or "(top level)"
        return Validation(manifest, Status.INVALID, f"{where}: {err.message}")
    return Validation(manifest, Status.VALID)


def _validate_argo(manifest: Manifest) -> Validation:
    verdict = argo_schema.check(manifest.body)
    if isinstance(verdict, str):
        return Validation(manifest, Status.NOT_VALIDATED, f"{argo_schema.MODEL} cannot run here: {verdict}")
    if verdict.errors:
        return Validation(manifest, Status.INVALID, "; ".join(verdict.errors))
    if verdict.unknown:
        return Validation(manifest, Status.INVALID, f"unknown field(s): {', '.join(verdict.unknown)}")
    return Validation(manifest, Status.VALID)


def _validate_crd(manifest: Manifest, model: type[BaseModel]) -> Validation:
    try:
        parsed = model.model_validate(manifest.body)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return Validation(manifest, Status.INVALID, f"{where}: {first['msg']} ({err.error_count()} error(s))")
    unknown = _dropped(manifest.body, parsed.model_dump(by_alias=True, exclude_unset=True, mode="json"))
    if unknown:
        return Validation(manifest, Status.INVALID, f"unknown field(s): {', '.join(unknown)}")
    return Validation(manifest, Status.VALID)


def _dropped(given: Any, kept: Any, path: str = "") -> list[str]:
    """Paths present in the input but not in the model's dump: fields the CRD does not define."""
    if isinstance(given, dict) and isinstance(kept, dict):
        return [
            p
            for key, value in given.items()
            for p in ([f"{path}{key}"] if key not in kept else _dropped(value, kept[key], f"{path}{key}."))
        ]
    if isinstance(given, list) and isinstance(kept, list):
        return [p for i, (g, k) in enumerate(zip(given, kept, strict=False)) for p in _dropped(g, k, f"{path}{i}.")]
    return []
