"""The LocalStack target: a LocalStack someone else runs on this machine, which the suite only attaches to.

`--target localstack[:endpoint=http://127.0.0.1:4566,wait=60]`. Start one with `scripts/localstack start`
(no Docker: LocalStack from PyPI in its own Python 3.13 venv) or with
`docker compose -f docker-compose.localstack.yml up -d`. The suite never starts or stops LocalStack itself:
`start()` waits for its health endpoint and learns from it the version, the edition and the services it
serves. A module that needs a service missing from that list is skipped with a reason naming LocalStack,
not failed. What differs from AWS is listed in `KNOWN_GAPS` and in docs/emulator-gaps.md.

The endpoint must be on this machine: the suite sends dummy credentials to it and applies to it freely, and
neither is safe anywhere else. The harness builds terraform's environment from `os.environ` minus every
`AWS_*` variable, plus `env()`, so a user's real credentials never reach it.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from stratatest.errors import ConfigError, TargetError
from stratatest.targets.base import ProviderSettings, Target
from stratatest.targets.emulator import emulator_client, emulator_env, emulator_provider
from stratatest.targets.localstack import health as _health
from stratatest.targets.localstack.health import Health, NoHealth

__all__ = ["DEFAULT_ENDPOINT", "KNOWN_GAPS", "LocalStackTarget"]

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
DEFAULT_WAIT_S = 60.0
#: LocalStack accepts any keys. With these, it puts everything in account 000000000000.
ACCESS_KEY = "test"
SECRET_KEY = "test"
START_HINT = "start it with scripts/localstack start or docker compose -f docker-compose.localstack.yml up -d"

#: Behaviour that differs from AWS on LocalStack community 2026.3.0, by gap id → reason (docs/emulator-gaps.md).
KNOWN_GAPS: dict[str, str] = {
    "policy_enforcement": "LocalStack community evaluates neither bucket nor IAM policies: a bucket policy "
    "denying plain HTTP (aws:SecureTransport false) lets every request through, and so does a user with no policy",
    "launch_template_drift": "LocalStack 2026.3.0 copies a launch template's own tags into its first version's "
    "TagSpecifications, so aws_launch_template shows drift on every plan",
    "flow_log_delivery_status": "LocalStack 2026.3.0 reports a flow log to a CloudWatch log group given by ARN "
    "as DeliverLogsStatus FAILED ('Access error') although the group exists; no flow records are ever delivered",
    "lambda_functions": "LocalStack runs Lambda functions in Docker containers; with no Docker socket "
    "(scripts/localstack, or the compose file, which mounts none) a function ends in state Failed, and deleting "
    "it then answers 500 InternalError",
}


class LocalStackTarget(Target):
    """A running LocalStack on a loopback endpoint; `start()` only checks that it answers."""

    name = "localstack"
    layer = "emulator"
    OPTIONS: ClassVar[dict[str, str]] = {
        "endpoint": f"LocalStack's URL, on this machine only; default {DEFAULT_ENDPOINT}",
        "wait": f"seconds to wait for its health endpoint to answer; default {DEFAULT_WAIT_S:g}",
    }

    def __init__(
        self,
        region: str = "us-east-1",
        *,
        workdir: Path | None = None,
        run_id: str = "",
        endpoint: str = DEFAULT_ENDPOINT,
        wait: float = DEFAULT_WAIT_S,
    ) -> None:
        super().__init__(region, workdir=workdir, run_id=run_id)
        self.endpoint = _loopback(endpoint)
        self.wait = _positive_seconds(wait)
        self._health: Health | None = None

    @classmethod
    def from_options(cls, options: dict[str, str], *, region: str, workdir: Path, run_id: str) -> LocalStackTarget:
        """Type and check `endpoint` and `wait`; a bad value is a one-line ConfigError."""
        wait = _positive_seconds(options["wait"]) if "wait" in options else DEFAULT_WAIT_S
        endpoint = options.get("endpoint", DEFAULT_ENDPOINT)
        return cls(region, workdir=workdir, run_id=run_id, endpoint=endpoint, wait=wait)

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> None:
        """Wait (at most `wait` seconds) until LocalStack's health endpoint answers, and read it; idempotent."""
        if self._health is not None:
            return
        try:
            self._health = _health.wait(self.endpoint, self.wait)
        except NoHealth as err:
            raise TargetError(
                f"localstack: no LocalStack answered at {self.endpoint} within {self.wait:g} s ({err})",
                hint=START_HINT,
            ) from None

    def preflight(self) -> None:
        """A LocalStack that is not running is the commonest mistake: say so once, before any worker starts."""
        self.start()

    def stop(self) -> None:
        """Nothing to release: LocalStack belongs to whoever started it, and its state stays for inspection."""

    @property
    def health(self) -> Health:
        """What LocalStack said at start: version, edition, service statuses."""
        if self._health is None:
            raise TargetError("localstack: the target is not started", hint="call start() first")
        return self._health

    # -- Target interface --------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """Dummy credentials and the endpoint; terraform's env is os.environ minus AWS_* plus this."""
        return emulator_env(self.region, self.endpoint, (ACCESS_KEY, SECRET_KEY))

    def provider_settings(self) -> ProviderSettings:
        return emulator_provider(self.region, self.endpoint, (ACCESS_KEY, SECRET_KEY))

    def client(self, service: str, *, max_attempts: int = 3) -> Any:
        """A boto3 client on the endpoint with the dummy keys, whatever AWS_PROFILE or AWS_ENDPOINT_URL say.

        Without `Expect: 100-continue`: LocalStack's server (hypercorn) answers it with a bare `HTTP/1.1 100`
        status line, which botocore does not recognise, so every PutObject and UploadPart would fail with
        "Connection was closed". The body is sent at once instead, which changes nothing else.
        """
        from botocore.handlers import add_expect_header

        keys = (ACCESS_KEY, SECRET_KEY)
        client = emulator_client(
            service, region=self.region, endpoint=self.endpoint, keys=keys, max_attempts=max_attempts
        )
        client.meta.events.unregister("before-call.s3", add_expect_header)  # this client's copy of the hooks
        return client

    def http_client(self, service: str, *, max_attempts: int = 3) -> Any:
        """LocalStack's one endpoint is plain HTTP already (see `gaps()`: it does not enforce bucket policies)."""
        return self.client(service, max_attempts=max_attempts)

    def services(self) -> frozenset[str]:
        """The services LocalStack's health document lists as available or running (boto3 names)."""
        return self.health.served

    def unsupported(self, services: Iterable[str]) -> str | None:
        """E.g. `LocalStack community 2026.3.0 at http://127.0.0.1:4566 does not serve eks, rds (not in its
        service list)`: the missing services grouped by why LocalStack lacks each."""
        missing = sorted(set(services) - self.services())
        if not missing:
            return None
        by_reason: dict[str, list[str]] = {}
        for service in missing:
            by_reason.setdefault(self.health.why_not(service), []).append(service)
        parts = "; ".join(f"{', '.join(names)} ({why})" for why, names in by_reason.items())
        return f"{self.health.label} at {self.endpoint} does not serve {parts}"

    def gaps(self) -> dict[str, str]:
        return dict(KNOWN_GAPS)

    def describe(self) -> dict[str, Any]:
        facts: dict[str, Any] = {**super().describe(), "endpoint": self.endpoint}
        if self._health is not None:
            facts |= {
                "localstack_version": self._health.version,
                "edition": self._health.edition,
                "services": sorted(self._health.served),
            }
        return facts


def _bad(option: str, value: str, allowed: str) -> ConfigError:
    return ConfigError(f"localstack: {option}={value!r} is not allowed", hint=f"give {allowed}")


def _positive_seconds(value: str | float) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise _bad("wait", str(value), "a positive number of seconds")
    return seconds


def _loopback(endpoint: str) -> str:
    """`http://<loopback>:PORT`, else ConfigError: dummy keys and free applies are for this machine only.

    Plain HTTP only: LocalStack's HTTPS on the same port has a certificate for another name.
    """
    url = urlsplit(endpoint.strip())
    try:
        port = url.port
    except ValueError:
        port = None
    host = url.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    plain = url.path in ("", "/") and not (url.query or url.fragment or url.username)
    if url.scheme != "http" or not loopback or not port or not plain:
        raise _bad("endpoint", endpoint, "LocalStack on this machine: http://127.0.0.1:PORT or http://localhost:PORT")
    return f"http://{url.netloc}"
