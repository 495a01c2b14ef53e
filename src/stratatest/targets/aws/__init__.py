"""The real-account target: a sandbox AWS account, reached only after the guard (`guard.py`) has passed.

`--target aws:account=ID[,role_arn=ARN,...]`. Credentials come from the standard chain through a boto3
Session (a profile, the environment, SSO, instance roles), then optionally from STS AssumeRole with a session
name that carries the run id, so CloudTrail shows which run did what. They are resolved once, registered for
masking, and handed to Terraform as plain environment variables.

Nothing that could change the account runs before the guard: `client()` and `env()` refuse until `preflight()`
(or `start()`, which runs it again) has passed, and the provider block pins `allowed_account_ids` so that
Terraform itself stops if the credentials ever answer for another account.

Stand-in mode (`endpoint=https://127.0.0.1:N,ca_bundle=FILE`) sends every call, credential lookups
included, to a loopback emulator; it exists so the guard, cleanup and sweep can be tested against moto.
"""

from __future__ import annotations

import functools
import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from stratatest.errors import ConfigError, NotAssessable, TargetError
from stratatest.secrets import register_secret
from stratatest.targets.aws import guard
from stratatest.targets.base import ProviderSettings, Target
from stratatest.targets.tags import EXPIRES_TAG, OWNER_TAG, format_expiry

__all__ = ["AwsTarget", "session_name"]

#: Credential providers that read local files or the environment only: in stand-in mode the others (SSO,
#: assume-role profiles, instance metadata, containers) could reach a real endpoint.
_LOCAL_PROVIDERS = frozenset({"env", "shared-credentials-file", "config-file"})
_LOOPBACK = ("127.0.0.1", "localhost")
_ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[A-Za-z0-9_+=,.@/-]{1,512}$")
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_+=,.@:/-]{2,1224}$")
_TAG_VALUE = re.compile(r"^[\w .:/=+@-]{1,256}$")
_SESSION_NAME_CHARS = re.compile(r"[^A-Za-z0-9_+=,.@-]")
MAX_SESSION_S = 43200  # STS's longest role session
#: Time after the wall-clock cap for destroying what the run created, in the default role session length.
TEARDOWN_S = 1800
DEFAULT_TTL_HOURS = 24
DEFAULT_MAX_MINUTES = 120
MAX_MINUTES = (MAX_SESSION_S - TEARDOWN_S) // 60  # the longest cap a role session still covers


def session_name(run_id: str) -> str:
    """The AssumeRole session name for a run: `stratatest-RUN_ID` cut to AWS's 64 allowed characters."""
    return _SESSION_NAME_CHARS.sub("-", f"stratatest-{run_id}")[:64]


class AwsTarget(Target):
    """A sandbox account: allowlisted, region-checked and identity-checked before any call that changes it."""

    name = "aws"
    layer = "sandbox"
    OPTIONS: ClassVar[dict[str, str]] = {
        "account": "required, the opt-in: the 12-digit id of the sandbox account",
        "profile": "the AWS profile to take credentials from; default: the standard chain",
        "role_arn": "a role to assume with STS, session name stratatest-RUN_ID",
        "external_id": "the ExternalId the role's trust policy asks for",
        "duration": "assume-role session seconds, 900 to 43200, at least the cap; default: the cap + 30 minutes",
        "allowlist": f"the accounts file; default: ${guard.ALLOWLIST_ENV}, else {guard.ALLOWLIST_FILE} "
        "at or above the working directory",
        "owner": "the stratatest:owner tag; default: $USER",
        "ttl_hours": "hours until a sweep may delete what the run leaves (stratatest:expires); default 24",
        "max_minutes": "wall-clock cap of the run in minutes; default 120",
        "endpoint": "testing only: a loopback emulator standing in for the account, https://127.0.0.1:N",
        "ca_bundle": "the certificate of the stand-in endpoint",
    }

    def __init__(
        self,
        region: str = "us-east-1",
        *,
        workdir: Path | None = None,
        run_id: str = "",
        account: str | None = None,
        profile: str | None = None,
        role_arn: str | None = None,
        external_id: str | None = None,
        duration: int | None = None,
        allowlist: Path | None = None,
        owner: str | None = None,
        ttl_hours: int = DEFAULT_TTL_HOURS,
        max_minutes: int = DEFAULT_MAX_MINUTES,
        endpoint: str | None = None,
        ca_bundle: Path | None = None,
    ) -> None:
        super().__init__(region, workdir=workdir, run_id=run_id)
        self.account = account
        self.profile = profile
        self.role_arn = role_arn
        self.external_id = external_id
        # The credentials must outlive the run's cap and the destroy that follows it.
        self.duration = duration or max_minutes * 60 + TEARDOWN_S
        self.allowlist = allowlist
        self.owner = owner or _default_owner()
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.ca_bundle = ca_bundle
        built = time.time()
        self._expires = datetime.fromtimestamp(built, UTC) + timedelta(hours=ttl_hours)
        self.deadline = built + max_minutes * 60  # the run's wall-clock cap, acted on by the runner
        self._resolved: tuple[Any, Any] | None = None  # (boto3 Session, frozen credentials)
        self._allowed: guard.AllowedAccount | None = None
        self._clients: dict[str, Any] = {}

    @classmethod
    def from_options(cls, options: dict[str, str], *, region: str, workdir: Path, run_id: str) -> AwsTarget:
        """Type and check every option; `account` may be absent here: the guard refuses that (opt-in rule)."""
        given: dict[str, Any] = {
            k: options[k] for k in ("account", "profile", "role_arn", "external_id") if k in options
        }
        if "account" in given and not guard.ACCOUNT_ID.match(given["account"]):
            raise _bad("account", given["account"], "12 digits (the sandbox account's id)")
        if "profile" in given and not given["profile"]:
            raise _bad("profile", "", "a profile name")
        if "role_arn" in given and not _ROLE_ARN.match(given["role_arn"]):
            raise _bad("role_arn", given["role_arn"], "a role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
        if "external_id" in given and not _EXTERNAL_ID.match(given["external_id"]):
            raise _bad("external_id", given["external_id"], "2 to 1224 of letters, digits and _+=,.@:/-")
        for option, low, high in (
            ("duration", 900, MAX_SESSION_S),
            ("ttl_hours", 1, 720),
            ("max_minutes", 1, MAX_MINUTES),
        ):
            if option in options:
                value = options[option]
                if not value.isdigit() or not low <= int(value) <= high:
                    raise _bad(option, value, f"a whole number from {low} to {high}")
                given[option] = int(value)
        if ("external_id" in given or "duration" in given) and "role_arn" not in given:
            raise ConfigError("aws: external_id and duration go with role_arn", hint="add role_arn=ARN to the spec")
        cap = given.get("max_minutes", DEFAULT_MAX_MINUTES) * 60
        if given.get("duration", cap) < cap:
            raise ConfigError(
                f"aws: duration={given['duration']} ends the role session before the run's cap ({cap} s): "
                "the run could not destroy what it created",
                hint="raise duration or lower max_minutes",
            )
        owner = options.get("owner") or _default_owner()
        if not _TAG_VALUE.match(owner):
            raise _bad("owner", owner, "a tag value: up to 256 of letters, digits, spaces and _.:/=+-@")
        if "allowlist" in options:
            given["allowlist"] = Path(options["allowlist"]).expanduser()
        if "endpoint" in options:
            given["endpoint"] = _loopback(options["endpoint"])
        if "ca_bundle" in options:
            given["ca_bundle"] = Path(options["ca_bundle"]).expanduser()
            if "endpoint" not in given or not given["ca_bundle"].is_file():
                raise _bad("ca_bundle", options["ca_bundle"], "an existing certificate file, given with endpoint")
        return cls(region, workdir=workdir, run_id=run_id, owner=owner, **given)

    # -- the guard ---------------------------------------------------------------------------------------

    def preflight(self) -> None:
        """Run the guard (see `guard.py`); SandboxRefused names the first rule that fails."""
        self._allowed = None
        self._allowed = guard.check(
            account=self.account,
            region=self.region,
            allowlist=self.allowlist,
            caller_account=lambda: self._client("sts").get_caller_identity()["Account"],
        )

    def allow_region(self, region: str) -> None:
        """An aliased provider's region must be on the account's allowlist too, before terraform creates anything."""
        if self._allowed is None:
            self.preflight()
        assert self._allowed is not None
        if region not in self._allowed.regions:
            raise guard.refuse(
                "region",
                f"a provider alias uses region {region}, which is not allowed for account {self._allowed.account} "
                f"({self._allowed.name}): allowed {', '.join(self._allowed.regions)}",
            )

    def start(self) -> None:
        """The guard again: the credentials or the allowlist may have changed since the preflight."""
        self.preflight()

    def stop(self) -> None:
        """Nothing to release: no process, and the credentials stay usable for cleanup after the run."""

    def _require_guard(self) -> None:
        if self._allowed is None:
            raise TargetError("aws: the sandbox guard has not passed", hint="call preflight() before any AWS call")

    # -- credentials -------------------------------------------------------------------------------------

    def _session(self) -> tuple[Any, Any]:
        """The boto3 Session and its frozen credentials, resolved once and registered for masking."""
        if self._resolved is None:
            import boto3
            from botocore.exceptions import NoCredentialsError

            core = _botocore_session(self.profile)
            if self.endpoint:
                resolver = core.get_component("credential_provider")
                for method in [p.METHOD for p in resolver.providers if p.METHOD not in _LOCAL_PROVIDERS]:
                    resolver.remove(method)
            session = boto3.session.Session(botocore_session=core, region_name=self.region)
            if session.get_credentials() is None:
                raise NoCredentialsError()
            if self.role_arn:
                session = self._assume_role(session)
            credentials = session.get_credentials().get_frozen_credentials()
            register_secret([credentials.access_key, credentials.secret_key, credentials.token])
            self._resolved = (session, credentials)
        return self._resolved

    def _assume_role(self, base: Any) -> Any:
        import boto3

        params: dict[str, Any] = {
            "RoleArn": self.role_arn,
            "RoleSessionName": session_name(self.run_id),
            "DurationSeconds": self.duration,
        }
        if self.external_id:
            params["ExternalId"] = self.external_id
        answer = self._client("sts", base).assume_role(**params)["Credentials"]
        return boto3.session.Session(
            aws_access_key_id=answer["AccessKeyId"],
            aws_secret_access_key=answer["SecretAccessKey"],
            aws_session_token=answer["SessionToken"],
            region_name=self.region,
            botocore_session=_botocore_session(self.profile),
        )

    def _client(self, service: str, session: Any = None) -> Any:
        from botocore.config import Config

        config = Config(
            retries={"mode": "standard", "max_attempts": 5},
            connect_timeout=10,
            read_timeout=60,
            s3={"addressing_style": "path"} if self.endpoint else None,
        )
        return (session or self._session()[0]).client(
            service,
            endpoint_url=self.endpoint,
            verify=str(self.ca_bundle) if self.ca_bundle else None,
            config=config,
        )

    # -- Target interface --------------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client with the run's credentials, one per service; only once the guard has passed."""
        self._require_guard()
        if service not in self._clients:
            self._clients[service] = self._client(service)
        return self._clients[service]

    def http_client(self, service: str) -> Any:
        """The service's public endpoint over plain HTTP (S3 answers there), so a TLS-only policy is seen denying
        for real; a stand-in endpoint speaks HTTPS only."""
        self._require_guard()
        if self.endpoint:
            raise NotAssessable(f"the stand-in endpoint {self.endpoint} has no plain-HTTP listener")
        from botocore.config import Config

        return self._session()[0].client(service, use_ssl=False, config=Config(retries={"max_attempts": 2}))

    def env(self) -> dict[str, str]:
        """The resolved credentials and region (plus endpoint and CA in stand-in mode); masked everywhere."""
        self._require_guard()
        credentials = self._session()[1]
        env = {
            "AWS_ACCESS_KEY_ID": credentials.access_key,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }
        if credentials.token:
            env["AWS_SESSION_TOKEN"] = credentials.token
        if self.endpoint:
            env |= {"AWS_ENDPOINT_URL": self.endpoint, "AWS_EC2_METADATA_DISABLED": "true"}
            if self.ca_bundle:
                env["AWS_CA_BUNDLE"] = str(self.ca_bundle)
        return env

    def provider_settings(self) -> ProviderSettings:
        """Region and the pinned account; in stand-in mode also the emulator's endpoint, CA and path-style S3
        (and no instance-metadata lookup). Against real AWS nothing is skipped."""
        attributes: dict[str, Any] = {"allowed_account_ids": [self.account]} if self.account else {}
        if self.endpoint:
            attributes |= {"skip_metadata_api_check": True, "s3_use_path_style": True}
            if self.ca_bundle:
                attributes["custom_ca_bundle"] = str(self.ca_bundle)
        return ProviderSettings(region=self.region, attributes=attributes, endpoint_url=self.endpoint)

    def default_tags(self) -> dict[str, str]:
        """Who ran it, and when a sweep may delete what it leaves behind."""
        return {OWNER_TAG: self.owner, EXPIRES_TAG: format_expiry(self._expires)}

    def describe(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"name": self.name, "region": self.region, "layer": self.layer, "account": self.account}
        if self.role_arn:
            facts["role_arn"] = self.role_arn
        if self.endpoint:
            facts["endpoint"] = self.endpoint
        return facts


@functools.cache
def _data_loader(data_path: str | None) -> Any:
    """botocore's service models, parsed once per process: each new session would spend ~0.5 s on it."""
    from botocore.loaders import create_loader

    return create_loader(data_path)


def _botocore_session(profile: str | None) -> Any:
    import botocore.session

    core = botocore.session.Session(profile=profile)
    core.register_component("data_loader", _data_loader(core.get_config_variable("data_path")))
    return core


def _default_owner() -> str:
    return os.environ.get("USER") or "unknown"


def _bad(option: str, value: str, allowed: str) -> ConfigError:
    return ConfigError(f"aws: {option}={value!r} is not allowed", hint=f"give {allowed}")


def _loopback(endpoint: str) -> str:
    """The stand-in endpoint, refused unless it is on this machine: it must never be a real AWS endpoint."""
    url = urlsplit(endpoint)
    try:
        port = url.port
    except ValueError:
        port = None
    if url.scheme not in ("http", "https") or url.hostname not in _LOOPBACK or not port:
        raise _bad("endpoint", endpoint, "a loopback emulator: https://127.0.0.1:PORT or https://localhost:PORT")
    return endpoint
