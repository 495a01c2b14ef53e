"""Case files (stratatest.yaml) read into cases: what each key means, and every mistake as one line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from stratatest.errors import ConfigError
from stratatest.terraform import casefile

REPO = Path(__file__).resolve().parents[3]
ALLOWED_CASE_KEYS = "allowed: inventory, variables_from, variables, rejects, layer, controls"


@pytest.fixture
def module(tmp_path: Path) -> Path:
    """A module folder with an inventory; the case file is written beside it by each test."""
    (tmp_path / "main.tf").write_text("")
    (tmp_path / "inventory").mkdir()
    (tmp_path / "inventory" / "default.yaml").write_text(
        "variables: {name: acme, tags: {owner: platform}}\ncounts: {aws_s3_bucket: 1}\n"
    )
    return tmp_path


def _load(folder: Path, text: str) -> list[casefile.Case]:
    path = folder / casefile.FILE_NAME
    path.write_text(textwrap.dedent(text))
    return casefile.load(path)


def test_every_kind_of_case(module: Path) -> None:
    cases = _load(
        module,
        """\
        # comments are fine
        cases:
          default:
            inventory: inventory/default.yaml
          bad-name:
            variables_from: inventory/default.yaml
            variables: {name: Acme_, tags: {"aws:owner": x}}
            rejects: [name, tags]
          applied:
            variables: {name: other}
            layer: apply
            controls: [STRATA-S3-001, STRATA-KMS-001]
        """,
    )
    default, bad, applied = cases
    assert (default.name, default.line, default.module, default.layer) == ("default", 3, module, "plan")
    assert default.inventory == module / "inventory" / "default.yaml"
    assert default.variables == {"name": "acme", "tags": {"owner": "platform"}}
    assert default.rejects is None and default.controls == ()
    # Over the base, shallowly: a variable given replaces the inventory's whole value.
    assert bad.variables == {"name": "Acme_", "tags": {"aws:owner": "x"}}
    assert bad.inventory is None  # variables_from gives variables only: nothing is compared
    assert bad.rejects == {"name", "tags"}
    assert (applied.layer, applied.variables, applied.controls) == (
        "apply",
        {"name": "other"},
        ("STRATA-S3-001", "STRATA-KMS-001"),
    )


def test_module_is_relative_to_the_file(tmp_path: Path, module: Path) -> None:
    tests = tmp_path / "cases"
    tests.mkdir()
    (case,) = _load(tests, "module: ..\ncases:\n  smoke: {}\n")
    assert case.module == module.resolve()
    assert case.variables == {}


def test_the_repositorys_case_files_load() -> None:
    """Every stratatest.yaml of the platform is valid, and each module's default case compares its inventory."""
    files = sorted((REPO / "terraform").rglob(casefile.FILE_NAME))
    assert len(files) >= 11
    for path in files:
        cases = {c.name: c for c in casefile.load(path)}
        assert cases["default"].inventory == path.parent / "inventory" / "default.yaml", path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "cases:\n  default:\n    invntory: inventory/default.yaml\n",
            f"cases.default: unknown key 'invntory'; {ALLOWED_CASE_KEYS}",
        ),
        ("modules: .\ncases: {a: {}}\n", "top level: unknown key 'modules'; allowed: module, cases"),
        ("module: .\n", "top level: no cases"),
        ("cases: {}\n", "cases: expected at least one case"),
        ("- default\n", "top level: expected a mapping of module, cases, got a list"),
        ("", "top level: expected a mapping of module, cases, got nothing"),
        ("cases: [default]\n", "cases: expected a mapping, got a list"),
        ("cases:\n  default:\n", "cases.default: expected a mapping of inventory, variables_from, variables,"),
        ("cases:\n  a b: {}\n", "cases.a b: a case id is letters, digits"),
        ("cases:\n  1: {}\n", "cases.1: a case id is letters"),
        ("cases:\n  default: {layer: emulator}\n", "cases.default.layer: expected one of plan, apply, got 'emulator'"),
        ("cases:\n  default: {variables: [name]}\n", "cases.default.variables: expected a mapping, got a list"),
        ("cases:\n  default: {inventory: 3}\n", "cases.default.inventory: expected a non-empty string, got a number"),
        (
            "cases:\n  default: {rejects: name}\n",
            "cases.default.rejects: expected a non-empty list of strings, got a string",
        ),
        (
            "cases:\n  default: {rejects: []}\n",
            "cases.default.rejects: expected a non-empty list of strings, got a list",
        ),
        ("cases:\n  default: {rejects: [a, a]}\n", "cases.default.rejects: 'a' is listed twice"),
        ("cases:\n  default: {controls: [1]}\n", "cases.default.controls: expected a non-empty list of strings"),
        ("module: nowhere\ncases: {a: {}}\n", "module: no such folder "),
        ("module: true\ncases: {a: {}}\n", "module: expected a non-empty string, got a boolean"),
        (
            "cases:\n  default: {inventory: inventory/default.yaml, variables_from: inventory/default.yaml}\n",
            "cases.default: inventory and variables_from both give the base variables; keep one",
        ),
        (
            "cases:\n  default: {inventory: inventory/default.yaml, rejects: [name]}\n",
            "cases.default: a case that rejects has no plan to compare with an inventory; name it with variables_from",
        ),
        (
            "cases:\n  default: {inventory: inventory/default.yaml, layer: apply}\n",
            "cases.default: an apply case has no plan to compare with an inventory",
        ),
        ("cases:\n  default: {rejects: [name], layer: apply}\n", "cases.default: rejects is checked on a plan"),
        ("cases:\n  default: {}\n  default: {}\n", "invalid YAML at line 3, column 3: duplicate key 'default'"),
        ("cases: {default: [\n", "invalid YAML at line 2"),
    ],
    ids=[
        "unknown-case-key",
        "unknown-top-key",
        "no-cases",
        "empty-cases",
        "not-a-mapping",
        "empty-file",
        "cases-a-list",
        "case-null",
        "id-with-space",
        "id-a-number",
        "unknown-layer",
        "variables-a-list",
        "inventory-a-number",
        "rejects-a-string",
        "rejects-empty",
        "rejects-twice",
        "controls-not-strings",
        "no-module-folder",
        "module-a-boolean",
        "inventory-and-variables-from",
        "rejects-and-inventory",
        "apply-and-inventory",
        "apply-and-rejects",
        "duplicate-case",
        "bad-yaml",
    ],
)
def test_each_mistake_is_one_line(module: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        _load(module, text)
    said = str(excinfo.value)
    assert "\n" not in said
    assert said.startswith(f"{module / casefile.FILE_NAME}: ") or said.startswith(f"{casefile.FILE_NAME}: ")
    assert message in said


def test_a_missing_inventory_names_the_file_it_looked_for(module: Path) -> None:
    with pytest.raises(ConfigError) as excinfo:
        _load(module, "cases:\n  default: {inventory: inventory/dflt.yaml}\n")
    said = str(excinfo.value)
    assert "\n" not in said
    assert said.endswith(
        f"cases.default.inventory: no such file {module / 'inventory' / 'dflt.yaml'} (paths are relative to this file)"
    )


def test_an_inventory_that_is_no_inventory_is_its_own_one_line(module: Path) -> None:
    (module / "inventory" / "broken.yaml").write_text("variables: [name]\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml: variables: expected a mapping, got a list$"):
        _load(module, "cases:\n  default: {inventory: inventory/broken.yaml}\n")
    (module / "inventory" / "other.yaml").write_text("resources: {}\n")
    with pytest.raises(ConfigError, match="an inventory has only variables, values, counts and outputs"):
        _load(module, "cases:\n  default: {variables_from: inventory/other.yaml}\n")
