"""`stratatest init`'s settings: written once, where pytest's settings are, never beside an existing section."""

from __future__ import annotations

from pathlib import Path

from stratatest.scaffold import init


def test_a_stratatest_section_anywhere_is_kept_and_nothing_is_added_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n\n[stratatest]\nmodules = stacks\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "infra"\n')
    assert init(tmp_path)[0] == "kept    pytest.ini (it has stratatest settings)"
    assert (tmp_path / "pyproject.toml").read_text() == '[project]\nname = "infra"\n'  # no second, dead section


def test_pyproject_gets_the_table_when_no_file_has_a_section(tmp_path: Path) -> None:
    (tmp_path / "stacks" / "vpc").mkdir(parents=True)
    (tmp_path / "stacks" / "vpc" / "main.tf").write_text('resource "aws_vpc" "this" {}\n')
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "infra"\n')
    assert init(tmp_path)[0] == "updated pyproject.toml: [tool.stratatest]"
    text = (tmp_path / "pyproject.toml").read_text()
    assert text.endswith('[tool.stratatest]\nmodules = ["stacks"]\ncharts = ["charts"]\ntests = ["tests"]\n')
    assert init(tmp_path)[0] == "kept    pyproject.toml (it has stratatest settings)"
