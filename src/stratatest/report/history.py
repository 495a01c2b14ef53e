"""Earlier runs, kept beside the reports so the HTML can show each control's status over time.

Each run's canonical record is copied into the history folder under a sortable name; the oldest beyond KEEP are
removed. A record that can no longer be read (an older schema, a damaged file) is left out of the trend, never
fatal: the current run's reports do not depend on it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from stratatest.compliance.results import RunRecord
from stratatest.errors import ConfigError

KEEP = 30
SHOWN = 10


def keep_run(record: RunRecord, results_path: Path, history_dir: Path, keep: int = KEEP) -> Path:
    """Copy the run's record into `history_dir` (idempotent per run) and prune the oldest beyond `keep`."""
    history_dir.mkdir(parents=True, exist_ok=True)
    stamp = record.finished.replace(":", "").replace("+", "Z").split(".")[0]
    target = history_dir / f"{stamp}-{record.run_id}.json"
    shutil.copyfile(results_path, target)
    kept = sorted(history_dir.glob("*.json"))
    for old in kept[: max(len(kept) - keep, 0)]:  # not [:-keep]: with keep=0 that would remove nothing
        old.unlink()
    return target


def earlier_runs(history_dir: Path, current_run_id: str, shown: int = SHOWN) -> tuple[list[RunRecord], list[str]]:
    """Up to `shown` earlier runs, oldest first, and a note for each kept file that could not be read."""
    runs: list[RunRecord] = []
    skipped: list[str] = []
    for path in sorted(history_dir.glob("*.json")) if history_dir.is_dir() else []:
        try:
            run = RunRecord.read(path)
        except ConfigError as err:
            skipped.append(f"{path.name}: {err}")
            continue
        if run.run_id != current_run_id:
            runs.append(run)
    return runs[max(len(runs) - shown, 0) :], skipped
