"""Correction: each EKS cluster gets its own OIDC issuer, as on AWS.

Gap (moto 5.2.5): `moto.eks.models.ISSUER_TEMPLATE` draws its random id once per process, when the module is
imported, so every cluster a server creates in a Region has the same issuer
`https://oidc.eks.<region>.amazonaws.com/id/<10 characters>`. An IAM OIDC provider is named by its URL, so while one
cluster's `aws_iam_openid_connect_provider` (IRSA) exists, another cluster's fails with `EntityAlreadyExists`, and
the IRSA trust policies of the two clusters would trust each other's service accounts.

Fix: a cluster's issuer id is drawn when the cluster is created: 32 upper-case hex digits, the shape of AWS's
(through moto's random source, so `/moto-api/seed` still makes runs repeatable).
"""

from __future__ import annotations

from typing import Any

from moto.eks.models import Cluster
from moto.moto_api._internal import mock_random as random

ISSUER = "https://oidc.eks.{region}.amazonaws.com/id/{id}"


def apply() -> None:
    """Wrap moto's EKS Cluster.__init__ (idempotent)."""
    original = Cluster.__init__
    if getattr(original, "__stratatest__", False):
        return

    def __init__(self: Cluster, *args: Any, region_name: str, **kwargs: Any) -> None:
        original(self, *args, region_name=region_name, **kwargs)
        issuer = ISSUER.format(region=region_name, id=random.get_random_hex(32).upper())
        self.identity = {"oidc": {"issuer": issuer}}

    __init__.__stratatest__ = True  # type: ignore[attr-defined]
    Cluster.__init__ = __init__  # type: ignore[method-assign]
