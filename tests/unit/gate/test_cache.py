"""The results cache: keys move with every input and the context; entries, their run-shared files, pruning."""

from __future__ import annotations

import os
import time
from pathlib import Path

from stratatest.gate.cache import KEEP_DAYS, Digests, Entry, ResultsCache, context_key, item_key


def _key(root: Path, inputs: list[Path], context: str = "ctx", nodeid: str = "tests/test_a.py::test_a") -> str:
    return item_key(nodeid, {p: "named" for p in inputs}, root, Digests(), context)


def test_the_key_moves_with_content_node_id_and_context_not_with_time(tmp_path: Path) -> None:
    module = tmp_path / "main.tf"
    module.write_text("a")
    first = _key(tmp_path, [module])
    os.utime(module, (time.time() + 60, time.time() + 60))
    assert _key(tmp_path, [module]) == first  # touched, not changed
    module.write_text("b")
    assert _key(tmp_path, [module]) != first
    module.write_text("a")
    assert _key(tmp_path, [module]) == first
    assert _key(tmp_path, [module], context="other tools") != first
    assert _key(tmp_path, [module], nodeid="tests/test_a.py::test_b") != first
    (tmp_path / "extra.tf").write_text("a")
    assert _key(tmp_path, [module, tmp_path / "extra.tf"]) != first


def test_the_context_moves_with_stratatest_source_and_facts(tmp_path: Path) -> None:
    source = tmp_path / "plugin.py"
    source.write_text("x = 1")
    facts = {"tools": {"terraform": "1.11.4"}, "target": {"name": "moto", "moto_version": "5.2.5"}}
    first = context_key([source], Digests(), facts)
    assert context_key([source], Digests(), facts) == first
    assert context_key([source], Digests(), {**facts, "tools": {"terraform": "1.12.0"}}) != first
    source.write_text("x = 2")
    assert context_key([source], Digests(), facts) != first


def test_an_entry_is_reused_only_for_its_own_test_and_carries_its_files(tmp_path: Path) -> None:
    cache = ResultsCache(tmp_path / "cache")
    shared = tmp_path / "run1"
    (shared / "checkov").mkdir(parents=True)
    (shared / "checkov" / "scan.json").write_text('{"results": []}')
    files = cache.keep_files(shared, {"checkov/scan.json", "checkov/gone.json"})
    assert list(files) == ["checkov/scan.json"]
    cache.put("k1", Entry("run1", "t::a", "2026-12-07T00:00:00.000+00:00", 1.5, files))
    assert cache.get("k1", "t::b") is None
    entry = cache.get("k1", "t::a")
    assert entry is not None and entry.run_id == "run1" and entry.files == files
    later = tmp_path / "run2"
    assert cache.restore_files(later, entry.files)
    assert (later / "checkov" / "scan.json").read_text() == '{"results": []}'
    (tmp_path / "cache" / "files" / files["checkov/scan.json"]).unlink()
    assert not cache.restore_files(tmp_path / "run3", entry.files)  # the test must run again


def test_a_damaged_entry_is_a_miss_and_old_entries_are_pruned(tmp_path: Path) -> None:
    cache = ResultsCache(tmp_path)
    cache.put("ab12", Entry("run1", "t::a", None, 0.0))
    (tmp_path / "ab" / "ab12.json").write_text("{not json")
    assert cache.get("ab12", "t::a") is None
    cache.put("cd34", Entry("run1", "t::a", None, 0.0))
    old = time.time() - (KEEP_DAYS + 1) * 86400
    os.utime(tmp_path / "cd" / "cd34.json", (old, old))
    assert cache.prune() == 1
    assert cache.get("cd34", "t::a") is None
