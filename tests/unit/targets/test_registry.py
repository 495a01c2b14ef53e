"""Targets by spec string: parsed, looked up lazily by name, each parsing its own options; one-line errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from stratatest.errors import ConfigError
from stratatest.targets import REGISTRY, make_target, target_class
from stratatest.targets.services import service_of, services_for
from stratatest.targets.spec import default_spec, parse_spec


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("moto", ("moto", {})),
        ("moto:", ("moto", {})),
        ("localstack:endpoint=http://127.0.0.1:4566", ("localstack", {"endpoint": "http://127.0.0.1:4566"})),
        (" aws:account=123456789012, profile=sb ", ("aws", {"account": "123456789012", "profile": "sb"})),
        ("moto:corrections=", ("moto", {"corrections": ""})),
    ],
)
def test_parse_spec(spec: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "is not a target name"),
        ("Moto", "is not a target name"),
        ("moto:port", "'port' is not key=value"),
        ("moto:=1", "is not key=value"),
        ("moto:port=1,port=2", "'port' is given twice"),
    ],
)
def test_bad_specs_are_one_line(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        parse_spec(spec)
    assert "\n" not in str(err.value)


def test_default_spec_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRATATEST_TARGET", raising=False)
    assert default_spec() == "moto"
    monkeypatch.setenv("STRATATEST_TARGET", "localstack")
    assert default_spec() == "localstack"


def test_targets_load_lazily() -> None:
    """Choosing moto never imports another target's package (their dependencies stay theirs)."""
    assert target_class("moto").name == "moto"
    for name in set(REGISTRY) - {"moto"}:
        module = REGISTRY[name].partition(":")[0]
        if module in sys.modules:
            continue  # another test in this process chose it already
        target_class("moto")
        assert module not in sys.modules


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_target_declares_its_layer_and_options(name: str) -> None:
    cls = target_class(name)
    assert cls.name == name
    assert cls.layer in ("emulator", "sandbox")
    assert all(isinstance(k, str) and v for k, v in cls.OPTIONS.items())


def test_unknown_target_and_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown target 'motto'.*choose one of: moto, localstack, aws"):
        make_target("motto", workdir=tmp_path)
    with pytest.raises(ConfigError, match=r"target 'moto' has no option prot.*its options: port"):
        make_target("moto:prot=4443", workdir=tmp_path)


@pytest.mark.parametrize("port", ["abc", "0", "70000", "-1"])
def test_moto_parses_its_own_options(port: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"port={port!r} is not a TCP port"):
        make_target(f"moto:port={port}", workdir=tmp_path)


def test_moto_options_reach_the_target(tmp_path: Path) -> None:
    target = make_target("moto:port=4443,corrections=none", workdir=tmp_path, region="eu-west-1", run_id="r1")
    assert (target.port, target.corrections, target.region, target.run_id) == (4443, (), "eu-west-1", "r1")
    assert target.spec == "moto:port=4443,corrections=none"
    assert target.layer == "emulator" and not target.outlives_run
    attached = make_target("moto:endpoint=https://127.0.0.1:1,ca_bundle=/x.pem", workdir=tmp_path)
    assert attached.outlives_run
    with pytest.raises(ConfigError, match="ca_bundle goes with endpoint"):
        make_target("moto:ca_bundle=/x.pem", workdir=tmp_path)


@pytest.mark.parametrize(
    ("resource_type", "service"),
    [
        ("aws_eks_node_group", "eks"),
        ("aws_db_instance", "rds"),
        ("aws_db_subnet_group", "rds"),
        ("aws_vpc", "ec2"),
        ("aws_default_security_group", "ec2"),
        ("aws_launch_template", "ec2"),
        ("aws_flow_log", "ec2"),
        ("aws_route_table_association", "ec2"),
        ("aws_cloudwatch_log_group", "logs"),
        ("aws_cloudwatch_metric_alarm", "cloudwatch"),
        ("aws_iam_openid_connect_provider", "iam"),
        ("aws_s3_bucket_policy", "s3"),
        ("aws_dynamodb_table", "dynamodb"),
        ("aws_ssm_parameter", "ssm"),
        ("aws_caller_identity", "sts"),
        ("aws_iam_policy_document", None),
        ("aws_region", None),
    ],
)
def test_service_of_resource_types(resource_type: str, service: str | None) -> None:
    assert service_of(resource_type) == service


def test_services_the_platform_modules_need() -> None:
    types = ["aws_vpc", "aws_subnet", "aws_eks_cluster", "aws_iam_policy_document", "aws_kms_key"]
    assert services_for(types) == {"ec2", "eks", "kms"}
