"""A test's inputs, found from its file: the paths it names (strings, `/` chains, f-strings, fixture arguments),
module closures, charts by name, imports, conftests, case files; and what a change selects from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratatest import settings
from stratatest.gate.inputs import InputMap
from stratatest.gate.selection import change, global_inputs, reason
from stratatest.terraform.graph import closure, local_calls


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """modules: kms (leaf) <- db <- platform <- envs/dev; net (leaf) <- platform; a chart; tests naming them."""
    files = {
        "pyproject.toml": '[tool.stratatest]\nmodules = ["terraform/modules", "terraform"]\n',
        "terraform/modules/kms/main.tf": 'resource "aws_kms_key" "this" {}\n',
        "terraform/modules/net/main.tf": 'resource "aws_vpc" "this" {}\n',
        "terraform/modules/db/main.tf": 'module "key" {\n  source = "../kms"\n}\n',
        "terraform/modules/platform/main.tf": 'module "db" {\n  source = "../db"\n}\nmodule "net" {\n'
        '  source = "../net"\n}\n',
        "terraform/envs/dev/main.tf": 'module "platform" {\n  source = "../../modules/platform"\n}\n',
        "terraform/envs/dev/stratatest.yaml": "cases: []\n",
        "charts/web/Chart.yaml": "name: web\n",
        "charts/web/templates/deployment.yaml": "kind: Deployment\n",
        "values/web-prod.yaml": "replicas: 3\n",
        "tests/conftest.py": "",
        "tests/helpers.py": 'VALUES = "values/web-prod.yaml"\n',
        "tests/test_kms.py": 'def test_plan(plan_of):\n    plan_of("kms")\n',
        "tests/test_db.py": 'MODULE = "db"\n\ndef test_plan(plan_of):\n    plan_of(MODULE)\n',
        "tests/test_env.py": "from pathlib import Path\nROOT = Path(__file__).parents[1]\nENVS = ROOT / "
        '"terraform" / "envs"\n\ndef test_dev(plan_of):\n    plan_of(ENVS / "dev")\n',
        "tests/test_web.py": 'from helpers import VALUES\nSPEC = {"chart": "web"}\n\ndef test_render(chart):\n'
        '    chart(SPEC["chart"], values=[VALUES])\n',
        "tests/test_each_env.py": 'def test_main(env):\n    text = f"terraform/envs/{env}/main.tf"\n',
        "tests/test_prose.py": 'def test_words():\n    assert "web" != "the net module, in words: network"\n',
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def _inputs(repo: Path, test: str, fixtures: tuple[str, ...] = ()) -> set[str]:
    found = InputMap(settings.read(repo, repo / "pyproject.toml")).inputs(repo / test, fixtures)
    return {p.relative_to(repo).as_posix() for p in found}


def test_module_closure_follows_local_calls(repo: Path) -> None:
    modules = repo / "terraform" / "modules"
    assert local_calls(modules / "platform") == [modules / "db", modules / "net"]
    assert closure(repo / "terraform" / "envs" / "dev") == (
        repo / "terraform" / "envs" / "dev", modules / "platform", modules / "db", modules / "net", modules / "kms"
    )  # fmt: skip


def test_a_fixture_argument_names_a_module_and_brings_its_closure(repo: Path) -> None:
    assert _inputs(repo, "tests/test_kms.py") == {
        "tests/test_kms.py",
        "tests/conftest.py",
        "terraform/modules/kms/main.tf",
    }
    assert _inputs(repo, "tests/test_db.py") >= {"terraform/modules/db/main.tf", "terraform/modules/kms/main.tf"}
    assert "terraform/modules/net/main.tf" not in _inputs(repo, "tests/test_db.py")


def test_a_path_chain_through_a_module_level_base_names_only_its_end(repo: Path) -> None:
    found = _inputs(repo, "tests/test_env.py")
    assert {
        "terraform/envs/dev/main.tf",
        "terraform/envs/dev/stratatest.yaml",
        "terraform/modules/kms/main.tf",
    } <= found
    assert "charts/web/Chart.yaml" not in found


def test_a_chart_by_name_and_a_values_file_through_an_import(repo: Path) -> None:
    found = _inputs(repo, "tests/test_web.py")
    assert {"charts/web/Chart.yaml", "charts/web/templates/deployment.yaml", "values/web-prod.yaml"} <= found
    assert "tests/helpers.py" in found
    assert not any(p.startswith("terraform/") for p in found)


def test_an_f_string_is_a_pattern(repo: Path) -> None:
    assert "terraform/envs/dev/main.tf" in _inputs(repo, "tests/test_each_env.py")
    assert "terraform/envs/dev/stratatest.yaml" not in _inputs(repo, "tests/test_each_env.py")


def test_prose_and_module_names_outside_a_fixture_call_name_nothing(repo: Path) -> None:
    assert _inputs(repo, "tests/test_prose.py") == {"tests/test_prose.py", "tests/conftest.py", "charts/web/Chart.yaml",
                                                   "charts/web/templates/deployment.yaml"}  # fmt: skip


def test_a_case_file_reads_the_module_beside_it_and_its_closure(repo: Path) -> None:
    found = _inputs(repo, "terraform/envs/dev/stratatest.yaml")
    assert {"terraform/envs/dev/main.tf", "terraform/modules/net/main.tf", "terraform/modules/kms/main.tf"} <= found


def test_a_fixture_that_reads_a_folder_brings_it(repo: Path) -> None:
    (repo / "tests" / "test_scan.py").write_text("def test_scan(checkov):\n    pass\n")
    assert "terraform/modules/net/main.tf" in _inputs(repo, "tests/test_scan.py", ("checkov",))


def _selected(repo: Path, files: list[str], globals_: dict[Path, str] | None = None) -> dict[str, str]:
    inputs = InputMap(settings.read(repo, repo / "pyproject.toml"))
    touched = change(repo, "main", "abc", files, globals_ or {})
    tests = ["tests/test_kms.py", "tests/test_db.py", "tests/test_env.py", "tests/test_web.py",
             "terraform/envs/dev/stratatest.yaml"]  # fmt: skip
    found = {test: reason(inputs.inputs(repo / test), touched, repo) for test in tests}
    return {test: why for test, why in found.items() if why}


def test_a_changed_leaf_selects_its_dependents_and_nothing_else(repo: Path) -> None:
    selected = _selected(repo, ["terraform/modules/kms/main.tf"])
    assert set(selected) == {"tests/test_kms.py", "tests/test_db.py", "tests/test_env.py",
                             "terraform/envs/dev/stratatest.yaml"}  # fmt: skip
    assert selected["tests/test_db.py"] == "terraform/modules/kms/main.tf changed; it names 'terraform/modules/db'"
    assert set(_selected(repo, ["terraform/modules/net/main.tf"])) == {
        "tests/test_env.py", "terraform/envs/dev/stratatest.yaml"
    }  # fmt: skip
    assert set(_selected(repo, ["values/web-prod.yaml"])) == {"tests/test_web.py"}
    assert _selected(repo, ["README.md"]) == {}


def test_a_deleted_file_selects_the_tests_that_read_its_folder(repo: Path) -> None:
    assert set(_selected(repo, ["terraform/modules/kms/outputs.tf"])) >= {"tests/test_kms.py", "tests/test_db.py"}


def test_a_global_input_selects_every_test(repo: Path) -> None:
    (repo / "controls").mkdir()
    (repo / "controls" / "catalogue.yaml").write_text("controls: []\n")
    named = {"the controls catalogue": repo / "controls" / "catalogue.yaml", "the waivers": None}
    globals_ = global_inputs(repo, named, repo / "not-installed-here")
    selected = _selected(repo, ["controls/catalogue.yaml"], globals_)
    assert len(selected) == 5
    assert set(selected.values()) == {"controls/catalogue.yaml changed (the controls catalogue: every test reads it)"}


def test_a_test_parametrized_over_modules_reads_only_its_own(repo: Path) -> None:
    """`@pytest.mark.parametrize("module", MODULES)`: the item for kms reads kms, not every module the file lists."""
    (repo / "tests" / "test_each_module.py").write_text(
        'from pathlib import Path\nROOT = Path(__file__).parents[1] / "terraform"\n'
        'MODULES = sorted(ROOT.glob("modules/*"))\nCATALOGUE = "values/web-prod.yaml"\n'
    )
    inputs = InputMap(settings.read(repo, repo / "pyproject.toml"))
    test = repo / "tests" / "test_each_module.py"
    whole = {p.relative_to(repo).as_posix() for p in inputs.inputs(test)}
    assert "terraform/modules/net/main.tf" in whole and "terraform/envs/dev/main.tf" in whole
    kms = {p.relative_to(repo).as_posix() for p in inputs.inputs(test, params=[repo / "terraform/modules/kms"])}
    assert kms == {"tests/test_each_module.py", "tests/conftest.py", "terraform/modules/kms/main.tf",
                   "values/web-prod.yaml"}  # fmt: skip
    db = {p.relative_to(repo).as_posix() for p in inputs.inputs(test, params=["db", 3])}
    assert "terraform/modules/kms/main.tf" in db and "terraform/modules/net/main.tf" not in db


def test_a_path_from_an_unknown_base_names_a_module_or_a_file_never_a_tree(repo: Path) -> None:
    """`tmp_path / "terraform"` is a scratch folder, not the repository's tree; `MODULES / "kms"` is a module."""
    (repo / "tests" / "test_scratch.py").write_text(
        'from helpers import MODULES\n\ndef test_scratch(tmp_path):\n    (tmp_path / "terraform").mkdir()\n'
        '    (tmp_path / "charts" / "x").mkdir()\n    MODULES / "kms"\n'
    )
    found = _inputs(repo, "tests/test_scratch.py")
    assert "terraform/modules/kms/main.tf" in found
    assert "terraform/modules/net/main.tf" not in found and "charts/web/Chart.yaml" not in found
