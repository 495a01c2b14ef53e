"""Command-line options, markers, and the selection of tests: by layer, by control, by what the target is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stratatest.errors import StratatestError
from stratatest.layers import APPLY_HELP, APPLY_LAYERS, APPLY_MARKER, LAYER_HELP, LAYERS, item_layer, wrong_target
from stratatest.targets import REGISTRY
from stratatest.targets.spec import REGION, default_spec

PREVIOUS_RELEASE_ENV = "STRATATEST_PREVIOUS_RELEASE"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stratatest")
    group.addoption(
        "--target",
        default=None,
        help=f"where to apply: NAME[:key=value,...], NAME one of {', '.join(REGISTRY)}; "
        f"`stratatest targets` lists their options (default: $STRATATEST_TARGET or {default_spec()})",
    )
    group.addoption("--region", default=None, help="AWS region (default: $STRATATEST_REGION or us-east-1)")
    group.addoption(
        "--layer",
        action="append",
        default=[],
        help=f"run only these layers (repeat or comma-separate): {', '.join(LAYERS)}",
    )
    group.addoption(
        "--control",
        action="append",
        default=[],
        help="run only the tests that assess these control ids (repeat or comma-separate)",
    )
    group.addoption("--run-id", default=None, help="id put in resource names and tags (default: random)")
    group.addoption("--results", default=None, help="write the canonical results JSON here")
    group.addoption("--catalogue", default=None, help="controls catalogue (default: controls/catalogue.yaml)")
    group.addoption("--waivers", default=None, help="waivers file (default: waivers.yaml beside the catalogue)")
    group.addoption(
        "--previous-release",
        default=None,
        help="git ref the upgrade-path tests upgrade from and roll back to (default: $STRATATEST_PREVIOUS_RELEASE, "
        "else the previous-release setting, else the newest tag before HEAD; a pipeline passes the merge base on a "
        "pull request)",
    )


def target_spec(config: pytest.Config) -> str:
    return config.getoption("target") or default_spec()


def region(config: pytest.Config) -> str:
    return config.getoption("region") or os.environ.get("STRATATEST_REGION") or "us-east-1"


def check_region(config: pytest.Config) -> None:
    """A typo in the region would otherwise surface as one provider error per test."""
    if not REGION.match(region(config)):
        raise pytest.UsageError(f"--region {region(config)!r} is not an AWS region name (like us-east-1)")


def previous_release_ref(config: pytest.Config, root: Path) -> str:
    """The git ref upgrade tests start from, as given: `--previous-release`, $STRATATEST_PREVIOUS_RELEASE, the
    `previous-release` setting, else the newest tag before HEAD (StratatestError when the history has none)."""
    from stratatest import git

    given = _given_previous_release(config)
    return given[0] if given else git.previous_release(root)


def previous_release_origin(config: pytest.Config) -> str | None:
    """Where the previous release was named (for an error about it), or None when it is the newest tag."""
    given = _given_previous_release(config)
    return given[1] if given else None


def _given_previous_release(config: pytest.Config) -> tuple[str, str] | None:
    settings = config.stratatest_settings  # type: ignore[attr-defined]
    for ref, origin in (
        (config.getoption("previous_release"), "--previous-release"),
        (os.environ.get(PREVIOUS_RELEASE_ENV), f"${PREVIOUS_RELEASE_ENV}"),
        (settings.previous_release, f"the previous-release setting in {settings.source}"),
    ):
        if ref:
            return ref, origin
    return None


def pytest_configure(config: pytest.Config) -> None:
    for layer in LAYERS:
        config.addinivalue_line("markers", f"{layer}: layer — {LAYER_HELP[layer]}")
    config.addinivalue_line("markers", f"{APPLY_MARKER}: layer — {APPLY_HELP}")
    config.addinivalue_line("markers", "control(*ids): the catalogue controls this test assesses")


def selected_layers(config: pytest.Config) -> set[str]:
    chosen = {part.strip() for value in config.getoption("layer") for part in value.split(",") if part.strip()}
    unknown = chosen - set(LAYERS)
    if unknown:
        raise pytest.UsageError(f"unknown layer(s) {sorted(unknown)}; layers are {', '.join(LAYERS)}")
    return chosen


def selected_controls(config: pytest.Config, catalogue: object) -> set[str]:
    """`--control` ids, each checked against the catalogue (a typo must not silently select nothing)."""
    chosen = {part.strip() for value in config.getoption("control") for part in value.split(",") if part.strip()}
    for control_id in chosen:
        try:
            catalogue.get(control_id)  # type: ignore[attr-defined]
        except StratatestError as err:  # unknown id: one line with "did you mean", no traceback
            raise pytest.UsageError(f"--control: {err}") from None
    return chosen


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from stratatest.compliance.collector import item_controls, validate_items

    catalogue = config.stratatest_catalogue  # type: ignore[attr-defined]
    apply_layer: str = config.stratatest_apply_layer  # type: ignore[attr-defined]
    validate_items(items, catalogue, apply_layer)
    layers = selected_layers(config)
    controls = selected_controls(config, catalogue)
    layer_of = {id(i): item_layer(i, apply_layer) for i in items}  # once: the filter and the order both read it
    keep = [
        i
        for i in items
        if (not layers or layer_of[id(i)] in layers) and (not controls or controls & set(item_controls(i)))
    ]
    if len(keep) < len(items):
        kept = set(map(id, keep))
        config.hook.pytest_deselected(items=[i for i in items if id(i) not in kept])
    for item in keep:
        reason = wrong_target(item, apply_layer)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
    # Apply-heavy layers first (stable within): pytest-xdist hands out whole scopes in this order, so the
    # minutes-long stacks start at once and the quick tests fill the gaps, instead of one stack running alone
    # at the end while the other workers idle.
    items[:] = sorted(keep, key=lambda i: layer_of[id(i)] not in APPLY_LAYERS)
