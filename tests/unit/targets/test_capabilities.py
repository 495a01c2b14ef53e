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


def test_what_the_target_cannot_serve_is_not_assessed(project: pytest.Pytester) -> None:
    """NotAssessable anywhere in a test, and a known gap the test names, are skips with the target's reason."""
    project.makepyfile(
        test_gaps="""
        from stratatest.errors import NotAssessable

        def test_no_http(target):
            target.http_client = lambda service: (_ for _ in ()).throw(NotAssessable("no plain-HTTP endpoint"))
            target.http_client("s3")

        def test_gap(target, without_gaps):
            target.gaps = lambda: {"policy_enforcement": "policies are not evaluated"}
            without_gaps("policy_enforcement")

        def test_other_gap(target, without_gaps):
            target.gaps = lambda: {"policy_enforcement": "policies are not evaluated"}
            without_gaps("something_else")
        """
    )
    result = project.runpytest("-n", "0", "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*not assessed: no plain-HTTP endpoint*",
            "*not assessed on moto: policy_enforcement: policies are not evaluated*",
        ]
    )
