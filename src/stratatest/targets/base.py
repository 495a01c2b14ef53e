"""The one interface every target implements, so a test body never knows which target it runs on.

A target is where Terraform applies and where inspection helpers read back: an embedded emulator (moto),
LocalStack, or a real sandbox account. Tests receive the target through fixtures and never branch on it.
What a target cannot serve (a service it lacks, a known gap) it says through `unsupported`/`gaps`, and the
test is skipped with that reason and recorded *not assessed*, never failed and never passed.

Each target declares its own options (`OPTIONS`: name → help) and parses them from the strings of a spec
such as `localstack:endpoint=http://127.0.0.1:4566` (see `targets/spec.py`); nothing outside a target's own
package knows its name or its options.
"""

from __future__ import annotations

import abc
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from stratatest.errors import ConfigError, NotAssessable


@dataclass(frozen=True)
class ProviderSettings:
    """What the aws provider block needs to talk to this target (rendered into HCL by the harness)."""

    region: str
    attributes: dict[str, Any] = field(default_factory=dict)  # e.g. skip_credentials_validation = true
    endpoint_url: str | None = None  # every service endpoint points here when set


class Target(abc.ABC):
    """A place Terraform applies into and boto3 reads back from."""

    #: The name in `--target NAME[:k=v,...]`.
    name: ClassVar[str] = ""
    #: The layer an apply test is recorded at on this target: "emulator" or "sandbox".
    layer: ClassVar[str] = "emulator"
    #: The options this target takes in its spec (name → one line of help).
    OPTIONS: ClassVar[dict[str, str]] = {}

    def __init__(self, region: str = "us-east-1", *, workdir: Path | None = None, run_id: str = "") -> None:
        self.region = region
        self.workdir = Path(workdir) if workdir is not None else None
        self.run_id = run_id
        #: The spec this target was built from (set by `make_target`): kept with a run so cleanup can come back.
        self.spec = self.name
        #: Epoch seconds after which a run must destroy what it created and stop (a real account's cap), or None.
        self.deadline: float | None = None
        #: Regions besides `region` this process's provider blocks used (aliases): the leak check lists them too.
        self.other_regions: set[str] = set()

    @classmethod
    def from_options(cls, options: dict[str, str], *, region: str, workdir: Path, run_id: str) -> Target:
        """Build from a spec's `key=value` strings; a target with options overrides this to type them."""
        if options:
            raise ConfigError(f"target {cls.name!r} takes no options (got {', '.join(sorted(options))})")
        return cls(region, workdir=workdir, run_id=run_id)

    def preflight(self) -> None:
        """Checks that must pass before anything is created (a real account's guard, an attached emulator that
        must answer); once per run, in the controller before any worker starts, so a failure is one line."""
        return None

    def check_processes(self, processes: int) -> None:
        """Refuse (ConfigError) when `processes` processes could not each start this target, as pytest-xdist's
        workers each do: asked once, on the controller, before any worker starts."""
        return None

    def allow_region(self, region: str) -> None:
        """Refuse (SandboxRefused) a region a module's aliased provider would create resources in, when this target
        may not be used there; any region by default (an emulator)."""
        return None

    def in_region(self, region: str) -> Target:
        """This target in another region (where an aliased provider created resources), not started: the same
        spec built again, so starting it runs its checks for that region (a real account's guard)."""
        from stratatest.targets import make_target

        workdir = self.workdir or Path(tempfile.gettempdir())
        return make_target(self.spec, workdir=workdir, region=region, run_id=self.run_id)

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
        """Environment for terraform and boto3 (credentials, CA bundle); never printed or reported.

        A target whose credentials are real registers their values with `stratatest.secrets.register_secret`.
        """

    @abc.abstractmethod
    def client(self, service: str) -> Any:
        """A boto3 client for `service` bound to this target."""

    def http_client(self, service: str) -> Any:
        """A boto3 client over plain HTTP (`aws:SecureTransport` false), to show a TLS-only policy denying.

        A target without one raises NotAssessable: a test that needs it is then *not assessed* there.
        """
        raise NotAssessable(f"{self.name} has no plain-HTTP endpoint to show a TLS-only policy denying")

    @property
    def outlives_run(self) -> bool:
        """Whether what a run created here survives the run's process (not so for an emulator it embeds)."""
        return True

    def services(self) -> frozenset[str] | None:
        """The AWS services (boto3 names) this target serves; None means every one."""
        return None

    def unsupported(self, services: Iterable[str]) -> str | None:
        """Why this target cannot serve `services` (the skip reason), or None when it can serve them all."""
        served = self.services()
        if served is None:
            return None
        missing = sorted(set(services) - served)
        if not missing:
            return None
        return f"{self.name} does not serve {', '.join(missing)}"

    def default_tags(self) -> dict[str, str]:
        """Tags every resource of a run carries besides the run id (a real account adds owner and expiry)."""
        return {}

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
        return {"name": self.name, "region": self.region, "layer": self.layer}

    def __enter__(self) -> Target:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
