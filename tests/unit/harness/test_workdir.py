"""Working copies: which files make a module, how copies keep their layout, and the per-content init cache."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from stratatest.terraform import workdir as wd
from stratatest.terraform.runner import Terraform
from stratatest.toolchain import Toolchain, toolchain

LEAF = 'resource "terraform_data" "leaf" {\n  input = "leaf"\n}\n'


def _module(path: Path, body: str = LEAF) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "main.tf").write_text(body)
    return path


def _calls(*sources: str) -> str:
    return "".join(f'module "m{i}" {{\n  source = "{s}"\n}}\n' for i, s in enumerate(sources))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """envs/prod → ../../modules/net → ../base, plus registry and git sources that must be left to init."""
    root = tmp_path / "src"
    _module(root / "modules" / "base")
    _module(root / "modules" / "net", _calls("../base", "hashicorp/consul/aws") + LEAF)
    _module(root / "modules" / "unused")
    prod = _module(root / "envs" / "prod", _calls("../../modules/net", "git::https://example.com/x.git") + LEAF)
    (prod / "README.md").write_text("# prod\n")
    (prod / "inventory").mkdir()
    (prod / "inventory" / "default.yaml").write_text("counts: {}\n")
    (prod / ".terraform").mkdir()
    (prod / ".terraform" / "junk").write_text("not copied")
    (prod / "stratatest_provider.tf").write_text("# generated, never part of the module\n")
    (root / "modules" / "net" / "templates").mkdir()
    (root / "modules" / "net" / "templates" / "policy.json.tpl").write_text("{}\n")
    return root


@pytest.fixture(scope="module")
def chain() -> Toolchain:
    """Resolved before any test points STRATATEST_CACHE_DIR elsewhere (toolchain() is cached per process)."""
    return toolchain()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private STRATATEST_CACHE_DIR, so the machine's init cache and shared lock file are never touched."""
    path = tmp_path / "cache"
    monkeypatch.setenv("STRATATEST_CACHE_DIR", str(path))
    yield path


def test_closure_follows_local_sources_transitively(tree: Path) -> None:
    closure = wd.module_closure(tree / "envs" / "prod")
    assert closure == [(tree / p).resolve() for p in ("envs/prod", "modules/net", "modules/base")]


def test_closure_survives_cycles(tmp_path: Path) -> None:
    a = _module(tmp_path / "a", _calls("../b"))
    _module(tmp_path / "b", _calls("../a"))
    assert wd.module_closure(a) == [a.resolve(), (tmp_path / "b").resolve()]


def test_closure_ignores_resource_source_attributes(tmp_path: Path) -> None:
    """`aws_s3_object` has a `source` attribute holding a file path: it is not a module call."""
    site = _module(tmp_path / "site", 'resource "aws_s3_object" "index" {\n  source = "./index.html"\n}\n')
    (site / "index.html").write_text("<html></html>\n")
    assert wd.module_closure(site) == [site.resolve()]


def test_hash_changes_with_tf_files_only(tree: Path) -> None:
    """The hash keys the init cache: documentation and inventories must not invalidate it."""
    prod = tree / "envs" / "prod"
    before = wd.content_hash(prod)
    (prod / "README.md").write_text("# prod, reworded\n")
    (prod / "inventory" / "default.yaml").write_text("counts: {terraform_data: 1}\n")
    (prod / "stratatest_override.tf").write_text("# generated\n")
    assert wd.content_hash(prod) == before
    (tree / "modules" / "base" / "main.tf").write_text(LEAF.replace('"leaf"', '"leaf2"'))
    changed = wd.content_hash(prod)
    assert changed != before
    assert wd.content_hash(prod, extra="backend") != changed


def test_hash_does_not_depend_on_location(tree: Path, tmp_path: Path) -> None:
    """Same content elsewhere (another checkout, a worker's copy) must reuse the same init."""
    other = tmp_path / "elsewhere"
    shutil.copytree(tree, other)
    assert wd.content_hash(other / "envs" / "prod") == wd.content_hash(tree / "envs" / "prod")


def test_copy_keeps_relative_paths_and_skips_state(tree: Path, tmp_path: Path) -> None:
    copy = wd.copy_module(tree / "envs" / "prod", tmp_path / "copy")
    assert copy.path == tmp_path / "copy" / "envs" / "prod"
    assert copy.content_hash == wd.content_hash(tree / "envs" / "prod")
    assert (copy.path / "../../modules/net/main.tf").resolve().is_file()
    assert (copy.root / "modules" / "base" / "main.tf").is_file()
    assert (copy.root / "modules" / "net" / "templates" / "policy.json.tpl").is_file()
    assert not (copy.root / "modules" / "unused").exists()
    for absent in (".terraform", "README.md", "inventory", "stratatest_provider.tf"):
        assert not (copy.path / absent).exists(), absent
    copy.remove()
    assert not copy.root.exists()


def test_copy_validates_with_real_terraform(tmp_path: Path, chain: Toolchain) -> None:
    """The proof that layout is right: terraform resolves the local module calls inside the copy."""
    root = tmp_path / "src"
    _module(root / "modules" / "base")
    _module(root / "modules" / "net", _calls("../base"))
    prod = _module(root / "envs" / "prod", _calls("../../modules/net"))
    copy = wd.copy_module(prod, tmp_path / "copy")
    tf = Terraform(copy.path, binary=chain.terraform.path or "terraform", env=chain.env())
    tf.execute_command("init", "-backend=false", "-input=false", "-no-color")
    assert "The configuration is valid" in tf.execute_command("validate", "-no-color").out


def _initialised_copy(module: Path, dest: Path, lock_text: str) -> wd.WorkingCopy:
    """A copy with what `terraform init` leaves: a .terraform holding symlinks into a plugin cache, a lock file."""
    copy = wd.copy_module(module, dest)
    providers = copy.path / ".terraform" / "providers"
    providers.mkdir(parents=True)
    (providers / "aws").symlink_to(dest.parent / "plugin-cache" / "aws")
    (copy.path / ".terraform" / "modules.json").write_text("{}")
    (copy.path / wd.LOCK_FILE).write_text(lock_text)
    return copy


def test_store_then_seed_round_trip(tree: Path, tmp_path: Path, cache: Path) -> None:
    prod = tree / "envs" / "prod"
    first = _initialised_copy(prod, tmp_path / "first", "# lock A\n")
    second = wd.copy_module(prod, tmp_path / "second")
    assert not wd.seed_from_cache(second)  # nothing cached yet
    wd.store_in_cache(first)
    assert (cache / wd.INIT_CACHE / first.content_hash / ".terraform" / "modules.json").is_file()
    assert (cache / wd.INIT_CACHE / first.content_hash / wd.LOCK_FILE).read_text() == "# lock A\n"
    assert wd.seed_from_cache(second)
    seeded = second.path / ".terraform"
    assert (seeded / "modules.json").read_text() == "{}"
    assert (seeded / "providers" / "aws").is_symlink()  # a few bytes, never a provider binary copy
    assert os.readlink(seeded / "providers" / "aws") == str(tmp_path / "plugin-cache" / "aws")
    assert (second.path / wd.LOCK_FILE).read_text() == "# lock A\n"


def test_store_replaces_the_entry_and_keeps_the_first_lock(tree: Path, tmp_path: Path, cache: Path) -> None:
    prod = tree / "envs" / "prod"
    wd.store_in_cache(_initialised_copy(prod, tmp_path / "one", "# lock A\n"))
    again = _initialised_copy(prod, tmp_path / "two", "# lock A\n")
    (again.path / ".terraform" / "modules.json").write_text('{"Modules": []}')
    wd.store_in_cache(again)
    entry = cache / wd.INIT_CACHE / again.content_hash
    assert (entry / ".terraform" / "modules.json").read_text() == '{"Modules": []}'
    assert not list(entry.parent.glob("*.tmp"))


def test_seed_gives_the_lock_file_of_the_same_content(tmp_path: Path, cache: Path) -> None:
    """A module needing a second provider must get a lock file naming it, or plan fails in every later copy."""
    a = _module(tmp_path / "a")
    b = _module(tmp_path / "b", LEAF + "# needs one more provider\n")
    wd.store_in_cache(_initialised_copy(a, tmp_path / "wa", "# lock: aws\n"))
    wd.store_in_cache(_initialised_copy(b, tmp_path / "wb1", "# lock: aws, random\n"))
    later = wd.copy_module(b, tmp_path / "wb2")
    assert wd.seed_from_cache(later)
    assert (later.path / wd.LOCK_FILE).read_text() == "# lock: aws, random\n"


def test_store_after_init_of_a_module_without_providers(chain: Toolchain, tmp_path: Path, cache: Path) -> None:
    """terraform_data only (the built-in provider): real init, then the cache must cope with what it left."""
    copy = wd.copy_module(_module(tmp_path / "plain"), tmp_path / "copy")
    tf = Terraform(copy.path, binary=chain.terraform.path or "terraform", env=chain.env())
    tf.execute_command("init", "-backend=false", "-input=false", "-no-color")
    wd.store_in_cache(copy)
