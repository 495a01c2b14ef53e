"""A target that lacks a service says why; the layer of an apply test is the target's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stratatest.targets.base import ProviderSettings, Target


class Partial(Target):
    """A target serving only S3 and KMS (the shape of an emulator with few services)."""

    name = "partial"

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def provider_settings(self) -> ProviderSettings:
        return ProviderSettings(region=self.region)

    def env(self) -> dict[str, str]:
        return {}

    def client(self, service: str) -> Any:
        raise NotImplementedError

    def services(self) -> frozenset[str] | None:
        return frozenset({"s3", "kms"})


def test_unsupported_names_what_is_missing(tmp_path: Path) -> None:
    target = Partial(workdir=tmp_path)
    assert target.unsupported({"s3"}) is None
    assert target.unsupported({"s3", "rds", "eks"}) == "partial does not serve eks, rds"


def test_a_target_serving_everything_never_refuses(tmp_path: Path) -> None:
    class Everything(Partial):
        def services(self) -> frozenset[str] | None:
            return None

    assert Everything(workdir=tmp_path).unsupported({"eks", "rds"}) is None


def test_apply_tests_take_the_target_layer(project: pytest.Pytester) -> None:
    """One test body: `apply` is recorded as `emulator` on moto; an `emulator`-pinned test is skipped elsewhere."""
    project.makepyfile(
        test_layers="""
        import pytest
        from stratatest.layers import item_layer, wrong_target

        @pytest.mark.apply
        def test_a(request):
            assert item_layer(request.node, "emulator") == "emulator"
            assert item_layer(request.node, "sandbox") == "sandbox"
            assert wrong_target(request.node, "sandbox") is None

        @pytest.mark.emulator
        def test_b(request):
            assert item_layer(request.node, "sandbox") == "emulator"
            assert "needs a target of the emulator layer" in wrong_target(request.node, "sandbox")
        """,
        test_two="""
        import pytest

        @pytest.mark.plan
        @pytest.mark.apply
        def test_c(request):
            pass
        """,
    )
    result = project.runpytest("-n", "0", "--collect-only", "-q", "test_two.py")
    result.stderr.fnmatch_lines(["*test_c: more than one layer marker (apply, plan)*"])
    result = project.runpytest("-n", "0", "test_layers.py")
    result.assert_outcomes(passed=2)


def test_a_test_pinned_to_another_layer_is_skipped_with_why(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_pinned="""
        import pytest

        pytestmark = pytest.mark.sandbox

        def test_only_in_a_real_account():
            pass
        """
    )
    result = project.runpytest("-n", "0", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*needs a target of the sandbox layer; this run's target is at the emulator layer*"])
