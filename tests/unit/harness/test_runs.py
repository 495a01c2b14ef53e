"""Run folders: what a run applied stays findable until destroyed; empty and dead runs' folders are pruned."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stratatest import runs
from stratatest.errors import ConfigError
from stratatest.terraform.cleanup import finish_run


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STRATATEST_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("run_id", ["a/b", "../x", "", "-x", "x" * 32, "a b", "r\n1"])
def test_run_ids_that_cannot_name_a_folder_are_refused(run_id: str) -> None:
    with pytest.raises(ConfigError, match="is not usable in resource names and paths"):
        runs.check_run_id(run_id)


def test_run_ids_are_unique_and_valid() -> None:
    ids = {runs.new_run_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(runs.check_run_id(i) for i in ids)
    for run_id in ids:
        runs.release_run_id(run_id)


def _hold(run_id: str, cache: Path) -> subprocess.Popen[str]:
    """Another run on this machine, holding `run_id` until killed."""
    code = f"from stratatest import runs; runs.claim_run_id({run_id!r}); print('held', flush=True); input()"
    env = {**os.environ, "STRATATEST_CACHE_DIR": str(cache)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_a_run_id_held_by_a_live_run_is_refused_until_it_ends(cache: Path) -> None:
    other = _hold("shared1", cache)
    try:
        with pytest.raises(ConfigError, match="run id 'shared1' is in use by another run on this machine"):
            runs.claim_run_id("shared1")
    finally:
        other.kill()
        other.wait()
    assert runs.claim_run_id("shared1") == "shared1"  # a killed run releases its claim with its last breath
    runs.release_run_id("shared1")


def test_two_runs_drawing_the_same_id_get_different_ones(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = _hold("staaaaaa", cache)
    draws = iter(["aaaaaa", "aaaaaa", "bbbbbb"])
    monkeypatch.setattr(runs.secrets, "token_hex", lambda n: next(draws))
    try:
        assert runs.new_run_id() == "stbbbbbb"
    finally:
        other.kill()
        other.wait()
        runs.release_run_id("stbbbbbb")


def test_prune_removes_old_claims_nobody_holds(cache: Path) -> None:
    other = _hold("held1", cache)
    killed = _hold("free1", cache)
    killed.kill()  # a killed run leaves its claim file behind, unlocked
    killed.wait()
    try:
        old = time.time() - runs.PRUNE_AFTER_S - 60
        for name in ("held1", "free1"):
            os.utime(runs._claim_path(name), (old, old))
        runs.prune()
        assert runs._claim_path("held1").exists()
        assert not runs._claim_path("free1").exists()
    finally:
        other.kill()
        other.wait()


def test_a_run_that_ends_removes_its_claim(cache: Path) -> None:
    runs.claim_run_id("ending1")
    assert runs._claim_path("ending1").exists()
    runs.release_run_id("ending1")
    assert not runs._claim_path("ending1").exists()


def test_a_stack_is_kept_until_forgotten(tmp_path: Path) -> None:
    runs.write_manifest("r1", {"target": "localstack", "region": "eu-west-1"})
    folder = runs.stack_folder("r1", Path("/x/network"))
    runs.mark_stack(folder, {"module": "/x/network", "relative_path": "modules/network"})
    [kept] = runs.kept_stacks("r1")
    assert kept.folder == folder and kept.workdir == folder / "modules" / "network"
    assert runs.kept_runs() == ["r1"]
    assert runs.read_manifest("r1")["target"] == "localstack"
    assert not runs.forget_if_empty("r1")  # a stack is left: never removed
    (folder / runs.STACK_MARKER).unlink()
    folder.rmdir()
    assert runs.forget_if_empty("r1")
    assert runs.kept_runs() == []


def test_prune_keeps_runs_with_stacks_and_live_temp_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    old = time.time() - runs.PRUNE_AFTER_S - 60
    runs.write_manifest("empty", {"target": "moto"})
    runs.write_manifest("holds", {"target": "aws:account=1"})
    runs.mark_stack(runs.stack_folder("holds", Path("/x/eks")), {"module": "/x/eks"})
    dead = tmp_path / "tmp" / "stratatest-stdead-1"
    live = tmp_path / "tmp" / "stratatest-stlive-1"
    for folder, pid in ((dead, 2**22 + 7), (live, os.getpid())):
        folder.mkdir()
        (folder / "pid").write_text(str(pid))
    for path in (runs.run_dir("empty"), runs.run_dir("holds"), dead, live):
        os.utime(path, (old, old))
    removed = runs.prune()
    assert str(runs.run_dir("empty")) in removed and str(dead) in removed
    assert runs.kept_runs() == ["holds"] and live.exists()


def test_cleanup_of_an_unknown_run_is_one_line() -> None:
    with pytest.raises(ConfigError, match="no kept run 'nope'") as err:
        finish_run("nope")
    assert "\n" not in str(err.value)


def test_cleanup_of_a_run_whose_target_died_with_it(tmp_path: Path) -> None:
    """The embedded moto server ends with its run: nothing it created survives, so the kept folder just goes."""
    runs.write_manifest("r2", {"target": "moto", "region": "us-east-1"})
    runs.mark_stack(runs.stack_folder("r2", Path("/x/network")), {"module": "/x/network"})
    lines, ok = finish_run("r2")
    assert ok and "ended with the run" in lines[-1], lines
    assert runs.kept_runs() == []


def test_manifest_is_written_once(tmp_path: Path) -> None:
    path = runs.write_manifest("r3", {"target": "moto"})
    runs.write_manifest("r3", {"target": "other"})
    assert json.loads(path.read_text())["target"] == "moto"


def test_cleanup_refuses_a_run_that_is_still_running() -> None:
    """Its stacks are live (and its own teardown will destroy them): destroying them under it would race it."""
    runs.write_manifest("r4", {"target": "localstack", "region": "us-east-1"})
    runs.mark_stack(runs.stack_folder("r4", Path("/x/network")), {"module": "/x/network", "pid": os.getpid()})
    with pytest.raises(ConfigError, match=rf"run r4 is still running \(pid {os.getpid()}\)"):
        finish_run("r4")
    assert runs.kept_runs() == ["r4"]
