"""The layers, cheapest first, and the one rule that gives a test its layer.

One marker each; reports describe them with the same words as `--help`. Apply tests carry the `apply` marker
instead of a layer: their layer is the target's (`emulator` on moto or LocalStack, `sandbox` on a real
account), so the same test body is recorded at whichever layer it actually ran.
"""

from __future__ import annotations

import pytest

LAYERS = ("static", "plan", "emulator", "cluster", "sandbox")
LAYER_HELP = {
    "static": "no cloud, no credentials: fmt, validate, lint, schema, policy",
    "plan": "assertions on `terraform plan` JSON against the target",
    "emulator": "apply into an AWS emulator, read back, idempotency, destroy",
    "cluster": "deploy to a Kubernetes cluster (kind or EKS)",
    "sandbox": "apply into a real sandbox AWS account (opt-in, allowlisted)",
}
#: Layers whose tests apply real stacks and take minutes per module.
APPLY_LAYERS = ("emulator", "cluster", "sandbox")
#: The marker of a test that applies into whatever target the run has; its layer is the target's.
APPLY_MARKER = "apply"
APPLY_HELP = "apply into the run's target: recorded at the target's layer (emulator, or sandbox on real AWS)"


def item_layer(item: pytest.Item, apply_layer: str) -> str | None:
    """The layer marker closest to the test (function over class over module); else the layer of the stratatest
    fixtures it uses (`FIXTURE_LAYERS`); else None (a test that is not stratatest's, such as the suite's own).

    A module-wide `pytestmark = pytest.mark.plan` can be overridden on one function; two different layers on
    the same node (e.g. a decorator and a param mark) is a contract violation. `apply` resolves to
    `apply_layer`, the layer of the run's target.
    """
    by_node: dict[int, list[str]] = {}
    for node, marker in item.iter_markers_with_node():
        if marker.name in LAYERS or marker.name == APPLY_MARKER:
            names = by_node.setdefault(id(node), [])
            if marker.name not in names:
                names.append(marker.name)
    if not by_node:
        return _layer_of_fixtures(item, apply_layer)
    closest = next(iter(by_node.values()))
    if len(closest) > 1:
        raise pytest.UsageError(
            f"{item.nodeid}: more than one layer marker ({', '.join(closest)}); a test belongs to one layer"
        )
    return apply_layer if closest[0] == APPLY_MARKER else closest[0]


#: A test with no layer marker that uses one of these fixtures is at that layer (checked in this order).
FIXTURE_LAYERS = (("stacks", APPLY_MARKER), ("upgrade_path", APPLY_MARKER), ("plan_of", "plan"))


def _layer_of_fixtures(item: pytest.Item, apply_layer: str) -> str | None:
    """An unmarked test's layer, from the stratatest fixtures it uses: a team's first test needs no marker."""
    used = set(getattr(item, "fixturenames", ()))
    layer = next((layer for name, layer in FIXTURE_LAYERS if name in used), None)
    return apply_layer if layer == APPLY_MARKER else layer


def wrong_target(item: pytest.Item, apply_layer: str) -> str | None:
    """Why a test pinned to one apply layer (`emulator` or `sandbox`) cannot run on this target, or None."""
    layer = item_layer(item, apply_layer)
    if layer in ("emulator", "sandbox") and layer != apply_layer and item.get_closest_marker(layer) is not None:
        return f"needs a target of the {layer} layer; this run's target is at the {apply_layer} layer"
    return None
