"""Earlier runs kept beside the reports: one file per run, oldest pruned, unreadable ones noted, never fatal."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from stratatest.compliance.results import RunRecord
from stratatest.report.history import earlier_runs, keep_run

from .conftest import build_record


def kept(tmp_path: Path, *days: int, keep: int = 30) -> Path:
    """Keep one run per day of November 2026 (run id st<day>)."""
    history, base = tmp_path / "history", build_record()
    for day in days:
        record = replace(base, run_id=f"st{day:02d}", finished=f"2026-11-{day:02d}T10:00:00.000+00:00")
        keep_run(record, record.to_json(), history, keep=keep)
    return history


def test_a_run_is_kept_under_a_sortable_name_as_written(tmp_path: Path) -> None:
    record = build_record("st0a1b2c", "2026-11-26T17:00:00.123+00:00")
    target = keep_run(record, record.to_json(), tmp_path / "history")
    assert target == tmp_path / "history" / "2026-11-26T170000-st0a1b2c.json"
    assert target.read_text(encoding="utf-8") == record.to_json()
    assert keep_run(record, record.to_json(), tmp_path / "history") == target, "keeping a run twice keeps one file"
    assert len(list((tmp_path / "history").iterdir())) == 1, "and no temp file"


def test_the_oldest_runs_beyond_keep_are_removed(tmp_path: Path) -> None:
    history = kept(tmp_path, 3, 1, 4, 2, 5, keep=3)
    assert sorted(p.name.split("-")[-1] for p in history.iterdir()) == ["st03.json", "st04.json", "st05.json"]


def test_earlier_runs_are_oldest_first_without_the_current_one(tmp_path: Path) -> None:
    history = kept(tmp_path, 2, 1, 3, 4)
    runs, notes = earlier_runs(history, current_run_id="st04")
    assert [r.run_id for r in runs] == ["st01", "st02", "st03"]
    assert all(isinstance(r, RunRecord) for r in runs) and notes == []


def test_only_the_last_shown_runs_are_returned(tmp_path: Path) -> None:
    history = kept(tmp_path, 1, 2, 3, 4)
    assert [r.run_id for r in earlier_runs(history, "st99", shown=2)[0]] == ["st03", "st04"]
    assert earlier_runs(history, "st99", shown=0)[0] == []


def test_unreadable_kept_runs_are_noted_not_fatal(tmp_path: Path) -> None:
    history = kept(tmp_path, 2)
    (history / "2026-11-01T100000-st01.json").write_text(
        json.dumps({"schema_version": 1, "run_id": "st01"}), encoding="utf-8"
    )
    (history / "2026-11-03T100000-st03.json").write_text("{damaged", encoding="utf-8")
    runs, notes = earlier_runs(history, "st99")
    assert [r.run_id for r in runs] == ["st02"]
    assert len(notes) == 2
    assert notes[0].startswith("2026-11-01T100000-st01.json: ") and "schema_version 1 is not supported" in notes[0]
    assert notes[1].startswith("2026-11-03T100000-st03.json: ") and "invalid JSON" in notes[1]


def test_no_history_folder_is_no_earlier_runs(tmp_path: Path) -> None:
    assert earlier_runs(tmp_path / "absent", "st1") == ([], [])
