"""A repository's stratatest settings: read from pyproject.toml or an ini file at its root, paths from the root."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratatest import settings
from stratatest.errors import ConfigError


def test_defaults_without_any_file(tmp_path: Path) -> None:
    found = settings.read(tmp_path)
    assert found.source is None and found.catalogue is None and found.waivers is None and found.tests == ()
    assert found.modules == (tmp_path / "terraform" / "modules", tmp_path / "terraform")
    assert found.charts == (tmp_path / "charts",)


def test_pyproject_table(tmp_path: Path) -> None:
    (tmp_path / "controls").mkdir()
    (tmp_path / "controls" / "mine.yaml").write_text("version: 1\ncontrols: []\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.stratatest]\nmodules = ["stacks", "modules"]\ntests = "checks"\n'
        'catalogue = "controls/mine.yaml"\n'
    )
    found = settings.read(tmp_path)
    assert found.source == tmp_path / "pyproject.toml"
    assert found.modules == (tmp_path / "stacks", tmp_path / "modules")
    assert found.tests == (tmp_path / "checks",)
    assert found.catalogue == tmp_path / "controls" / "mine.yaml"


def test_ini_section_beside_pytests_own(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n\n[stratatest]\nmodules = stacks\n  infra\n")
    found = settings.read(tmp_path, tmp_path / "pytest.ini")
    assert found.modules == (tmp_path / "stacks", tmp_path / "infra")


def test_previous_release_as_written_in_either_kind_of_file(tmp_path: Path) -> None:
    """A clone without tags names the release by a ref; the setting keeps it as written, git resolves it later."""
    assert settings.read(tmp_path).previous_release is None
    (tmp_path / "pyproject.toml").write_text('[tool.stratatest]\nprevious-release = "v1.4.0"\n')
    assert settings.read(tmp_path).previous_release == "v1.4.0"
    (tmp_path / "pytest.ini").write_text("[pytest]\n\n[stratatest]\nprevious-release = 361d214de7a4\n")
    assert settings.read(tmp_path, tmp_path / "pytest.ini").previous_release == "361d214de7a4"


def test_the_catalogue_is_found_at_the_root_never_from_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "controls").mkdir()
    (tmp_path / "controls" / "catalogue.yaml").write_text("version: 1\ncontrols: []\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(tmp_path / "controls")
    assert settings.read(tmp_path).catalogue == tmp_path / "controls" / "catalogue.yaml"
    assert settings.read(elsewhere).catalogue is None  # the catalogue is optional


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[tool.stratatest]\nmodule = ["x"]\n', "unknown stratatest setting 'module'; did you mean 'modules'?"),
        ("[tool.stratatest]\nmodules = 3\n", "'modules' must be a path or a list of paths, not 3"),
        ('[tool.stratatest]\nmodules = [""]\n', "'modules' must be a path or a list of paths"),
        ('[tool.stratatest]\ncatalogue = ["a", "b"]\n', "'catalogue' is one file"),
        ('[tool.stratatest]\ncatalogue = "missing.yaml"\n', "missing.yaml is not a file"),
        ("[tool.stratatest\n", "cannot be read"),
        ('[tool]\nstratatest = "x"\n', "[tool.stratatest] must be a table"),
        ("[tool.stratatest]\nprevious-release = 3\n", "'previous-release' is one git ref (a tag, branch or sha)"),
        ('[tool.stratatest]\nprevious-release = "v1 v2"\n', "'previous-release' is one git ref"),
        ('[tool.stratatest]\nprevious-release = ""\n', "'previous-release' is one git ref"),
    ],
    ids=[
        "typo",
        "not-a-list",
        "empty-path",
        "two-catalogues",
        "missing-catalogue",
        "bad-toml",
        "not-a-table",
        "release-not-text",
        "release-two-words",
        "release-empty",
    ],
)
def test_a_mistake_is_one_line_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(ConfigError) as refused:
        settings.read(tmp_path)
    assert message in str(refused.value) and "pyproject.toml" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_modules_by_name_from_the_roots_then_the_repository_and_its_parents(tmp_path: Path) -> None:
    (tmp_path / "stacks" / "vpc").mkdir(parents=True)
    (tmp_path / "tests").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.stratatest]\nmodules = ["stacks"]\n')
    found = settings.read(tmp_path)
    assert found.module("vpc") == tmp_path / "stacks" / "vpc"
    assert found.module("stacks/vpc") == tmp_path / "stacks" / "vpc"
    assert found.module("nowhere") == tmp_path / "stacks" / "nowhere"  # where it was looked for first
    from_tests = settings.read(tmp_path / "tests")  # pytest without an ini file: the tests' folder is its rootdir
    assert from_tests.module("stacks/vpc") == tmp_path / "stacks" / "vpc"


def test_find_walks_up_to_the_folder_with_the_settings(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    deep = tmp_path / "tests" / "unit"
    deep.mkdir(parents=True)
    assert settings.find(deep).root == tmp_path
