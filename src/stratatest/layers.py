"""The layers, cheapest first: one marker each; reports describe them with the same words as `--help`."""

from __future__ import annotations

LAYERS = ("static", "plan", "emulator", "cluster", "sandbox")
LAYER_HELP = {
    "static": "no cloud, no credentials: fmt, validate, lint, schema, policy",
    "plan": "assertions on `terraform plan` JSON against the target",
    "emulator": "apply into an AWS emulator, read back, idempotency, destroy",
    "cluster": "deploy to a Kubernetes cluster (kind or EKS)",
    "sandbox": "apply into a real sandbox AWS account (opt-in, allowlisted)",
}
