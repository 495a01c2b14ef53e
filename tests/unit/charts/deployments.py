"""What the environments deploy from charts/: shared by the chart layer's tests (data, not fixtures)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ENVS = ("dev", "staging", "prod")
#: Each chart as the GitOps Applications deploy it: release, namespace and the service's own values.
DEPLOYMENTS = {
    "sample": {"chart": "microservice", "values": ["services/sample/values.yaml"], "namespace": "sample"},
    "log-shipper": {"chart": "log-shipper", "values": [], "namespace": "logging"},
}


def kubernetes_version(env: str) -> str:
    """The EKS version the environment runs (terraform/envs/<env>/main.tf): what the manifests must fit."""
    text = (ROOT / "terraform" / "envs" / env / "main.tf").read_text()
    match = re.search(r'^\s*kubernetes_version\s*=\s*"([0-9.]+)"', text, re.MULTILINE)
    assert match, f"terraform/envs/{env}/main.tf sets no kubernetes_version"
    return match.group(1)
