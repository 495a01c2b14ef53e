"""The catalogue loader: the repo's file is valid; every bad input is one line naming file, control and mapping."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stratatest.compliance.catalogue import (
    CATALOGUE_ENV,
    FRAMEWORKS,
    Catalogue,
    Control,
    Framework,
    Mapping,
    load_catalogue,
)
from stratatest.errors import ConfigError

REPO_CATALOGUE = Path(__file__).resolve().parents[3] / "controls" / "catalogue.yaml"

GOOD_CONTROL = """\
  - id: STRATA-S3-001
    title: S3 default encryption uses SSE-KMS
    severity: high
    rationale: key access is audited
    remediation: set sse_algorithm = aws:kms
    mappings:
      - framework: AWS FSBP
        version: "1.0.0"
        ids: ["S3.17"]
"""


def mapped(*mappings: tuple[str, str, list[str]]) -> str:
    """GOOD_CONTROL with its mappings replaced by these (framework, version, ids)."""
    text = GOOD_CONTROL.split("    mappings:")[0] + "    mappings:\n"
    for framework, version, ids in mappings:
        quoted = ", ".join(f'"{i}"' for i in ids)
        text += f'      - framework: {framework}\n        version: "{version}"\n        ids: [{quoted}]\n'
    return text


def write(tmp_path: Path, controls: str, header: str = "version: 1\ncontrols:\n") -> Path:
    path = tmp_path / "controls" / "catalogue.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + controls, encoding="utf-8")
    return path


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from tmp_path so messages show the relative path `controls/catalogue.yaml`, as users see it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(CATALOGUE_ENV, raising=False)
    return tmp_path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_catalogue(path)
    message = str(info.value)
    assert "\n" not in message, "a ConfigError is one line"
    return message


# -- the repository's catalogue ---------------------------------------------------------------------------


def test_repo_catalogue_lists_the_platform_controls_in_order() -> None:
    catalogue = load_catalogue(REPO_CATALOGUE)
    assert catalogue.ids == [
        "STRATA-S3-001",
        "STRATA-S3-002",
        "STRATA-S3-003",
        "STRATA-S3-004",
        "STRATA-S3-005",
        "STRATA-S3-006",
        "STRATA-KMS-001",
        "STRATA-DDB-001",
        "STRATA-DDB-002",
        "STRATA-TFSTATE-001",
        "STRATA-VPC-001",
        "STRATA-VPC-002",
        "STRATA-LOGS-001",
        "STRATA-IAM-001",
        "STRATA-EKS-001",
        "STRATA-EKS-002",
        "STRATA-EKS-003",
        "STRATA-EKS-004",
        "STRATA-EKS-005",
        "STRATA-EC2-001",
        "STRATA-EBS-001",
        "STRATA-RDS-001",
        "STRATA-RDS-002",
        "STRATA-RDS-003",
        "STRATA-RDS-004",
        "STRATA-RDS-005",
        "STRATA-ECR-001",
        "STRATA-ECR-002",
        "STRATA-ECR-003",
        "STRATA-GD-001",
        "STRATA-CT-001",
        "STRATA-IAM-002",
        "STRATA-IAM-003",
        "STRATA-OBS-001",
        "STRATA-K8S-001",
        "STRATA-K8S-002",
        "STRATA-K8S-003",
        "STRATA-K8S-004",
        "STRATA-K8S-005",
        "STRATA-K8S-006",
        "STRATA-K8S-007",
        "STRATA-K8S-008",
        "STRATA-K8S-009",
        "STRATA-K8S-010",
        "STRATA-K8S-011",
        "STRATA-K8S-012",
        "STRATA-K8S-013",
        "STRATA-K8S-014",
        "STRATA-K8S-015",
        "STRATA-OBS-002",
        "STRATA-OBS-003",
        "STRATA-OBS-004",
        "STRATA-LOGS-002",
        "STRATA-LOGS-003",
    ]


def test_repo_catalogue_custom_controls_explain_themselves_and_mappings_carry_versions() -> None:
    for control in load_catalogue(REPO_CATALOGUE):
        if not control.mappings:
            assert control.notes, control.id
        for mapping in control.mappings:
            assert mapping.version and mapping.ids, control.id


def test_repo_catalogue_ids_are_unique_in_the_file() -> None:
    """Read without the loader, so a duplicate is caught even if the loader stopped rejecting one."""
    ids = [entry["id"] for entry in yaml.safe_load(REPO_CATALOGUE.read_text(encoding="utf-8"))["controls"]]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_repo_catalogue_maps_every_control_to_soc2_or_nist_or_says_why_not() -> None:
    """An auditor reads SOC 2 or NIST first; a control with neither must say why in its notes."""
    unexplained = [
        c.id
        for c in load_catalogue(REPO_CATALOGUE)
        if not {m.framework for m in c.mappings} & {"SOC 2", "NIST SP 800-53"}
        and not (c.notes and "SOC 2" in c.notes and "NIST" in c.notes)
    ]
    assert not unexplained


def test_repo_catalogue_records_the_checked_audit_mappings() -> None:
    """Spot checks against the sources named in the file header (Security Hub KMS.4, Prowler, Kubescape)."""
    catalogue = load_catalogue(REPO_CATALOGUE)

    def ids(control_id: str, framework: str) -> tuple[str, ...]:
        return next((m.ids for m in catalogue.get(control_id).mappings if m.framework == framework), ())

    assert ids("STRATA-KMS-001", "NIST SP 800-53") == ("SC-12", "SC-12(2)", "SC-28(3)")
    assert ids("STRATA-KMS-001", "HIPAA") == ("164.312(a)(2)(iv)",)
    assert "164.312(b)" in ids("STRATA-LOGS-001", "HIPAA")
    assert {"CC7.2", "CC7.3"} <= set(ids("STRATA-LOGS-001", "SOC 2"))
    assert ids("STRATA-K8S-007", "SOC 2") == ("CC6.1", "CC6.6", "CC7.2")
    assert ids("STRATA-K8S-001", "SOC 2") == ids("STRATA-K8S-001", "NIST SP 800-53") == ()


def test_repo_catalogue_keeps_cis_renumbering_apart() -> None:
    tls = load_catalogue(REPO_CATALOGUE).get("STRATA-S3-003")
    cis = {m.version: m.ids for m in tls.mappings if m.framework == "CIS AWS Foundations"}
    assert cis == {"5.0.0": ("2.1.1",), "6.0.0": ("3.1.1",)}


# -- loading ----------------------------------------------------------------------------------------------


def test_loads_fields_into_frozen_dataclasses(in_tmp: Path) -> None:
    catalogue = load_catalogue(write(in_tmp, GOOD_CONTROL))
    control = catalogue.get("STRATA-S3-001")
    assert control == Control(
        id="STRATA-S3-001",
        title="S3 default encryption uses SSE-KMS",
        severity="high",
        rationale="key access is audited",
        remediation="set sse_algorithm = aws:kms",
        mappings=(Mapping("AWS FSBP", "1.0.0", ("S3.17",)),),
    )
    with pytest.raises(AttributeError):
        control.severity = "low"  # type: ignore[misc]


def test_bad_severity_names_file_control_and_allowed_values(in_tmp: Path) -> None:
    path = write(in_tmp, GOOD_CONTROL.replace("severity: high", "severity: urgent"))
    assert error_of(path) == (
        "controls/catalogue.yaml: control STRATA-S3-001: severity 'urgent' is not one of critical, high, medium, low"
    )


@pytest.mark.parametrize("field", ["title", "severity", "rationale", "remediation", "mappings"])
def test_missing_field(in_tmp: Path, field: str) -> None:
    if field == "mappings":
        text = GOOD_CONTROL.split("    mappings:")[0]
    else:
        text = "".join(line for line in GOOD_CONTROL.splitlines(True) if not line.startswith(f"    {field}:"))
    path = write(in_tmp, text)
    assert error_of(path) == f"controls/catalogue.yaml: control STRATA-S3-001: missing field '{field}'"


def test_missing_id_names_the_control_by_position(in_tmp: Path) -> None:
    second = GOOD_CONTROL.replace("  - id: STRATA-S3-001\n    title", "  - title")
    message = error_of(write(in_tmp, GOOD_CONTROL + second))
    assert message == "controls/catalogue.yaml: control #2: missing field 'id'"


def test_duplicate_id(in_tmp: Path) -> None:
    message = error_of(write(in_tmp, GOOD_CONTROL + GOOD_CONTROL))
    assert message.startswith("controls/catalogue.yaml: control STRATA-S3-001: duplicate id")


def test_malformed_yaml_gives_the_line(in_tmp: Path) -> None:
    path = write(in_tmp, GOOD_CONTROL.replace("title: S3 default", "title: [S3 default"))
    message = error_of(path)
    assert message.startswith("controls/catalogue.yaml: invalid YAML at line 5, column ")
    assert message.endswith("'severity: high'")


def test_duplicate_yaml_key_is_not_silently_overwritten(in_tmp: Path) -> None:
    doubled = GOOD_CONTROL.replace("    severity: high\n", "    severity: high\n    severity: low\n")
    path = write(in_tmp, doubled)
    message = error_of(path)
    assert "duplicate key 'severity'" in message
    assert "line 6" in message


def test_unquoted_framework_version_must_be_quoted(in_tmp: Path) -> None:
    path = write(in_tmp, GOOD_CONTROL.replace('version: "1.0.0"', "version: 3.3"))
    message = error_of(path)
    assert message.startswith("controls/catalogue.yaml: control STRATA-S3-001: mapping #1: version must")
    assert '"3.3"' in message


def test_mapping_without_version_is_rejected(in_tmp: Path) -> None:
    path = write(in_tmp, GOOD_CONTROL.replace('        version: "1.0.0"\n', ""))
    assert "mapping #1: missing field 'version'" in error_of(path)


@pytest.mark.parametrize("bad_id", ["strata-s3-001", "STRATA", "STRATA-S3-", "STRATA_S3_001"])
def test_id_pattern(in_tmp: Path, bad_id: str) -> None:
    path = write(in_tmp, GOOD_CONTROL.replace("STRATA-S3-001", bad_id))
    assert "does not match" in error_of(path)


def test_unknown_field_catches_typos(in_tmp: Path) -> None:
    path = write(in_tmp, GOOD_CONTROL.replace("remediation:", "remidiation:"))
    assert "missing field 'remediation'" in error_of(path)
    path = write(in_tmp, GOOD_CONTROL + "    owner: platform\n")
    assert "unknown field 'owner'" in error_of(path)


def test_custom_control_needs_notes(in_tmp: Path) -> None:
    custom = GOOD_CONTROL.split("    mappings:")[0] + "    mappings: []\n"
    assert "needs 'notes'" in error_of(write(in_tmp, custom))
    catalogue = load_catalogue(write(in_tmp, custom + "    notes: no public check exists\n"))
    assert catalogue.get("STRATA-S3-001").notes == "no public check exists"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 2\ncontrols: []\n", "'version' must be 1"),
        ("version: 1\ncontrols: []\n", "'controls' must be a non-empty list"),
        ("- just a list\n", "expected a mapping"),
        ("", "expected a mapping"),
    ],
)
def test_top_level_shape(in_tmp: Path, text: str, expected: str) -> None:
    path = in_tmp / "controls" / "catalogue.yaml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    assert expected in error_of(path)


def test_missing_file(in_tmp: Path) -> None:
    assert "cannot read controls catalogue" in error_of(in_tmp / "nope.yaml")


# -- frameworks -------------------------------------------------------------------------------------------


def test_frameworks_are_listed_once_audit_frameworks_first() -> None:
    keys = [(f.name, f.version) for f in FRAMEWORKS]
    assert len(keys) == len(set(keys))
    assert [f.name for f in FRAMEWORKS[:3]] == ["NIST SP 800-53", "SOC 2", "HIPAA"]
    assert all(f.title and f.id_pattern.fullmatch(f.example) for f in FRAMEWORKS)


@pytest.mark.parametrize("framework", FRAMEWORKS, ids=lambda f: f"{f.name} {f.version}")
def test_each_framework_loads_with_its_example_id(in_tmp: Path, framework: Framework) -> None:
    name, version, example = framework.name, framework.version, framework.example
    control = load_catalogue(write(in_tmp, mapped((name, version, [example])))).get("STRATA-S3-001")
    assert control.mappings == (Mapping(name, version, (example,)),)


@pytest.mark.parametrize(
    ("framework", "version", "bad_id"),
    [
        ("NIST SP 800-53", "Rev. 5", "AC-2(3)(a)"),  # a statement part: record the enhancement AC-2(3)
        ("NIST SP 800-53", "Rev. 5", "XY-1"),  # no such control family
        ("NIST SP 800-53", "Rev. 5", "ac-2"),
        ("SOC 2", "2017 TSC", "CC7"),
        ("SOC 2", "2017 TSC", "cc_7_2"),  # Prowler's requirement key, not the criterion
        ("HIPAA", "45 CFR 164 Subpart C", "164_312_b"),
        ("HIPAA", "45 CFR 164 Subpart C", "164.312(a)(2)(IV)"),
        ("HIPAA", "45 CFR 164 Subpart C", "164.512(b)"),  # the Privacy Rule, not Subpart C
        ("CIS AWS Foundations", "5.0.0", "2"),
        ("CIS Kubernetes", "1.12", "5.2.a"),
        ("AWS FSBP", "1.0.0", "S3-17"),
        ("Checkov", "3.3", "CKV_AWS19"),
    ],
)
def test_malformed_framework_id(in_tmp: Path, framework: str, version: str, bad_id: str) -> None:
    message = error_of(write(in_tmp, mapped(("AWS FSBP", "1.0.0", ["S3.17"]), (framework, version, [bad_id]))))
    example = next(f.example for f in FRAMEWORKS if (f.name, f.version) == (framework, version))
    prefix = "controls/catalogue.yaml: control STRATA-S3-001: mapping #2:"
    assert message.startswith(f"{prefix} {framework} id {bad_id!r} is malformed (expected ^")
    assert message.endswith(f"e.g. {example})")


@pytest.mark.parametrize(
    ("framework", "expected"),
    [
        ("SOC2", "unknown framework 'SOC2' — did you mean 'SOC 2'?"),
        ("PCI DSS", "unknown framework 'PCI DSS' — known frameworks: NIST SP 800-53, SOC 2, HIPAA, CIS AWS"),
    ],
)
def test_unknown_framework(in_tmp: Path, framework: str, expected: str) -> None:
    message = error_of(write(in_tmp, mapped((framework, "1.0.0", ["CC7.2"]))))
    assert message.startswith(f"controls/catalogue.yaml: control STRATA-S3-001: mapping #1: {expected}")


@pytest.mark.parametrize(
    ("framework", "version", "known"),
    [
        ("CIS AWS Foundations", "4.0.0", '"5.0.0", "6.0.0"'),
        ("NIST SP 800-53", "Rev. 4", '"Rev. 5"'),
        ("Checkov", "3.4", '"3.3"'),
    ],
)
def test_wrong_version_of_a_known_framework(in_tmp: Path, framework: str, version: str, known: str) -> None:
    message = error_of(write(in_tmp, mapped((framework, version, ["1.1"]))))
    assert message.startswith(
        f"controls/catalogue.yaml: control STRATA-S3-001: mapping #1: {framework} version {version!r} is not one "
        f"the catalogue knows (known: {known}) — ids differ between versions"
    )
    assert "stratatest.compliance.catalogue.FRAMEWORKS" in message


def test_an_id_listed_twice_in_a_mapping(in_tmp: Path) -> None:
    message = error_of(write(in_tmp, mapped(("SOC 2", "2017 TSC", ["CC7.2", "CC6.1", "CC7.2"]))))
    assert message == "controls/catalogue.yaml: control STRATA-S3-001: mapping #1: SOC 2 id 'CC7.2' is listed twice"


def test_a_framework_version_mapped_twice_in_a_control(in_tmp: Path) -> None:
    path = write(
        in_tmp,
        mapped(
            ("SOC 2", "2017 TSC", ["CC7.2"]),
            ("HIPAA", "45 CFR 164 Subpart C", ["164.312(b)"]),
            ("SOC 2", "2017 TSC", ["CC6.1"]),
        ),
    )
    assert error_of(path) == (
        "controls/catalogue.yaml: control STRATA-S3-001: SOC 2 2017 TSC is mapped twice; merge the ids"
    )


def test_the_same_framework_in_two_versions_is_two_mappings(in_tmp: Path) -> None:
    path = write(
        in_tmp, mapped(("CIS AWS Foundations", "5.0.0", ["2.1.1"]), ("CIS AWS Foundations", "6.0.0", ["3.1.1"]))
    )
    assert len(load_catalogue(path).get("STRATA-S3-001").mappings) == 2


# -- not_assessable ---------------------------------------------------------------------------------------


def test_not_assessable_is_loaded_and_defaults_to_none(in_tmp: Path) -> None:
    reason = "needs a real EKS cluster; no test layer here runs one"
    catalogue = load_catalogue(write(in_tmp, GOOD_CONTROL + f"    not_assessable: {reason}\n"))
    assert catalogue.get("STRATA-S3-001").not_assessable == reason
    assert load_catalogue(write(in_tmp, GOOD_CONTROL)).get("STRATA-S3-001").not_assessable is None


@pytest.mark.parametrize("value", ["", '""', "[cluster]", "true"])
def test_not_assessable_must_be_a_reason(in_tmp: Path, value: str) -> None:
    message = error_of(write(in_tmp, GOOD_CONTROL + f"    not_assessable: {value}\n"))
    assert message.startswith("controls/catalogue.yaml: control STRATA-S3-001: 'not_assessable' must be a non-empty")


# -- lookups ----------------------------------------------------------------------------------------------


def test_unknown_id_suggests_the_closest_and_names_the_file(in_tmp: Path) -> None:
    catalogue = load_catalogue(write(in_tmp, GOOD_CONTROL))
    with pytest.raises(ConfigError) as info:
        catalogue.get("STRATA-S3-01")
    message = str(info.value)
    assert "'STRATA-S3-01'" in message
    assert "controls/catalogue.yaml" in message
    assert "did you mean STRATA-S3-001?" in message


def test_unknown_id_without_close_match_says_how_to_fix(in_tmp: Path) -> None:
    catalogue = load_catalogue(write(in_tmp, GOOD_CONTROL))
    with pytest.raises(ConfigError, match=r"add it to controls/catalogue\.yaml"):
        catalogue.get("XYZ-1")


def test_contains_iter_ids_len() -> None:
    controls = [Control(f"A-{n}", "t", "low", "r", "m", notes="n") for n in (2, 1)]
    catalogue = Catalogue(controls)
    assert "A-1" in catalogue and "A-3" not in catalogue
    assert [c.id for c in catalogue] == ["A-2", "A-1"]
    assert catalogue.ids == ["A-2", "A-1"]
    assert len(catalogue) == 2
