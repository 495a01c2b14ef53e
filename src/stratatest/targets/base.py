"""The one interface every target implements, so a test body never knows which target it runs on.

A target is where Terraform applies and where inspection helpers read back: an embedded emulator (moto),
LocalStack, or a real sandbox account. Tests receive the target through fixtures and never branch on it;
a target that cannot assess something says so through `gaps`, and the test is skipped with that reason.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProviderSettings:
    """What the aws provider block needs to talk to this target (rendered into HCL by the harness)."""

    region: str
    attributes: dict[str, Any] = field(default_factory=dict)  # e.g. skip_credentials_validation = true
    endpoint_url: str | None = None  # every service endpoint points here when set


class Target(abc.ABC):
    """A place Terraform applies into and boto3 reads back from."""

    name: str = ""

    def __init__(self, region: str = "us-east-1") -> None:
        self.region = region

    @abc.abstractmethod
    def start(self) -> None:
        """Make the target ready (start a server, check the account); idempotent."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Release what start() took; idempotent and safe after a failed start."""

    @abc.abstractmethod
    def provider_settings(self) -> ProviderSettings:
        """Settings for the aws provider block the harness generates in each working copy."""

    @abc.abstractmethod
    def env(self) -> dict[str, str]:
        """Environment for terraform and boto3 (credentials, CA bundle); never printed or reported."""

    @abc.abstractmethod
    def client(self, service: str) -> Any:
        """A boto3 client for `service` bound to this target."""

    def failure_watch(self) -> Callable[[], str | None] | None:
        """A check the harness polls while terraform runs: a reason to stop it early, or None.

        Emulators use it to fail fast on actions they do not implement, instead of waiting out the
        provider's retries.
        """
        return None

    def gaps(self) -> dict[str, str]:
        """Known things this target cannot assess, by gap id → reason (shown as the skip reason)."""
        return {}

    def describe(self) -> dict[str, Any]:
        """Facts for the results record (name, endpoint, version); no secrets."""
        return {"name": self.name, "region": self.region}

    def __enter__(self) -> Target:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
