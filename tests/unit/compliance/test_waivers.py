"""Waivers fail closed: every malformed, expired or ambiguous entry covers nothing and says why; a valid one
covers exactly the tests and findings its selector names."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from stratatest.compliance.catalogue import Catalogue, Control, load_catalogue
from stratatest.compliance.waivers import (
    MAX_DAYS,
    WAIVERS_ENV,
    Waivers,
    default_waivers_path,
    glob_matches,
    load_waivers,
)
from stratatest.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
TODAY = date(2026, 11, 26)
CATALOGUE = Catalogue([Control(i, "t", "high", "r", "m", notes="n") for i in ("STRATA-S3-001", "STRATA-K8S-009")])


def entry(**changes: Any) -> dict[str, Any]:
    """A valid control waiver, created 10 days before TODAY and expiring 30 days after; `None` drops a field."""
    base: dict[str, Any] = {
        "id": "W-001",
        "control": "STRATA-S3-001",
        "resource": "tests/test_s3.py::*",
        "reason": "legacy bucket migrates next quarter",
        "owner": "platform-team",
        "ticket": "PLAT-123",
        "approver": "security-lead",
        "created": TODAY - timedelta(days=10),
        "expires": TODAY + timedelta(days=30),
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def load(tmp_path: Path, *entries: Any, today: date = TODAY) -> Waivers:
    path = tmp_path / "waivers.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "waivers": list(entries)}, sort_keys=False), encoding="utf-8")
    return load_waivers(path, CATALOGUE, today=today)


def only_status(waivers: Waivers) -> tuple[str, str | None]:
    (status,) = waivers.statuses
    return status.state, status.problem


# -- a valid waiver --------------------------------------------------------------------------------------


def test_a_valid_waiver_is_active_with_its_age(tmp_path: Path) -> None:
    waivers = load(tmp_path, entry())
    (status,) = waivers.statuses
    assert (status.id, status.state, status.problem, status.age_days) == ("W-001", "active", None, 10)
    assert (status.created, status.expires) == ("2026-11-16", "2026-12-26")
    (waiver,) = waivers.active
    assert (waiver.owner, waiver.approver, waiver.expires) == ("platform-team", "security-lead", date(2026, 12, 26))
    assert waiver.summary.startswith("waived by W-001 (PLAT-123, owner platform-team, until 2026-12-26): legacy")


def test_dates_may_be_quoted_strings(tmp_path: Path) -> None:
    waivers = load(tmp_path, entry(created="2026-11-16", expires="2026-12-26"))
    assert only_status(waivers) == ("active", None)


# -- every malformed field makes the entry invalid, with its problem ----------------------------------------


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"severity": "low"}, "unknown field 'severity'"),
        ({"id": None}, "id None must look like W-001"),
        ({"id": "W-1"}, "id 'W-1' must look like W-001"),
        ({"id": 7}, "id 7 must look like W-001"),
        ({"control": None}, "give exactly one of 'control' (a catalogue id) or 'check' (a Checkov id)"),
        ({"check": "CKV_AWS_20"}, "give exactly one of 'control'"),
        ({"control": "STRATA-S3-999"}, "control 'STRATA-S3-999' is not in the catalogue"),
        ({"control": ["STRATA-S3-001"]}, "control ['STRATA-S3-001'] is not in the catalogue"),
        ({"control": None, "check": "CKV_AWS"}, "check 'CKV_AWS' is not a Checkov id"),
        ({"control": None, "check": "ckv_aws_20"}, "check 'ckv_aws_20' is not a Checkov id"),
        ({"control": None, "check": 20}, "check 20 is not a Checkov id"),
        ({"framework": " "}, "framework ' ' is not a Checkov framework the suite scans with: (one of terraform,"),
        ({"framework": 3}, "framework 3 is not a Checkov framework the suite scans with: (one of terraform,"),
        (
            {"framework": "helmm"},
            "framework 'helmm' is not a Checkov framework the suite scans with: did you mean 'helm'?",
        ),
        ({"framework": "Terraform-Plan"}, "framework 'Terraform-Plan' is not a Checkov framework"),
        ({"resource": None}, "missing field 'resource'"),
        ({"reason": "  "}, "missing field 'reason'"),
        ({"owner": None}, "missing field 'owner'"),
        ({"ticket": 123}, "'ticket' must be text, got 123"),
        ({"approver": None}, "missing field 'approver'"),
        ({"approver": " platform-team "}, "the approver must not be the owner (both are 'platform-team')"),
        ({"created": None}, "'created' must be a date (YYYY-MM-DD), got None"),
        ({"created": "last week"}, "'created' must be a date (YYYY-MM-DD), got 'last week'"),
        ({"expires": "2026-13-01"}, "'expires' must be a date (YYYY-MM-DD), got '2026-13-01'"),
        ({"created": TODAY + timedelta(days=1)}, "created 2026-11-27 is in the future"),
        (
            {"created": TODAY - timedelta(days=1), "expires": TODAY - timedelta(days=2)},
            "expires 2026-11-24 before it was created (2026-11-25)",
        ),
        (
            {"created": TODAY - timedelta(days=1), "expires": TODAY + timedelta(days=MAX_DAYS)},
            f"lasts {MAX_DAYS + 1} days; a waiver may last at most {MAX_DAYS}: renew it instead",
        ),
    ],
)
def test_a_malformed_entry_is_invalid_and_covers_nothing(tmp_path: Path, changes: dict[str, Any], problem: str) -> None:
    waivers = load(tmp_path, entry(**changes))
    state, got = only_status(waivers)
    assert state == "invalid"
    assert got is not None and got.startswith(problem)
    assert waivers.active == []
    assert waivers.for_test("tests/test_s3.py::test_tls", ["STRATA-S3-001"]) is None


@pytest.mark.parametrize(
    ("owner", "approver"),
    [
        ("alice", "Alice"),  # case
        ("alice", "ALICE "),  # case and a trailing space
        ("Straße-Team", "STRASSE-team"),  # case folding, not just lowering
        ("\uff50\uff4c\uff41\uff54\uff46\uff4f\uff52\uff4d", "platform"),  # full-width letters (NFKC)
        ("platform  team", "platform team"),  # runs of spaces
    ],
)
def test_the_approver_is_compared_with_the_owner_by_identity(tmp_path: Path, owner: str, approver: str) -> None:
    state, problem = only_status(load(tmp_path, entry(owner=owner, approver=approver)))
    assert state == "invalid"
    assert problem is not None and problem.startswith("the approver must not be the owner (both are ")


@pytest.mark.parametrize(
    ("key", "name", "code"),
    [
        ("approver", "platform-team\u200b", "U+200B"),  # zero-width space: looks like the owner
        ("approver", "platform\u00adteam", "U+00AD"),  # soft hyphen
        ("owner", "\ufeffalice", "U+FEFF"),  # byte order mark
        ("owner", "platform\u00a0team", "U+00A0"),  # no-break space
        ("approver", "security\u2003lead", "U+2003"),  # em space
        ("approver", "security\tlead", "U+0009"),  # control character
        ("approver", "security\u3164lead", "U+3164"),  # Hangul filler: a letter that renders as nothing
        ("owner", "ali\u202ece", "U+202E"),  # right-to-left override
    ],
)
def test_a_name_with_an_invisible_character_is_refused(tmp_path: Path, key: str, name: str, code: str) -> None:
    state, problem = only_status(load(tmp_path, entry(**{key: name})))
    assert state == "invalid"
    assert problem == f"{key} {name!r} contains an invisible or control character ({code}): type the name plainly"


@pytest.mark.parametrize("reason", [".", "n/a", "TODO", "ok ok", "-- 1 2 3 --", "see ticket"])
def test_a_reason_that_explains_nothing_is_refused(tmp_path: Path, reason: str) -> None:
    state, problem = only_status(load(tmp_path, entry(reason=reason)))
    assert state == "invalid"
    assert problem == (
        f"reason {reason!r} explains nothing: say in 3+ words why the deviation is accepted and what covers the risk"
        " meanwhile"
    )


@pytest.mark.parametrize("ticket", [".", "-", "n/a", "TODO", "PLAT", "123", "A-1", "plat-123", "http://", "see #"])
def test_a_ticket_that_points_nowhere_is_refused(tmp_path: Path, ticket: str) -> None:
    state, problem = only_status(load(tmp_path, entry(ticket=ticket)))
    assert state == "invalid"
    assert problem == (
        f"ticket {ticket!r} is not a ticket: give a tracker key (PLAT-123), an issue number (#42, issue 42) or a URL"
    )


@pytest.mark.parametrize(
    "ticket",
    [
        "PLAT-123",
        "SEC_OPS-7",
        "#42",
        "issue 42",
        "stratatest issue 4",
        "org/repo#42",
        "https://tracker.example.com/browse/PLAT-1",
    ],
)
def test_a_ticket_that_names_a_tracker_item_is_accepted(tmp_path: Path, ticket: str) -> None:
    assert only_status(load(tmp_path, entry(ticket=ticket))) == ("active", None)


@pytest.mark.parametrize("resource", ["*", "**", "?*", "*.*", "*::*", " * "])
def test_a_selector_that_names_nothing_is_refused(tmp_path: Path, resource: str) -> None:
    waivers = load(tmp_path, entry(resource=resource))
    state, problem = only_status(waivers)
    assert state == "invalid"
    assert problem is not None and problem.startswith(f"resource {resource!r} selects everything")
    assert "name the resources it covers" in problem
    assert waivers.for_test("tests/test_s3.py::test_tls", ["STRATA-S3-001"]) is None


@pytest.mark.parametrize("framework", ["terraform", "terraform_plan", "kubernetes", "helm"])
def test_each_framework_the_suite_scans_with_is_accepted(tmp_path: Path, framework: str) -> None:
    (waiver,) = load(tmp_path, entry(framework=framework)).active
    assert waiver.framework == framework


def test_an_entry_that_is_not_a_mapping_is_invalid(tmp_path: Path) -> None:
    waivers = load(tmp_path, "W-001", entry(id="W-002"))
    assert [(s.id, s.state, s.problem) for s in waivers.statuses] == [
        ("#1", "invalid", "expected a mapping, got str"),
        ("W-002", "active", None),
    ]


def test_a_duplicate_id_invalidates_the_second_entry_only(tmp_path: Path) -> None:
    waivers = load(tmp_path, entry(), entry(resource="tests/*"))
    assert [(s.state, s.problem) for s in waivers.statuses] == [("active", None), ("invalid", "duplicate id W-001")]
    assert [w.resource for w in waivers.active] == ["tests/test_s3.py::*"]


def test_an_id_is_taken_even_by_an_invalid_entry(tmp_path: Path) -> None:
    waivers = load(tmp_path, entry(approver=None), entry())
    assert [s.problem for s in waivers.statuses] == ["missing field 'approver'", "duplicate id W-001"]
    assert waivers.active == []


def test_the_status_keeps_what_the_file_said(tmp_path: Path) -> None:
    (status,) = load(tmp_path, entry(approver=None, ticket="PLAT-9")).statuses
    assert (status.control, status.ticket, status.approver, status.created) == (
        "STRATA-S3-001",
        "PLAT-9",
        None,
        "2026-11-16",
    )
    assert status.age_days == 10, "an invalid waiver's age is still shown"


# -- dates ------------------------------------------------------------------------------------------------


def test_a_waiver_is_valid_through_its_expiry_day(tmp_path: Path) -> None:
    expires = TODAY + timedelta(days=30)
    assert only_status(load(tmp_path, entry(), today=expires)) == ("active", None)
    day_after = expires + timedelta(days=1)
    assert only_status(load(tmp_path, entry(), today=day_after)) == ("expired", f"expired on {expires}")
    assert load(tmp_path, entry(), today=day_after).active == []


def test_a_waiver_may_last_exactly_the_maximum(tmp_path: Path) -> None:
    waivers = load(tmp_path, entry(created=TODAY, expires=TODAY + timedelta(days=MAX_DAYS)))
    assert only_status(waivers) == ("active", None)
    assert waivers.statuses[0].age_days == 0


def test_a_waiver_created_and_expiring_today_is_active(tmp_path: Path) -> None:
    assert only_status(load(tmp_path, entry(created=TODAY, expires=TODAY))) == ("active", None)


def test_age_counts_days_since_created(tmp_path: Path) -> None:
    created = TODAY - timedelta(days=200)
    waivers = load(tmp_path, entry(created=created, expires=created + timedelta(days=300)))
    assert waivers.statuses[0].age_days == 200


def test_an_expired_waiver_still_shows_its_age(tmp_path: Path) -> None:
    created = TODAY - timedelta(days=100)
    (status,) = load(tmp_path, entry(created=created, expires=TODAY - timedelta(days=1))).statuses
    assert (status.state, status.age_days) == ("expired", 100)


# -- what a waiver covers ---------------------------------------------------------------------------------


def test_a_control_waiver_covers_failing_tests_of_that_control_its_glob_matches(tmp_path: Path) -> None:
    waivers = load(tmp_path, entry())
    assert waivers.for_test("tests/test_s3.py::test_tls[prod]", ["STRATA-K8S-009", "STRATA-S3-001"]) is not None
    assert waivers.for_test("tests/test_s3.py::test_tls", ["STRATA-K8S-009"]) is None, "another control"
    assert waivers.for_test("tests/test_kms.py::test_tls", ["STRATA-S3-001"]) is None, "another file"
    assert waivers.for_test("tests/test_s3.py::test_tls", []) is None, "a test without controls"


def test_a_control_waiver_covers_findings_mapped_to_its_control(tmp_path: Path) -> None:
    (waiver,) = load(tmp_path, entry(resource="module.logs.aws_s3_bucket.*")).active
    assert waiver.covers_finding("CKV_AWS_19", ["STRATA-S3-001"], "module.logs.aws_s3_bucket.this", "terraform")
    assert not waiver.covers_finding("CKV_AWS_19", [], "module.logs.aws_s3_bucket.this", "terraform")
    assert not waiver.covers_finding("CKV_AWS_19", ["STRATA-S3-001"], "module.data.aws_s3_bucket.this", "terraform")


def test_a_check_waiver_covers_that_check_only_and_never_a_test(tmp_path: Path) -> None:
    waivers = load(tmp_path, entry(control=None, check="CKV_K8S_21", resource="*.default.*"))
    (waiver,) = waivers.active
    assert waiver.covers_finding("CKV_K8S_21", [], "Deployment.default.api", "kubernetes")
    assert not waiver.covers_finding("CKV_K8S_22", [], "Deployment.default.api", "kubernetes")
    assert not waiver.covers_finding("CKV_K8S_21", [], "Deployment.prod.api", "kubernetes")
    assert waivers.for_test("tests/x.py::test_default_namespace", ["STRATA-K8S-009"]) is None


def test_a_framework_narrows_a_waiver_to_that_scanner_framework(tmp_path: Path) -> None:
    waivers = load(tmp_path, entry(control=None, check="CKV_K8S_21", framework="helm", resource="*.default.*"))
    assert waivers.for_finding("CKV_K8S_21", [], "Deployment.default.api", "helm") is not None
    assert waivers.for_finding("CKV_K8S_21", [], "Deployment.default.api", "kubernetes") is None


def test_a_control_waiver_narrowed_to_a_framework_covers_no_test(tmp_path: Path) -> None:
    waivers = load(tmp_path, entry(framework="helm", resource="Deployment.*"))
    assert waivers.for_finding("CKV_K8S_21", ["STRATA-S3-001"], "Deployment.default.api", "helm") is not None
    assert waivers.for_test("tests/test_s3.py::test_tls", ["STRATA-S3-001"]) is None


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        ("tests/test_s3.py::test_tls[prod]", "tests/test_s3.py::test_tls[prod]", True),  # brackets are literal
        ("tests/test_s3.py::test_tls[prod]", "tests/test_s3.py::test_tlsp", False),
        ('aws_s3_bucket.b["logs"]', 'aws_s3_bucket.b["logs"]', True),
        ("module.*.aws_s3_bucket.this[?]", "module.a.module.b.aws_s3_bucket.this[0]", True),  # * spans dots
        ("tests/*::test_tls", "tests/unit/test_s3.py::test_tls", True),  # * spans / and ::
        ("*.default.release-name", "Deployment.default.release-name", True),
        ("*.default.release-name", "Deployment.default.release-name-x", False),  # the whole name must match
        ("Deployment.default.*", "deployment.default.api", False),  # case matters
        ("a.b", "axb", False),  # a dot is a dot
    ],
)
def test_selector_globs(pattern: str, name: str, matches: bool) -> None:
    assert glob_matches(pattern, name) is matches


def test_the_first_active_waiver_that_covers_wins(tmp_path: Path) -> None:
    waivers = load(tmp_path, entry(resource="tests/test_s3.py::test_tls"), entry(id="W-002", resource="tests/*"))
    assert waivers.for_test("tests/test_s3.py::test_tls", ["STRATA-S3-001"]).id == "W-001"  # type: ignore[union-attr]
    assert waivers.for_test("tests/test_s3.py::test_other", ["STRATA-S3-001"]).id == "W-002"  # type: ignore[union-attr]


# -- the file ---------------------------------------------------------------------------------------------


def test_no_file_means_no_waivers() -> None:
    waivers = load_waivers(None, CATALOGUE)
    assert (waivers.active, waivers.statuses, waivers.path) == ([], [], None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\nwaivers:\n  - id: W-001\n    reason: [unclosed\n", r"waivers\.yaml: invalid YAML at line 5"),
        ("version: 1\nwaivers:\n  - id: W-001\n    id: W-002\n", r"invalid YAML at line 4, .*duplicate key 'id'"),
        ("version: 1\nwaivers:\n", r"expected 'version: 1' and a 'waivers' list .*'waivers: \[\]' for none"),
        ("version: 2\nwaivers: []\n", "expected 'version: 1'"),
        ("- W-001\n", "expected 'version: 1'"),
        ("", "expected 'version: 1'"),
    ],
)
def test_a_file_that_cannot_be_trusted_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_waivers(path, CATALOGUE, today=TODAY)
    assert str(path) in str(info.value)


def test_an_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.yaml: cannot read waivers"):
        load_waivers(tmp_path / "missing.yaml", CATALOGUE)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match=r"binary\.yaml: cannot read waivers"):
        load_waivers(binary, CATALOGUE)


def test_an_empty_list_is_no_waivers(tmp_path: Path) -> None:
    assert load(tmp_path).statuses == []


def test_default_path_is_beside_the_catalogue_or_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WAIVERS_ENV, raising=False)
    catalogue = Catalogue(list(CATALOGUE), tmp_path / "catalogue.yaml")
    assert default_waivers_path(catalogue) is None, "no file: no waivers"
    assert default_waivers_path(CATALOGUE) is None, "a catalogue without a file"
    (tmp_path / "waivers.yaml").write_text("version: 1\nwaivers: []\n", encoding="utf-8")
    assert default_waivers_path(catalogue) == tmp_path / "waivers.yaml"
    other = tmp_path / "other.yaml"
    monkeypatch.setenv(WAIVERS_ENV, str(other))
    with pytest.raises(ConfigError, match=f"{WAIVERS_ENV}=.*other.yaml: no such file"):
        default_waivers_path(catalogue)
    other.write_text("version: 1\nwaivers: []\n", encoding="utf-8")
    assert default_waivers_path(catalogue) == other


def test_the_repository_waivers_load_and_are_all_active() -> None:
    catalogue = load_catalogue(ROOT / "controls" / "catalogue.yaml")
    waivers = load_waivers(ROOT / "controls" / "waivers.yaml", catalogue)
    assert waivers.statuses, "the repository's waivers file lists its waivers"
    assert [(s.id, s.state, s.problem) for s in waivers.statuses if s.state != "active"] == []
    assert len(waivers.active) == len(waivers.statuses)
