"""The sandbox guard: the checks a real account must pass before anything touches it.

A mistake here creates resources in the wrong account, so every rule refuses rather than guesses, each with
its own one-line `SandboxRefused` naming the rule. The rules run in a fixed order, cheapest and most local
first; only the last one makes a network call, and that call (STS GetCallerIdentity) changes nothing:

1. opt-in     the run names the account explicitly (`--target aws:account=ID`);
2. allowlist  the accounts file exists and is well-formed (see `load_allowlist`);
3. allowed    the account is on its `allow` list and not on its `deny` list (deny wins);
4. region     the region is one of that account's `regions`;
5. identity   the resolved credentials answer for that very account.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)

from stratatest.errors import ConfigError, SandboxRefused
from stratatest.paths import display_path, file_from_env
from stratatest.strictyaml import StrictLoader, yaml_location
from stratatest.targets.spec import REGION

__all__ = [
    "ALLOWLIST_ENV",
    "ALLOWLIST_FILE",
    "RULES",
    "AllowedAccount",
    "Allowlist",
    "check",
    "find_allowlist",
    "load_allowlist",
    "refuse",
]

ALLOWLIST_FILE = "sandbox-accounts.yaml"
ALLOWLIST_ENV = "STRATATEST_SANDBOX_ACCOUNTS"
RULES = ("opt-in", "allowlist", "allowed", "region", "identity")
ACCOUNT_ID = re.compile(r"^\d{12}$")
_TOP_KEYS = {"allow", "deny"}
_ALLOW_KEYS = {"account", "name", "regions"}
_DENY_KEYS = {"account", "name"}


@dataclass(frozen=True)
class AllowedAccount:
    account: str
    name: str
    regions: tuple[str, ...]


@dataclass(frozen=True)
class Allowlist:
    """The parsed accounts file: sandboxes by account id, and the accounts never to touch (id → name)."""

    path: Path
    allow: dict[str, AllowedAccount]
    deny: dict[str, str]


def refuse(rule: str, detail: str) -> SandboxRefused:
    """The refusal for `rule`, on one line (details from YAML or AWS may span several)."""
    assert rule in RULES, rule
    return SandboxRefused(f"sandbox guard refused ({rule}): {' '.join(detail.split())}")


def check(
    *, account: str | None, region: str, allowlist: Path | None, caller_account: Callable[[], str]
) -> AllowedAccount:
    """Run every rule in order; the first that fails raises `SandboxRefused`. `caller_account` resolves the
    credentials and asks STS whose they are: it is called only once the local rules have passed."""
    if not account:
        raise refuse("opt-in", "a real account is used only when the run names it: --target aws:account=ID")
    accounts = load_allowlist(find_allowlist(allowlist))
    where = display_path(accounts.path)
    if account in accounts.deny:
        raise refuse("allowed", f"account {account} ({accounts.deny[account]}) is on the deny list of {where}")
    allowed = accounts.allow.get(account)
    if allowed is None:
        raise refuse("allowed", f"account {account} is not on the allow list of {where}")
    if region not in allowed.regions:
        raise refuse(
            "region",
            f"region {region} is not allowed for account {account} ({allowed.name}) in {where}: "
            f"allowed {', '.join(allowed.regions)}",
        )
    answered = _identity(caller_account)
    if answered != account:
        raise refuse("identity", f"the credentials answer for account {answered}, not {account}")
    return allowed


def _identity(caller_account: Callable[[], str]) -> str:
    # botocore's messages name what failed (no credentials, AccessDenied on AssumeRole) but never a secret.
    try:
        return caller_account()
    except ClientError as err:
        error = err.response.get("Error", {})
        raise refuse(
            "identity", f"STS {err.operation_name} failed: {error.get('Code')}: {error.get('Message')}"
        ) from None
    except (NoCredentialsError, PartialCredentialsError, ProfileNotFound, CredentialRetrievalError) as err:
        raise refuse("identity", f"no usable credentials: {err}") from None
    except BotoCoreError as err:  # STS unreachable, a bad CA bundle, ...
        raise refuse("identity", f"cannot ask STS whose the credentials are: {err}") from None


def find_allowlist(option: Path | None = None) -> Path:
    """The accounts file: the `allowlist` option, else $STRATATEST_SANDBOX_ACCOUNTS, else the nearest
    `sandbox-accounts.yaml` at or above the working directory."""
    if option is not None:
        if not Path(option).is_file():
            raise refuse("allowlist", f"allowlist={option}: no such file")
        return Path(option)
    try:
        override = file_from_env(ALLOWLIST_ENV)
    except ConfigError as err:
        raise refuse("allowlist", err.message) from None
    if override is not None:
        return override
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / ALLOWLIST_FILE).is_file():
            return folder / ALLOWLIST_FILE
    raise refuse(
        "allowlist", f"no {ALLOWLIST_FILE} in {here} or any parent folder: set {ALLOWLIST_ENV} or allowlist=PATH"
    )


def load_allowlist(path: Path) -> Allowlist:
    """Parse the accounts file; anything malformed is refused, since a half-read allowlist cannot be trusted.

    Account ids must be quoted strings: YAML reads `012345678901` as a number and drops the leading zero.
    """
    where = display_path(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise refuse("allowlist", f"{where}: cannot read: {getattr(err, 'strerror', None) or err}") from None
    try:
        data = yaml.load(text, Loader=StrictLoader)  # a key given twice is an error, not last-one-wins
    except yaml.YAMLError as err:
        raise refuse("allowlist", f"{where}: invalid YAML{yaml_location(err, text)}") from None
    if not isinstance(data, dict) or not isinstance(data.get("allow"), list):
        raise refuse("allowlist", f"{where}: expected a mapping with an 'allow' list (and optionally 'deny')")
    _known_keys(data, _TOP_KEYS, where)
    deny_entries = data.get("deny") or []
    if not isinstance(deny_entries, list):
        raise refuse("allowlist", f"{where}: 'deny' must be a list")

    allow: dict[str, AllowedAccount] = {}
    for index, entry in enumerate(data["allow"], start=1):
        at = f"{where}: allow #{index}"
        account, name = _account_and_name(entry, _ALLOW_KEYS, at, allow)
        allow[account] = AllowedAccount(account, name, _regions(entry, at))
    deny: dict[str, str] = {}
    for index, entry in enumerate(deny_entries, start=1):
        account, name = _account_and_name(entry, _DENY_KEYS, f"{where}: deny #{index}", deny)
        deny[account] = name
    return Allowlist(Path(path), allow, deny)


def _account_and_name(entry: Any, keys: set[str], at: str, seen: dict[str, Any]) -> tuple[str, str]:
    if not isinstance(entry, dict):
        raise refuse("allowlist", f"{at}: expected a mapping with {', '.join(sorted(keys))}")
    _known_keys(entry, keys, at)
    missing = sorted(keys - set(entry))
    if missing:
        raise refuse("allowlist", f"{at}: '{missing[0]}' is missing")
    account, name = entry["account"], entry["name"]
    if not isinstance(account, str):
        raise refuse("allowlist", f'{at}: account must be a quoted string of 12 digits ("{account}")')
    if not ACCOUNT_ID.match(account):
        raise refuse("allowlist", f"{at}: account {account!r} is not 12 digits")
    if account in seen:
        raise refuse("allowlist", f"{at}: account {account} is listed twice")
    if not isinstance(name, str) or not name.strip():
        raise refuse("allowlist", f"{at}: name must be a non-empty string")
    return account, name.strip()


def _regions(entry: dict[str, Any], at: str) -> tuple[str, ...]:
    regions = entry["regions"]
    if not isinstance(regions, list) or not regions:
        raise refuse("allowlist", f"{at}: regions must be a non-empty list (e.g. [us-east-1])")
    for region in regions:
        if not isinstance(region, str) or not REGION.match(region):
            raise refuse("allowlist", f"{at}: {region!r} is not a region name (e.g. us-east-1)")
    return tuple(regions)


def _known_keys(entry: dict[str, Any], allowed: set[str], at: str) -> None:
    unknown = sorted(str(k) for k in entry if k not in allowed)
    if unknown:
        raise refuse("allowlist", f"{at}: unknown key '{unknown[0]}' (allowed: {', '.join(sorted(allowed))})")
