"""Isolated working copies of a module, initialised once per module content.

A working copy is a fresh folder holding the module (and the local modules it calls, at the same relative
paths), so parallel tests never share `.terraform` or state. `terraform init` runs once per content hash into
the cache; each copy then gets that `.terraform` (symlinks into the shared plugin cache, a few KB) and the one
lock file that init wrote, so no copy ever holds its own provider binary.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from stratatest.errors import ConfigError
from stratatest.paths import display_path
from stratatest.toolchain import cache_dir

#: Files that make up a module's content; everything else (inventories, READMEs, state) is ignored.
MODULE_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tfvars.json", ".tftpl", ".json.tpl", ".tpl")
SKIP_DIRS = {".terraform", "inventory", "tests", "__pycache__"}
#: `source = "./x"` inside a `module` block (other resources also have `source` arguments: files, not modules).
_LOCAL_MODULE = re.compile(
    r'^\s*module\s+"[^"]+"\s*\{[^}]*?^\s*source\s*=\s*"(\.{1,2}/[^"]*)"', re.MULTILINE | re.DOTALL
)
LOCK_FILE = ".terraform.lock.hcl"
#: Folder of cached inits; the suffix changes whenever what an entry holds changes.
INIT_CACHE = "init-v2"


def _module_files(directory: Path) -> list[Path]:
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and p.name.endswith(MODULE_SUFFIXES) and not p.name.startswith("stratatest_")
    )


def configuration_files(module: Path) -> list[Path]:
    """The module's own `*.tf` and `*.tf.json` files; ConfigError when `module` is not a Terraform module folder.

    Checked before anything is copied or run, so a typo in a module path is one line, not a copy's traceback.
    """
    where = display_path(module)
    if module.is_file():
        raise ConfigError(f"no Terraform module at {where}: it is a file; give the folder that holds its *.tf files")
    if not module.is_dir():
        raise ConfigError(f"no Terraform module at {where}: no such folder{_did_you_mean(module)}")
    files = [f for f in _module_files(module) if f.name.endswith((".tf", ".tf.json"))]
    if not files:
        raise ConfigError(f"no Terraform module at {where}: the folder has no *.tf file")
    return files


def _did_you_mean(missing: Path) -> str:
    """A sibling folder whose name is close to the missing one's: the usual cause is a typo."""
    try:
        siblings = [d.name for d in missing.parent.iterdir() if d.is_dir()]
    except OSError:
        return ""
    close = difflib.get_close_matches(missing.name, siblings, n=1)
    return f" (did you mean {display_path(missing.parent / close[0])}?)" if close else ""


def module_closure(module: Path) -> list[Path]:
    """The module and every local module it calls, transitively (remote sources are init's business)."""
    seen: list[Path] = []
    todo = [module.resolve()]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        for tf in _module_files(current):
            for rel in _LOCAL_MODULE.findall(tf.read_text()):
                if (current / rel).is_dir():
                    todo.append((current / rel).resolve())
    return seen


def _common_root(dirs: list[Path]) -> Path:
    return Path(os.path.commonpath([str(d) for d in dirs]))


def content_hash(module: Path, extra: str = "") -> str:
    """Hash of every file in the module closure plus `extra` (e.g. backend settings)."""
    return _hash_dirs(module_closure(module), extra)


def _hash_dirs(dirs: list[Path], extra: str = "") -> str:
    root = _common_root(dirs)
    digest = hashlib.sha256(extra.encode())
    for directory in dirs:
        for f in [*_module_files(directory), *_nested_files(directory)]:
            digest.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def _nested_files(directory: Path) -> list[Path]:
    """Files in sub-folders that travel with the module (templates, policies), as copy_module copies them."""
    return sorted(
        f
        for sub in directory.iterdir()
        if sub.is_dir() and sub.name not in SKIP_DIRS
        for f in sub.rglob("*")
        if f.is_file()
    )


@dataclass(frozen=True)
class WorkingCopy:
    """A private copy of a module: `path` is where terraform runs."""

    path: Path
    root: Path
    source: Path
    content_hash: str

    def write(self, name: str, text: str) -> Path:
        target = self.path / name
        target.write_text(text)
        return target

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def copy_module(module: Path, dest_root: Path) -> WorkingCopy:
    """Copy the module closure under dest_root, keeping relative paths between local modules."""
    module = module.resolve()
    dirs = module_closure(module)
    src_root = _common_root(dirs)
    digest = _hash_dirs(dirs)  # the closure is already known: walk it once
    dest_root.mkdir(parents=True, exist_ok=True)
    for directory in dirs:
        target = dest_root / directory.relative_to(src_root)
        target.mkdir(parents=True, exist_ok=True)
        for f in _module_files(directory):
            shutil.copy2(f, target / f.name)
        for sub in directory.iterdir():  # nested folders (templates, files) travel with their module
            if sub.is_dir() and sub.name not in SKIP_DIRS and not (target / sub.name).exists():
                shutil.copytree(sub, target / sub.name, symlinks=True)
    return WorkingCopy(dest_root / module.relative_to(src_root), dest_root, module, digest)


def init_cache_dir(digest: str) -> Path:
    return cache_dir() / INIT_CACHE / digest


def init_lock(digest: str) -> FileLock:
    """Serialises init of one content hash across processes (pytest-xdist workers)."""
    path = cache_dir() / INIT_CACHE / f"{digest}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path))


def seed_from_cache(copy: WorkingCopy) -> bool:
    """Give the copy the cached `.terraform` and lock file of its content; False when nothing is cached yet."""
    cached = init_cache_dir(copy.content_hash)
    if not (cached / ".terraform").is_dir():
        return False
    shutil.copytree(cached / ".terraform", copy.path / ".terraform", symlinks=True, dirs_exist_ok=True)
    if (cached / LOCK_FILE).exists():
        shutil.copy2(cached / LOCK_FILE, copy.path / LOCK_FILE)
    return True


def store_in_cache(copy: WorkingCopy) -> None:
    """Keep an initialised copy's `.terraform` and lock file for every later copy of the same content.

    The lock file is the copy's own (it may name more providers than the shared one); a module with no
    providers has neither, and caches an empty `.terraform`.
    """
    cached = init_cache_dir(copy.content_hash)
    staging = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    if (copy.path / ".terraform").is_dir():
        shutil.copytree(copy.path / ".terraform", staging / ".terraform", symlinks=True)
    else:
        (staging / ".terraform").mkdir(parents=True)
    if (copy.path / LOCK_FILE).exists():
        shutil.copy2(copy.path / LOCK_FILE, staging / LOCK_FILE)
    if cached.exists():
        shutil.rmtree(cached)
    os.replace(staging, cached)
