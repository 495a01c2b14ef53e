"""The controls catalogue: the project's control ids, their severity and their public-framework mappings.

Tests refer to controls by id, so a typo must fail loudly at collection time rather than leave a control
silently "not assessed"; every validation error names the file and the control so it can be fixed in one go.
Mappings are checked against FRAMEWORKS, the one list of framework names, versions and id shapes: an auditor
reading "SOC2 CC7.2" next to "SOC 2 CC7.2", or a CIS id without the version that numbers it, cannot trust either.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stratatest.errors import ConfigError
from stratatest.paths import display_path
from stratatest.strictyaml import StrictLoader, yaml_location

CATALOGUE_ENV = "STRATATEST_CATALOGUE"
SEVERITIES = ("critical", "high", "medium", "low")
ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
FORMAT_VERSION = 1

_TOP_KEYS = {"version", "controls"}
_CONTROL_REQUIRED = ("id", "title", "severity", "rationale", "remediation", "mappings")
_CONTROL_KEYS = {*_CONTROL_REQUIRED, "notes", "not_assessable"}
_MAPPING_KEYS = ("framework", "version", "ids")


@dataclass(frozen=True)
class Framework:
    """One version of a public framework the catalogue may cite; `example` is a valid id, shown in errors."""

    name: str
    version: str
    title: str
    id_pattern: re.Pattern[str]
    example: str


_CIS_ID = re.compile(r"\d+(\.\d+)+")

#: Every framework version a mapping may name, in the order reports list them: the audit frameworks first,
#: then the benchmarks and scanner ids that implement them. A new version (CIS renumbers) is a new entry.
FRAMEWORKS: tuple[Framework, ...] = (
    Framework(
        "NIST SP 800-53",
        "Rev. 5",
        "NIST SP 800-53 Rev. 5 security and privacy controls",
        re.compile(r"(AC|AT|AU|CA|CM|CP|IA|IR|MA|MP|PE|PL|PM|PS|PT|RA|SA|SC|SI|SR)-\d+(\(\d+\))?"),
        "SC-28(1)",
    ),
    Framework(
        "SOC 2",
        "2017 TSC",
        "SOC 2: AICPA Trust Services Criteria (2017)",
        re.compile(r"(CC|A|C|PI|P)\d+\.\d+"),
        "CC6.1",
    ),
    Framework(
        "HIPAA",
        "45 CFR 164 Subpart C",
        "HIPAA Security Rule (45 CFR Part 164, Subpart C)",
        re.compile(r"164\.3\d\d(\([a-z]\)(\(\d+\)(\([ivx]+\)(\([A-Z]\))?)?)?)?"),
        "164.312(a)(2)(iv)",
    ),
    Framework("CIS AWS Foundations", "5.0.0", "CIS Amazon Web Services Foundations Benchmark v5.0.0", _CIS_ID, "2.1.4"),
    Framework("CIS AWS Foundations", "6.0.0", "CIS Amazon Web Services Foundations Benchmark v6.0.0", _CIS_ID, "3.1.1"),
    Framework("CIS EKS", "1.8.0", "CIS Amazon EKS Benchmark v1.8.0", _CIS_ID, "5.3.1"),
    Framework("CIS Kubernetes", "1.12", "CIS Kubernetes Benchmark v1.12", _CIS_ID, "5.2.7"),
    Framework(
        "AWS FSBP",
        "1.0.0",
        "AWS Foundational Security Best Practices v1.0.0 (Security Hub)",
        re.compile(r"[A-Za-z0-9]+\.\d+"),
        "S3.5",
    ),
    Framework("Checkov", "3.3", "Checkov 3.3 policy ids", re.compile(r"CKV2?_[A-Z0-9]+_\d+"), "CKV_AWS_19"),
)


@dataclass(frozen=True)
class Mapping:
    """Where a control appears in a public framework; the version is kept because frameworks renumber."""

    framework: str
    version: str
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Control:
    """One assertion an auditor can trace from a test result back to public frameworks."""

    id: str
    title: str
    severity: str
    rationale: str
    remediation: str
    mappings: tuple[Mapping, ...] = ()
    notes: str | None = None
    not_assessable: str | None = None  # why no test at any layer can assess it here; None when one can


class Catalogue:
    """Controls by id, in file order; remembers its source file for error messages."""

    def __init__(self, controls: list[Control] | tuple[Control, ...], path: Path | None = None) -> None:
        self._controls = {c.id: c for c in controls}
        self.path = path

    def get(self, control_id: str) -> Control:
        """The control with this id; an unknown id is a user error, reported with the closest known ids."""
        try:
            return self._controls[control_id]
        except KeyError:
            raise ConfigError(
                f"unknown control id {control_id!r} (not in {self.source})", hint=self._suggest(control_id)
            ) from None

    def _suggest(self, control_id: str) -> str:
        close = difflib.get_close_matches(control_id, self.ids, n=3, cutoff=0.6)
        if close:
            return "did you mean " + ", ".join(close) + "?"
        return f"add it to {self.source} or use one of its {len(self._controls)} ids"

    @property
    def source(self) -> str:
        return display_path(self.path) if self.path else "the controls catalogue"

    @property
    def ids(self) -> list[str]:
        return list(self._controls)

    def __contains__(self, control_id: object) -> bool:
        return control_id in self._controls

    def __iter__(self) -> Iterator[Control]:
        return iter(self._controls.values())

    def __len__(self) -> int:
        return len(self._controls)


def load_catalogue(path: Path) -> Catalogue:
    """Read and validate a catalogue file; any problem is a ConfigError naming the file and the control."""
    path = Path(path)
    where = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{where}: cannot read controls catalogue: {err.strerror or err}") from None
    try:
        data = yaml.load(text, Loader=StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as err:
        raise ConfigError(f"{where}: invalid YAML{yaml_location(err, text)}") from None

    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping with 'version' and 'controls' at the top level")
    _no_unknown_keys(data, _TOP_KEYS, where)
    if data.get("version") != FORMAT_VERSION:
        raise ConfigError(f"{where}: 'version' must be {FORMAT_VERSION}, got {data.get('version')!r}")
    entries = data.get("controls")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{where}: 'controls' must be a non-empty list")

    controls: list[Control] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        control = _parse_control(entry, where, index)
        if control.id in seen:
            raise ConfigError(f"{where}: control {control.id}: duplicate id (each id must appear once)")
        seen.add(control.id)
        controls.append(control)
    return Catalogue(controls, path)


def _parse_control(entry: Any, file: str, index: int) -> Control:
    raw_id = entry.get("id") if isinstance(entry, dict) else None
    where = f"{file}: control {raw_id}" if isinstance(raw_id, str) and raw_id else f"{file}: control #{index}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping, got {_kind(entry)}")
    for key in _CONTROL_REQUIRED:
        if key not in entry or entry[key] is None:
            raise ConfigError(f"{where}: missing field '{key}'")
    _no_unknown_keys(entry, _CONTROL_KEYS, where)

    control_id = _text(entry, "id", where)
    if not ID_PATTERN.fullmatch(control_id):
        raise ConfigError(f"{where}: id {control_id!r} does not match {ID_PATTERN.pattern} (e.g. STRATA-S3-001)")
    severity = _text(entry, "severity", where)
    if severity not in SEVERITIES:
        raise ConfigError(f"{where}: severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    raw_mappings = entry["mappings"]
    if not isinstance(raw_mappings, list):
        raise ConfigError(f"{where}: 'mappings' must be a list ([] for a custom control)")
    mappings = tuple(_parse_mapping(m, f"{where}: mapping #{i}") for i, m in enumerate(raw_mappings, 1))
    _no_repeated_framework(mappings, where)
    notes = _text(entry, "notes", where) if entry.get("notes") is not None else None
    if not mappings and not notes:
        raise ConfigError(f"{where}: a custom control (mappings: []) needs 'notes' saying why none applies")
    not_assessable = _text(entry, "not_assessable", where) if "not_assessable" in entry else None
    return Control(
        id=control_id,
        title=_text(entry, "title", where),
        severity=severity,
        rationale=_text(entry, "rationale", where),
        remediation=_text(entry, "remediation", where),
        mappings=mappings,
        notes=notes,
        not_assessable=not_assessable,
    )


def _parse_mapping(entry: Any, where: str) -> Mapping:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping with {', '.join(_MAPPING_KEYS)}, got {_kind(entry)}")
    for key in _MAPPING_KEYS:
        if key not in entry or entry[key] is None:
            raise ConfigError(f"{where}: missing field '{key}' (a framework id is meaningless without it)")
    _no_unknown_keys(entry, set(_MAPPING_KEYS), where)
    if not isinstance(entry["version"], str):
        raise ConfigError(f'{where}: version must be a string: quote it ("{entry["version"]}")')
    ids = entry["ids"]
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i.strip() for i in ids):
        raise ConfigError(f"{where}: 'ids' must be a non-empty list of strings")
    mapping = Mapping(
        framework=_text(entry, "framework", where),
        version=_text(entry, "version", where),
        ids=tuple(i.strip() for i in ids),
    )
    framework = _known_framework(mapping.framework, mapping.version, where)
    for framework_id in mapping.ids:
        if not framework.id_pattern.fullmatch(framework_id):
            raise ConfigError(
                f"{where}: {framework.name} id {framework_id!r} is malformed "
                f"(expected ^{framework.id_pattern.pattern}$, e.g. {framework.example})"
            )
    repeated = sorted({i for i in mapping.ids if mapping.ids.count(i) > 1})
    if repeated:
        raise ConfigError(f"{where}: {framework.name} id {repeated[0]!r} is listed twice")
    return mapping


def _known_framework(name: str, version: str, where: str) -> Framework:
    """The FRAMEWORKS entry for name and version; an unknown name or version is an error with the known ones."""
    versions = [f for f in FRAMEWORKS if f.name == name]
    if not versions:
        names = list(dict.fromkeys(f.name for f in FRAMEWORKS))
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"known frameworks: {', '.join(names)}"
        raise ConfigError(f"{where}: unknown framework {name!r}", hint=hint)
    for framework in versions:
        if framework.version == version:
            return framework
    known = ", ".join(f'"{f.version}"' for f in versions)
    raise ConfigError(
        f"{where}: {name} version {version!r} is not one the catalogue knows (known: {known})",
        hint=f"ids differ between versions: check them against {name} {version}, then add it to {__name__}.FRAMEWORKS",
    )


def _no_repeated_framework(mappings: tuple[Mapping, ...], where: str) -> None:
    """One mapping per framework version, so a reader finds all of a control's ids for it in one place."""
    seen: set[tuple[str, str]] = set()
    for mapping in mappings:
        key = (mapping.framework, mapping.version)
        if key in seen:
            raise ConfigError(f"{where}: {mapping.framework} {mapping.version} is mapped twice; merge the ids")
        seen.add(key)


def _text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: '{key}' must be a non-empty string, got {_kind(value)}")
    return value.strip()


def _no_unknown_keys(entry: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(str(k) for k in entry if k not in allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown field '{unknown[0]}' (allowed: {', '.join(sorted(allowed))})")


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"[:80]
