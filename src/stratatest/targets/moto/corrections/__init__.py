"""Corrections of moto behaviour that differs from AWS in ways that break Terraform or security checks.

Each correction patches moto's own classes inside the server process the suite starts (never the Terraform
module under test), is pinned to the moto version it was written against, and has two tests: one that shows
the gap on plain moto (so it fails the day moto fixes it upstream and the correction can go) and one that
shows it corrected. Importing this package does not import moto; `apply` does.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from stratatest.errors import ConfigError

__all__ = ["CORRECTIONS", "REPLAYED", "Correction", "RequestInfo", "current_request", "select"]

MOTO_VERSION = "5.2.5"


@dataclass(frozen=True)
class RequestInfo:
    """What the listener knows about the request and moto does not: its transport, action and SDK attempt."""

    scheme: str  # "https" or "http"
    tls_version: str | None = None  # e.g. "TLSv1.3"; None over plain HTTP
    action: str | None = None  # e.g. "CreateLaunchTemplate", when the request names one (not REST routes)
    invocation_id: str | None = None  # amz-sdk-invocation-id: the same on every attempt of one SDK call
    attempt: int | None = None  # from amz-sdk-request: attempt=N; max=M


#: Set by the server's middleware for the request being handled (one thread per request).
current_request: ContextVar[RequestInfo | None] = ContextVar("stratatest_moto_request", default=None)

#: The WSGI environ key a correction sets when it answered with a stored answer instead of running moto.
REPLAYED = "stratatest.replayed"


@dataclass(frozen=True)
class Correction:
    """One documented fix of a moto gap; `apply` patches moto in the current process."""

    name: str
    gap: str  # one sentence: what moto does wrong
    apply: Callable[[], None]
    moto_version: str = MOTO_VERSION


def _module_apply(module: str) -> Callable[[], None]:
    """Import the correction module only when applied, so selecting corrections never imports moto."""

    def apply() -> None:
        importlib.import_module(f"{__name__}.{module}").apply()

    return apply


CORRECTIONS: tuple[Correction, ...] = (
    Correction(
        name="s3_secure_transport",
        gap=(
            "moto evaluates bucket policies on object requests without a request context and ignores "
            "condition operators it does not know, so a TLS-only policy (Deny when aws:SecureTransport is "
            "false) denies every object request, even over HTTPS."
        ),
        apply=_module_apply("s3_secure_transport"),
    ),
    Correction(
        name="kms_rotation_period",
        gap=(
            "moto's EnableKeyRotation ignores RotationPeriodInDays and GetKeyRotationStatus never returns "
            "it, so aws_kms_key shows rotation_period_in_days drift on every plan."
        ),
        apply=_module_apply("kms_rotation_period"),
    ),
    Correction(
        name="s3_delete_marker_dispose",
        gap=(
            "moto crashes (500 AttributeError) deleting a key that has delete markers once the bucket's "
            "versioning is suspended, so destroying a versioned bucket with force_destroy retries for minutes."
        ),
        apply=_module_apply("s3_delete_marker_dispose"),
    ),
    Correction(
        name="eks_addon",
        gap=(
            "moto has no EKS add-on API (CreateAddon answers a 404 HTML page), so aws_eks_addon fails with "
            "\"invalid character '<'\"."
        ),
        apply=_module_apply("eks_addon"),
    ),
    Correction(
        name="eks_update",
        gap=(
            "moto answers EKS cluster updates without an update object, stores no node-group update and lacks "
            "DescribeUpdate, UpdateClusterVersion and UpdateNodegroupVersion, so updating an EKS cluster or "
            "node group in place fails."
        ),
        apply=_module_apply("eks_update"),
    ),
    Correction(
        name="eks_node_group_drift",
        gap=(
            "moto invents remoteAccess for node groups created without it and drops their updateConfig, so "
            "aws_eks_node_group is replaced on every plan."
        ),
        apply=_module_apply("eks_node_group_drift"),
    ),
    Correction(
        name="eks_cluster_security_group",
        gap=(
            "moto's CreateCluster creates no cluster security group, so DescribeCluster has no "
            "clusterSecurityGroupId and aws_eks_cluster's vpc_config cluster_security_group_id is empty."
        ),
        apply=_module_apply("eks_cluster_security_group"),
    ),
    Correction(
        name="launch_template_drift",
        gap=(
            "moto copies a launch template's own tags into its version data's TagSpecifications, so "
            "aws_launch_template shows tag_specifications drift on every plan."
        ),
        apply=_module_apply("launch_template_drift"),
    ),
    Correction(
        name="db_parameter_group_drift",
        gap=(
            "moto returns DB parameters set by ModifyDBParameterGroup without Source=user and ignores the "
            "Source filter, so aws_db_parameter_group re-adds its parameters on every plan."
        ),
        apply=_module_apply("db_parameter_group_drift"),
    ),
    Correction(
        name="ebs_default_kms_key",
        gap=(
            "moto lacks GetEbsDefaultKmsKeyId and ResetEbsDefaultKmsKeyId (500 NotImplementedError), so "
            "aws_ebs_default_kms_key can be neither read back nor destroyed."
        ),
        apply=_module_apply("ebs_default_kms_key"),
    ),
    Correction(
        name="guardduty_detector_features",
        gap=(
            "moto's UpdateDetector replaces the whole feature list instead of updating the named features, so a "
            "second aws_guardduty_detector_feature erases the first and the plan is never clean."
        ),
        apply=_module_apply("guardduty_detector_features"),
    ),
    Correction(
        name="eks_node_group_tags",
        gap=(
            "moto's EKS TagResource, UntagResource and ListTagsForResource know only cluster ARNs (404 on a node "
            "group's), so changing an aws_eks_node_group's tags fails with NotFoundException."
        ),
        apply=_module_apply("eks_node_group_tags"),
    ),
    Correction(
        name="guardduty_detector_tags",
        gap=(
            "moto has no GuardDuty TagResource, UntagResource or ListTagsForResource (a 404 HTML page), so changing "
            "an aws_guardduty_detector's tags fails with \"invalid character '<'\"."
        ),
        apply=_module_apply("guardduty_detector_tags"),
    ),
    Correction(
        name="sdk_retry_replay",
        gap=(
            "moto runs every attempt it receives, so when an SDK retries a call whose first attempt moto already "
            "executed (its answer lost or late), a create fails with AlreadyExists and a revoke with NotFound."
        ),
        apply=_module_apply("sdk_retry_replay"),
    ),
    Correction(
        name="eks_oidc_issuer",
        gap=(
            "moto draws one OIDC issuer id per server process, so every EKS cluster in a Region shares its issuer "
            "and a second cluster's aws_iam_openid_connect_provider fails with EntityAlreadyExists."
        ),
        apply=_module_apply("eks_oidc_issuer"),
    ),
    Correction(
        name="cloudtrail_trail_filter",
        gap=(
            "moto's DescribeTrails ignores trailNameList and answers every trail, so with two trails in the "
            "emulator the aws provider's read of one fails with 'too many results: wanted 1, got 2'."
        ),
        apply=_module_apply("cloudtrail_trail_filter"),
    ),
)


def select(spec: str) -> tuple[Correction, ...]:
    """Resolve "all", "none" or a comma list of names; an unknown name is a clear error."""
    spec = spec.strip()
    if spec == "all":
        return CORRECTIONS
    if spec in ("none", ""):
        return ()
    by_name = {c.name: c for c in CORRECTIONS}
    names = [n.strip() for n in spec.split(",") if n.strip()]
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ConfigError(
            f"unknown moto correction(s): {', '.join(unknown)}",
            hint=f'use "all", "none" or names from: {", ".join(by_name)}',
        )
    return tuple(by_name[n] for n in dict.fromkeys(names))
