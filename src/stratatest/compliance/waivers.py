"""Waivers: accepted deviations, each with an owner, a ticket, an approver and an end date.

A waiver covers failures of one control (test results) or one scanner check (findings) on the resources its
selector matches. It fails closed: an expired waiver, or one with a missing or malformed field, covers nothing,
and the run lists it so its owner sees why the failure came back. Unlike a scanner's mute list or an inline skip,
every waiver ends: one may last at most MAX_DAYS, and its age is in every report.

A selector is a glob in which only `*` and `?` are wildcards: brackets are literal, because they are part of the
names waivers select (`test_tls[prod]`, `aws_s3_bucket.this[0]`), where fnmatch's character classes would make a
waiver miss the one item it names and cover others. A selector must name something (a letter or a digit): one
of wildcards and punctuation alone (`*`, `*.*`) covers everything, which is a disabled control, not a waiver.

What a field must hold, so a waiver is a decision someone can be asked about:
- `owner` and `approver` are people or teams, compared by identity (NFKC, case-folded, whitespace collapsed:
  `Alice` is `alice`); a name with an invisible or control character (a zero-width space, a no-break space, a
  tab) is refused, since it would make one person look like two.
- `reason` is at least REASON_MIN_WORDS words with letters in them (`.` or `n/a` explains nothing).
- `ticket` points at a tracker: a key like `PLAT-123`, an issue number (`#42`, `issue 42`, `owner/repo#42`,
  optionally after the tracker's name: `stratatest issue 4`) or an http(s) URL.
- `framework` is one of the Checkov frameworks the suite scans with (FRAMEWORKS).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from stratatest.compliance.catalogue import Catalogue
from stratatest.compliance.results import WaiverStatus
from stratatest.errors import ConfigError
from stratatest.paths import file_from_env
from stratatest.strictyaml import StrictLoader, yaml_location

WAIVERS_ENV = "STRATATEST_WAIVERS"
WAIVERS_FILENAME = "waivers.yaml"
FORMAT_VERSION = 1
MAX_DAYS = 365
CHECK_PATTERN = re.compile(r"^CKV2?_[A-Z0-9]+_\d+$")
ID_PATTERN = re.compile(r"^W-\d{3,}$")
#: The Checkov frameworks whose findings the suite records (Finding.framework).
FRAMEWORKS = ("terraform", "terraform_plan", "kubernetes", "helm")
REASON_MIN_WORDS = 3
TICKET_PATTERNS = (
    re.compile(r"[A-Z][A-Z0-9_]+-\d+"),  # a tracker key: PLAT-123
    re.compile(r"(?:[\w./-]+\s*)?(?:#|issue\s+)\d+", re.IGNORECASE),  # #42, issue 42, owner/repo#42
    re.compile(r"https?://[^\s/]+\.[^\s/]+(?:/\S*)?"),  # a URL
)
#: Letters and marks that render as nothing, beside the format, control and space categories refused in names.
_INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")
_TEXT_FIELDS = ("reason", "owner", "ticket", "approver", "resource")
_KEYS = {"id", "control", "check", "framework", *_TEXT_FIELDS, "created", "expires"}


@dataclass(frozen=True)
class Waiver:
    """One valid waiver; `resource` is a glob over a finding's resource address or a test's node id, and
    `framework` (optional) narrows a waiver to one scanner framework (e.g. Checkov's `helm`)."""

    id: str
    control: str | None
    check: str | None
    framework: str | None
    resource: str
    reason: str
    owner: str
    ticket: str
    approver: str
    created: date
    expires: date

    def covers_test(self, nodeid: str, controls: Iterable[str]) -> bool:
        """A control waiver narrowed to a scanner framework covers that framework's findings only, never tests."""
        return (
            self.control is not None
            and self.framework is None
            and self.control in controls
            and glob_matches(self.resource, nodeid)
        )

    def covers_finding(self, check_id: str, controls: Iterable[str], resource: str, framework: str) -> bool:
        matches = self.check == check_id if self.check is not None else self.control in controls
        if self.framework is not None and self.framework != framework:
            return False
        return matches and glob_matches(self.resource, resource)

    @property
    def summary(self) -> str:
        return f"waived by {self.id} ({self.ticket}, owner {self.owner}, until {self.expires}): {self.reason}"


class Waivers:
    """The active waivers of a run and the status of every entry in the file (active, expired, invalid)."""

    def __init__(self, active: list[Waiver], statuses: list[WaiverStatus], path: Path | None = None) -> None:
        self.active = active
        self.statuses = statuses
        self.path = path

    def for_test(self, nodeid: str, controls: Iterable[str]) -> Waiver | None:
        controls = list(controls)
        return next((w for w in self.active if w.covers_test(nodeid, controls)), None)

    def for_finding(self, check_id: str, controls: Iterable[str], resource: str, framework: str) -> Waiver | None:
        controls = list(controls)
        return next((w for w in self.active if w.covers_finding(check_id, controls, resource, framework)), None)


def glob_matches(pattern: str, name: str) -> bool:
    """`*` matches any run of characters (`/` and `::` included), `?` one character; everything else is literal."""
    return _glob_regex(pattern).fullmatch(name) is not None


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def today_utc() -> date:
    return datetime.now(UTC).date()


def default_waivers_path(catalogue: Catalogue, configured: Path | None = None) -> Path | None:
    """$STRATATEST_WAIVERS, else the file the repository's settings name, else waivers.yaml beside the catalogue;
    None when none exists (no waivers)."""
    override = file_from_env(WAIVERS_ENV) or configured
    if override is not None:
        return override
    if catalogue.path is None:
        return None
    candidate = Path(catalogue.path).parent / WAIVERS_FILENAME
    return candidate if candidate.is_file() else None


def load_waivers(path: Path | None, catalogue: Catalogue, today: date | None = None) -> Waivers:
    """Read the waivers file. A file that is not YAML is a ConfigError (nothing could be trusted); a bad entry
    only invalidates itself, so one typo cannot silently re-enable or disable the others."""
    if path is None:
        return Waivers([], [])
    today = today or today_utc()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read waivers: {getattr(err, 'strerror', None) or err}") from None
    try:
        data = yaml.load(text, Loader=StrictLoader)  # a SafeLoader that refuses a key given twice (last-one-wins)
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: invalid YAML{yaml_location(err, text)}") from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION or not isinstance(data.get("waivers"), list):
        raise ConfigError(
            f"{path}: expected 'version: {FORMAT_VERSION}' and a 'waivers' list at the top level"
            " ('waivers: []' for none)"
        )
    active: list[Waiver] = []
    statuses: list[WaiverStatus] = []
    seen: set[str] = set()
    for index, entry in enumerate(data["waivers"], start=1):
        status, waiver = _judge(entry, index, catalogue, today, seen)
        statuses.append(status)
        if waiver is not None:
            active.append(waiver)
    return Waivers(active, statuses, Path(path))


def _judge(
    entry: Any, index: int, catalogue: Catalogue, today: date, seen: set[str]
) -> tuple[WaiverStatus, Waiver | None]:
    if not isinstance(entry, dict):
        return WaiverStatus(f"#{index}", "invalid", problem=f"expected a mapping, got {type(entry).__name__}"), None
    raw = {k: entry.get(k) for k in _KEYS}
    status = WaiverStatus(
        id=str(raw["id"]) if raw["id"] else f"#{index}",
        state="invalid",
        **{k: _as_text(raw[k]) for k in ("control", "check", "framework", *_TEXT_FIELDS, "created", "expires")},
    )
    problem = _problem(entry, raw, catalogue, seen)
    created, expires = _date(raw["created"]), _date(raw["expires"])
    if problem is None and created is not None and expires is not None:
        if created > today:
            problem = f"created {created} is in the future"
        elif expires < created:
            problem = f"expires {expires} before it was created ({created})"
        elif (expires - created).days > MAX_DAYS:
            problem = f"lasts {(expires - created).days} days; a waiver may last at most {MAX_DAYS}: renew it instead"
    if created is not None and created <= today:
        status.age_days = (today - created).days
    if status.id not in ("", f"#{index}"):
        seen.add(status.id)
    if problem is not None:
        status.problem = problem
        return status, None
    assert created is not None and expires is not None  # _problem checked both
    if today > expires:
        status.state, status.problem = "expired", f"expired on {expires}"
        return status, None
    status.state = "active"
    waiver = Waiver(
        id=status.id,
        control=raw["control"],
        check=raw["check"],
        framework=raw["framework"].strip() if raw["framework"] is not None else None,
        resource=str(raw["resource"]),
        reason=str(raw["reason"]).strip(),
        owner=str(raw["owner"]).strip(),
        ticket=str(raw["ticket"]).strip(),
        approver=str(raw["approver"]).strip(),
        created=created,
        expires=expires,
    )
    return status, waiver


def _problem(entry: dict[str, Any], raw: dict[str, Any], catalogue: Catalogue, seen: set[str]) -> str | None:
    """The first thing wrong with an entry, in words its owner can act on; None when it is well-formed."""
    unknown = sorted(str(k) for k in entry if k not in _KEYS)
    if unknown:
        return f"unknown field '{unknown[0]}' (allowed: {', '.join(sorted(_KEYS))})"
    if not isinstance(raw["id"], str) or not ID_PATTERN.fullmatch(raw["id"]):
        return f"id {raw['id']!r} must look like W-001"
    if raw["id"] in seen:
        return f"duplicate id {raw['id']}"
    if (raw["control"] is None) == (raw["check"] is None):
        return "give exactly one of 'control' (a catalogue id) or 'check' (a Checkov id)"
    if raw["control"] is not None and (not isinstance(raw["control"], str) or raw["control"] not in catalogue):
        return f"control {raw['control']!r} is not in the catalogue"
    if raw["framework"] is not None and (problem := _framework_problem(raw["framework"])):
        return problem
    if raw["check"] is not None and not (isinstance(raw["check"], str) and CHECK_PATTERN.fullmatch(raw["check"])):
        return f"check {raw['check']!r} is not a Checkov id (CKV_AWS_20, CKV2_K8S_6)"
    for key in _TEXT_FIELDS:
        value = raw[key]
        if value is None or (isinstance(value, str) and not value.strip()):
            return f"missing field '{key}'"
        if not isinstance(value, str):
            return f"'{key}' must be text, got {value!r}"
    problem = _content_problem(raw)
    if problem is not None:
        return problem
    if identity(raw["approver"]) == identity(raw["owner"]):
        return f"the approver must not be the owner (both are {identity(raw['owner'])!r})"
    for key in ("created", "expires"):
        if _date(raw[key]) is None:
            return f"'{key}' must be a date (YYYY-MM-DD), got {raw[key]!r}"
    return None


def identity(name: str) -> str:
    """A person or team as compared: NFKC (full-width and compatibility forms folded), case-folded, whitespace
    collapsed, so `Alice` and `alice ` are one person."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _framework_problem(value: Any) -> str | None:
    if isinstance(value, str) and value.strip() in FRAMEWORKS:
        return None
    known = ", ".join(FRAMEWORKS)
    close = difflib.get_close_matches(value.strip(), FRAMEWORKS, n=1) if isinstance(value, str) else []
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"framework {value!r} is not a Checkov framework the suite scans with: {hint}(one of {known})"


def _content_problem(raw: dict[str, Any]) -> str | None:
    """What makes a complete entry say nothing: a hidden character in a name, an empty reason, a ticket that
    points nowhere, a selector that names nothing."""
    for key in ("owner", "approver"):
        hidden = _hidden_character(raw[key].strip())
        if hidden is not None:
            return (
                f"{key} {raw[key]!r} contains an invisible or control character (U+{ord(hidden):04X}):"
                " type the name plainly"
            )
    words = [w for w in raw["reason"].split() if any(c.isalpha() for c in w)]
    if len(words) < REASON_MIN_WORDS:
        return (
            f"reason {raw['reason'].strip()!r} explains nothing: say in {REASON_MIN_WORDS}+ words why the deviation"
            " is accepted and what covers the risk meanwhile"
        )
    if not any(p.fullmatch(raw["ticket"].strip()) for p in TICKET_PATTERNS):
        return (
            f"ticket {raw['ticket'].strip()!r} is not a ticket: give a tracker key (PLAT-123), an issue number"
            " (#42, issue 42) or a URL"
        )
    if not any(c.isalnum() for c in raw["resource"]):
        return (
            f"resource {raw['resource']!r} selects everything, which disables the control: name the resources it"
            " covers (e.g. aws_s3_bucket.logs, tests/test_s3.py::test_tls[*])"
        )
    return None


def _hidden_character(name: str) -> str | None:
    """The first character of `name` that renders as nothing or as a space other than U+0020."""
    for char in name:
        category = unicodedata.category(char)
        if char in _INVISIBLE or category[0] == "C" or (category[0] == "Z" and char != " "):
            return char
    return None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)
