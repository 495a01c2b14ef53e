"""The evidence log: each process appends digests to its own file; the controller reads them all, once each."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stratatest.compliance.evidence import FOLDER, load_evidence, record_evidence, sha256_text
from stratatest.compliance.results import Evidence

PLAN = '{"format_version": "1.2", "planned_values": {}}'


def test_sha256_of_text_and_bytes() -> None:
    assert sha256_text("é") == sha256_text("é".encode()) == hashlib.sha256("é".encode()).hexdigest()


def test_an_artefact_is_logged_by_digest_only(tmp_path: Path) -> None:
    digest = record_evidence(tmp_path, "plan", "terraform/envs/dev", PLAN, {"variables_sha256": "b" * 64})
    assert digest == hashlib.sha256(PLAN.encode()).hexdigest()
    (log,) = (tmp_path / FOLDER).iterdir()
    assert log.name == f"{os.getpid()}.jsonl"
    assert json.loads(log.read_text(encoding="utf-8")) == {
        "kind": "plan",
        "name": "terraform/envs/dev",
        "sha256": digest,
        "detail": {"variables_sha256": "b" * 64},
    }
    assert "planned_values" not in log.read_text(encoding="utf-8"), "the artefact itself may hold secrets"


def test_without_a_shared_folder_nothing_is_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert record_evidence(None, "manifests", "charts/x dev", b"kind: Pod\n") == sha256_text(b"kind: Pod\n")
    assert list(tmp_path.iterdir()) == []


def test_every_process_log_is_read_once_each_sorted(tmp_path: Path) -> None:
    record_evidence(tmp_path, "plan", "terraform/envs/prod", PLAN)
    record_evidence(tmp_path, "manifests", "charts/microservice dev", "kind: Deployment\n", {"values": ["v.yaml"]})
    record_evidence(tmp_path, "plan", "terraform/envs/prod", PLAN)  # planned again by this process: one entry
    code = (
        "import sys; from pathlib import Path; from stratatest.compliance.evidence import record_evidence;"
        f"record_evidence(Path(sys.argv[1]), 'plan', 'terraform/envs/prod', {PLAN!r});"  # the same plan elsewhere
        "record_evidence(Path(sys.argv[1]), 'plan', 'terraform/envs/dev', 'other plan')"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=60)
    assert len(list((tmp_path / FOLDER).glob("*.jsonl"))) == 2, "one log per process"
    assert load_evidence(tmp_path) == [
        Evidence("manifests", "charts/microservice dev", sha256_text("kind: Deployment\n"), {"values": ["v.yaml"]}),
        Evidence("plan", "terraform/envs/dev", sha256_text("other plan")),
        Evidence("plan", "terraform/envs/prod", sha256_text(PLAN)),
    ]


def test_one_name_with_two_contents_is_two_entries(tmp_path: Path) -> None:
    """Two different plans under one name (e.g. the same module planned with other variables) are both evidence."""
    record_evidence(tmp_path, "plan", "terraform/modules/rds", "plan a")
    record_evidence(tmp_path, "plan", "terraform/modules/rds", "plan b")
    assert {e.sha256 for e in load_evidence(tmp_path)} == {sha256_text("plan a"), sha256_text("plan b")}


def test_no_evidence_folder_is_no_evidence(tmp_path: Path) -> None:
    assert load_evidence(tmp_path) == []
