"""Earlier runs, kept beside the reports so the HTML can show each control's status over time.

Each run's canonical record is written into the history folder under a sortable name (its finish time and run id,
both checked when the record was read, so neither can name a path outside the folder); the oldest beyond KEEP are
removed. The kept runs are signed with the reports: a trend drawn from an edited run would be a forged report.
A record that can no longer be read (an older schema, a damaged file) is left out of the trend, never fatal: the
current run's reports do not depend on it.
"""

from __future__ import annotations

from pathlib import Path

from stratatest.compliance.results import RunRecord
from stratatest.errors import ConfigError
from stratatest.paths import write_atomic

HISTORY_DIR = "history"
KEEP = 30
SHOWN = 10


def keep_run(record: RunRecord, text: str, history_dir: Path, keep: int = KEEP) -> Path:
    """Write the run's record `text` into `history_dir` (atomically, once per run) and prune the oldest beyond
    `keep`."""
    history_dir.mkdir(exist_ok=True)
    stamp = record.finished.replace(":", "").replace("+", "Z").split(".")[0]
    target = history_dir / f"{stamp}-{record.run_id}.json"
    write_atomic(target, text)
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
