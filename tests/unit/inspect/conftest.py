"""Shared by the inspect view tests: a fake target whose boto3 clients talk to moto's in-process mock."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from stratatest.inspect import AWS

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class FakeTarget:
    """Just enough of a Target: boto3 clients for moto's in-process mock, counted per service."""

    name = "fake"
    region = "us-east-1"

    def __init__(self) -> None:
        self.created: list[str] = []

    def client(self, service: str):
        self.created.append(service)
        return boto3.client(service, region_name=self.region)


@pytest.fixture
def fake_target(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTarget]:
    """A FakeTarget inside `mock_aws()`, with dummy credentials and no profile or endpoint override."""
    for key, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    for key in [k for k in os.environ if k == "AWS_PROFILE" or k.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        yield FakeTarget()


@pytest.fixture
def aws(fake_target: FakeTarget) -> AWS:
    """The `AWS` facade over `fake_target` (shadows the plugin's `aws`, which needs a real target)."""
    return AWS(fake_target)
