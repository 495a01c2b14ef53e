"""What every local AWS emulator target shares: dummy keys, an endpoint, and clients that ignore the caller.

Terraform's environment is `os.environ` minus every `AWS_*` variable plus `env()`, and these boto3 clients are
built on a bare botocore session, so a user's real profile, keys or `AWS_ENDPOINT_URL` can never reach (or be
reached through) an emulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stratatest.targets.base import ProviderSettings


def emulator_env(region: str, endpoint: str, keys: tuple[str, str], ca_bundle: Path | None = None) -> dict[str, str]:
    """Dummy credentials, region, endpoint (what no explicit setting covers still lands there), CA bundle."""
    env = {
        "AWS_ACCESS_KEY_ID": keys[0],
        "AWS_SECRET_ACCESS_KEY": keys[1],
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if ca_bundle is not None:
        env["AWS_CA_BUNDLE"] = str(ca_bundle)
    return env


def emulator_provider(
    region: str, endpoint: str, keys: tuple[str, str], ca_bundle: Path | None = None
) -> ProviderSettings:
    """The aws provider pointed at the emulator: dummy keys, nothing looked up in a real account."""
    attributes: dict[str, Any] = {
        "access_key": keys[0],
        "secret_key": keys[1],
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
        "s3_use_path_style": True,
    }
    if ca_bundle is not None:
        attributes["custom_ca_bundle"] = str(ca_bundle)
    return ProviderSettings(region=region, endpoint_url=endpoint, attributes=attributes)


def emulator_client(
    service: str,
    *,
    region: str,
    endpoint: str,
    keys: tuple[str, str],
    verify: str | bool = True,
    max_attempts: int = 3,
    read_timeout: float = 60,
) -> Any:
    """A boto3 client on the emulator with the dummy keys, whatever AWS_PROFILE & co. say."""
    import boto3
    import botocore.session
    from botocore.config import Config

    core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    session = boto3.session.Session(
        aws_access_key_id=keys[0], aws_secret_access_key=keys[1], region_name=region, botocore_session=core
    )
    config = Config(
        s3={"addressing_style": "path"},
        retries={"mode": "standard", "max_attempts": max_attempts},
        connect_timeout=5,
        read_timeout=read_timeout,
    )
    return session.client(service, endpoint_url=endpoint, verify=verify, config=config)
