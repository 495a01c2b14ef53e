"""LocalStack's health document (`GET /_localstack/health`): what it serves, which version and edition.

The health document lists each service LocalStack knows with a status. Only "available" (loads on first
use) and "running" mean it answers. "disabled" means the service was left out of its `SERVICES` setting.
A service that is missing from the list is not emulated by that edition at all (the community edition has
no EKS, RDS, ECR, Auto Scaling or GuardDuty). LocalStack names services as boto3 does, so no mapping is
needed (a test checks this).
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

PATH = "/_localstack/health"
SERVED = frozenset({"available", "running"})
#: Loopback only: a user's HTTP(S)_PROXY must not carry this request elsewhere.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class NoHealth(Exception):
    """Nothing (or something other than LocalStack) answered; the message is one line."""


@dataclass(frozen=True)
class Health:
    """One reading of the health document."""

    version: str
    edition: str  # "community", "pro", ...; "unknown" when the install carries no edition marker
    statuses: dict[str, str]  # service → status, as LocalStack reports them

    @property
    def served(self) -> frozenset[str]:
        return frozenset(s for s, status in self.statuses.items() if status in SERVED)

    @property
    def label(self) -> str:
        """`LocalStack community 2026.3.0`, the way the reasons and the record name it."""
        if self.edition in ("", "unknown"):
            return f"LocalStack {self.version} (edition unknown)"
        return f"LocalStack {self.edition} {self.version}"

    def why_not(self, service: str) -> str:
        """Why `service` is not served, in a few words."""
        status = self.statuses.get(service)
        if status is None:
            return "not in its service list"
        if status == "disabled":
            return "disabled: not in its SERVICES setting"
        return f"status {status!r}"


def read(endpoint: str, timeout: float) -> Health:
    """One GET of the health document; NoHealth when nothing answers or the answer is not LocalStack's."""
    try:
        with _OPENER.open(endpoint + PATH, timeout=timeout) as response:
            document = json.loads(response.read())
    except urllib.error.HTTPError as err:
        raise NoHealth(f"HTTP {err.code} from {endpoint}{PATH}") from None
    except (OSError, http.client.HTTPException) as err:  # refused, timed out, or not HTTP at all
        text = " ".join(str(getattr(err, "reason", None) or err).split())  # one line, whatever came back
        raise NoHealth(text or type(err).__name__) from None
    except ValueError:
        raise NoHealth(f"{endpoint}{PATH} did not answer JSON") from None
    services = document.get("services") if isinstance(document, dict) else None
    if not isinstance(services, dict):
        raise NoHealth(f"{endpoint}{PATH} answered without a service list: not LocalStack")
    return Health(
        version=str(document.get("version") or "unknown"),
        edition=str(document.get("edition") or "unknown"),
        statuses={str(k): str(v) for k, v in services.items()},
    )


def wait(endpoint: str, seconds: float) -> Health:
    """Poll until the health document answers; NoHealth with the last reason once `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return read(endpoint, timeout=max(0.1, min(2.0, deadline - time.monotonic())))
        except NoHealth:
            if time.monotonic() + 0.25 >= deadline:
                raise
        time.sleep(0.25)
