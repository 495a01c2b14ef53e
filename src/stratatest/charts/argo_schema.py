"""Offline validation of Argo Rollouts objects (Rollout, AnalysisTemplate) with typed models from npm.

No PyPI package ships Argo Rollouts' schema or a typed model of it (kubernetes-validate knows no CRD; the one
PyPI package named for it, cdk8s-argo-rollout, is a hand-written cdk8s construct for blue-green only). npm has
@kubernetes-models/argo-rollouts, whose JSON schemas are generated from Argo Rollouts' Go API types. It is
installed on first use with `npm ci` from the lock file in argo_models/ (every package pinned by its integrity
hash) into the cache, under a file lock, and run by node (argo_models/validate.mjs): its schemas check types,
enums and formats, and every field is probed so that a field the model does not know is reported too (the
schemas alone would accept a misspelt one). Without node and npm, or when npm cannot fetch the packages, the
objects are reported not validated with the reason, never valid.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from filelock import FileLock

from stratatest.errors import ScanFailed
from stratatest.toolchain import cache_dir

ASSETS = Path(__file__).parent / "argo_models"
MODEL = "@kubernetes-models/argo-rollouts"
KINDS = frozenset({("argoproj.io/v1alpha1", "Rollout"), ("argoproj.io/v1alpha1", "AnalysisTemplate")})
TIMEOUT_S = 300


@dataclass(frozen=True)
class Models:
    """The installed models (`folder`) and the node that runs them, or why there are none (`reason`)."""

    folder: Path | None
    node: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Verdict:
    errors: tuple[str, ...]
    unknown: tuple[str, ...]


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if "ERR" in line or "error" in line.lower()), text[-200:])


@cache
def models() -> Models:
    """The models, installed into the cache once per lock file content (xdist workers share one install)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return Models(None, reason="node and npm are needed to run them (Debian: apt-get install nodejs npm)")
    lock = (ASSETS / "package-lock.json").read_bytes()
    folder = cache_dir() / "tools" / "argo-rollouts-models" / hashlib.sha256(lock).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / ".installed"
    with FileLock(f"{folder}.lock"):
        if not done.is_file():
            for name in ("package.json", "package-lock.json"):
                shutil.copyfile(ASSETS / name, folder / name)
            argv = [npm, "ci", "--prefix", str(folder), "--no-audit", "--no-fund", "--loglevel=error"]
            try:
                proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
            except subprocess.TimeoutExpired:
                return Models(None, reason=f"npm ci of {MODEL} did not finish within {TIMEOUT_S} s")
            if proc.returncode != 0:
                return Models(None, reason=f"npm ci of {MODEL} failed: {_first_line(proc.stderr or proc.stdout)}")
            done.write_text("ok\n")
        script = folder / "validate.mjs"  # beside node_modules, so its imports resolve there
        if not script.is_file() or script.read_bytes() != (ASSETS / "validate.mjs").read_bytes():
            shutil.copyfile(ASSETS / "validate.mjs", script)
    return Models(folder, node)


def check(body: dict[str, Any]) -> Verdict | str:
    """The verdict on one object, or the reason it cannot be validated here."""
    installed = models()
    if installed.folder is None:
        return installed.reason
    return _check(json.dumps(body, sort_keys=True), installed.node, installed.folder / "validate.mjs")


@cache
def _check(body: str, node: str, script: Path) -> Verdict:
    proc = subprocess.run(
        [node, str(script)], input=f"[{body}]", capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    if proc.returncode != 0:
        raise ScanFailed(f"node {script} failed: {_first_line(proc.stderr)}")
    (verdict,) = json.loads(proc.stdout)
    errors = tuple(f"{e['path'] or '(top level)'} {e['message']}" for e in verdict["errors"])
    return Verdict(errors, tuple(verdict["unknown"]))
