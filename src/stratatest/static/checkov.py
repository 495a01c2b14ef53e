"""Checkov run over a folder, its JSON report normalised into typed results.

Checkov (a dependency, in the suite's own venv) runs as a child process: importing it costs seconds and its
logging setup would leak into pytest. It always gets `--skip-download`: without it, it calls a vendor API and
logs tracebacks when that fails. Its JSON changes shape with what ran (an object for one framework, a list for
several, a bare summary when nothing ran), and a framework that found nothing to scan is silently absent; both
are normalised here, and a requested framework that scanned no resource is an error, never an empty pass. A scan
runs once per (directory, frameworks) per run: the raw report is shared by every xdist worker through the run
folder, so a crash is reported the same way everywhere without running again.

Open-source Checkov has no severities or compliance mappings: those are the catalogue's (`mapped_checks`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from stratatest.compliance.catalogue import Control
from stratatest.errors import ScanFailed, ToolMissing
from stratatest.shared import once_per_run
from stratatest.toolchain import find_checkov

#: The catalogue's framework name for Checkov mappings.
FRAMEWORK = "Checkov"
#: What Checkov puts in `suppress_comment` for a `#checkov:skip=ID` with no reason.
NO_REASON = "No comment provided"
TIMEOUT_S = 900
_LIST_ROW = re.compile(r"^\|\s*\d+\s*\|\s*(CKV\w+)\s*\|", re.MULTILINE)


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class CheckResult:
    """One check on one resource."""

    check_id: str
    check_name: str
    result: Outcome
    framework: str
    resource: str  # Checkov's address: module.platform.module.rds.aws_db_instance.this
    file: str  # relative to the root given to the scan (the repository), POSIX separators
    lines: tuple[int, int]
    suppress_comment: str | None  # the written reason of an inline skip; None when there is none

    @property
    def location(self) -> str:
        return f"{self.file}:{self.lines[0]}"


@dataclass(frozen=True)
class Scan:
    """Every result of one Checkov run; `resource_counts` per framework that ran."""

    directory: str
    frameworks: tuple[str, ...]
    checkov_version: str
    resource_counts: dict[str, int]
    results: tuple[CheckResult, ...]

    def _with(self, outcome: Outcome) -> list[CheckResult]:
        return [r for r in self.results if r.result is outcome]

    @property
    def passed(self) -> list[CheckResult]:
        return self._with(Outcome.PASSED)

    @property
    def failed(self) -> list[CheckResult]:
        return self._with(Outcome.FAILED)

    @property
    def skipped(self) -> list[CheckResult]:
        return self._with(Outcome.SKIPPED)

    def of_checks(self, check_ids: Iterable[str]) -> list[CheckResult]:
        wanted = set(check_ids)
        return [r for r in self.results if r.check_id in wanted]

    def resources_in(self, folder: str) -> set[str]:
        """Addresses of the resources defined in files under `folder` (relative to the root) that were checked."""
        prefix = folder.rstrip("/") + "/"
        return {r.resource for r in self.results if r.file.startswith(prefix)}


def mapped_checks(control: Control, prefixes: tuple[str, ...] = ("",)) -> tuple[str, ...]:
    """The Checkov ids the catalogue maps `control` to, in catalogue order; only those starting with `prefixes`
    (e.g. `("CKV_K8S_", "CKV2_K8S_")`: a control checked on charts is not assessed by a Terraform scan)."""
    ids = (i for m in control.mappings if m.framework == FRAMEWORK for i in m.ids if i.startswith(prefixes))
    return tuple(dict.fromkeys(ids))


def control_params(metafunc: Any, prefixes: tuple[str, ...]) -> list[Any]:
    """pytest params, one per catalogue control with Checkov ids under `prefixes`, each marked with its control."""
    import pytest

    catalogue = metafunc.config.stratatest_catalogue
    return [
        pytest.param(checks, marks=pytest.mark.control(control.id), id=control.id)
        for control in catalogue
        if (checks := mapped_checks(control, prefixes))
    ]


def parse_report(returncode: int, stdout: str, stderr: str, *, directory: str, frameworks: Iterable[str]) -> Scan:
    """Normalise one Checkov run; ScanFailed when it crashed, could not parse a file or a framework scanned nothing.

    `directory` is the scanned folder relative to the root that result paths are reported against.
    """
    frameworks = tuple(frameworks)
    if returncode not in (0, 1):  # 1 means "some check failed"
        raise ScanFailed(f"checkov exited {returncode} on {directory}: {_tail(stderr)}")
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        raise ScanFailed(f"checkov printed no JSON report for {directory}: {_tail(stderr or stdout)}") from None
    reports = _reports(data)
    if reports is None:
        raise ScanFailed(f"checkov printed a report of unknown shape for {directory}: {stdout[:200]!r}")

    unparsed = sorted({p for r in reports for p in r["results"].get("parsing_errors", [])})
    if unparsed:
        raise ScanFailed(
            f"checkov could not parse {', '.join(unparsed)} in {directory}: its resources were not checked"
        )
    counts = {r["check_type"]: int(r["summary"]["resource_count"]) for r in reports}
    empty = [f for f in frameworks if not counts.get(f)]
    if empty:
        raise ScanFailed(
            f"checkov's {', '.join(empty)} scan of {directory} found no resource",
            hint="a wrong directory or framework would otherwise pass with nothing checked",
        )

    results = (
        _result(check, report["check_type"], directory)
        for report in reports
        for key in ("passed_checks", "failed_checks", "skipped_checks")
        for check in report["results"].get(key, [])
    )
    version = next((r["summary"].get("checkov_version", "?") for r in reports), "?")
    # A module called from several places may be reported once per caller with the same address.
    return Scan(directory, frameworks, version, counts, tuple(dict.fromkeys(results)))


def _reports(data: Any) -> list[dict[str, Any]] | None:
    """One report per framework that ran, whatever the shape Checkov chose; None for a shape it never prints."""
    if isinstance(data, dict) and "check_type" in data:  # one framework ran: the report itself
        data = [data]
    elif isinstance(data, dict) and "resource_count" in data:  # nothing ran: a bare summary
        return []
    if isinstance(data, list) and all(isinstance(r, dict) and "check_type" in r for r in data):
        return data  # several frameworks ran: a list
    return None


def _result(check: dict[str, Any], framework: str, directory: str) -> CheckResult:
    outcome = check["check_result"]
    comment = outcome.get("suppress_comment")
    start, end = check["file_line_range"]
    return CheckResult(
        check_id=check["check_id"],
        check_name=check["check_name"],
        result=Outcome(outcome["result"].lower()),
        framework=framework,
        resource=check["resource"],
        # file_path is relative to the scanned folder ("/modules/x/main.tf", "/../../modules/x/main.tf").
        file=os.path.normpath(f"{directory}/{check['file_path'].lstrip('/')}"),
        lines=(int(start), int(end)),
        suppress_comment=comment.strip() if comment and comment.strip() != NO_REASON else None,
    )


def _tail(text: str, lines: int = 5) -> str:
    last = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(last) or "(no output)"


def _checkov_binary() -> str:
    tool = find_checkov()
    if not tool.path:
        raise ToolMissing("checkov not found", hint=tool.hint)
    return tool.path


def run(
    directory: Path, frameworks: Iterable[str], *, binary: str | None = None, extra_args: Iterable[str] = ()
) -> dict[str, Any]:
    """Run Checkov once: its exit code and output, unparsed (what the run folder keeps).

    It runs inside `directory` on `.`: only then is every `file_path` relative to the scanned folder (given a
    relative -d, Kubernetes results are relative to the working directory and Terraform ones to the folder).
    Its helm framework runs `helm` from PATH and silently scans nothing without one, so the chart layer's helm
    goes first on PATH.
    """
    if not directory.is_dir():
        raise ScanFailed(f"no directory {directory} to scan with checkov")  # checkov itself exits 0 with no report
    frameworks = tuple(frameworks)
    argv = [binary or _checkov_binary(), "-d", ".", "--framework", *frameworks, "-o", "json", "--skip-download"]
    env = os.environ.copy()
    if "helm" in frameworks:
        from stratatest.charts.helm import helm_binary

        env["PATH"] = f"{Path(helm_binary()).parent}{os.pathsep}{env.get('PATH', '')}"
    try:
        proc = subprocess.run(
            [*argv, *extra_args], cwd=directory, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        raise ToolMissing(f"checkov not found at {argv[0]}", hint=find_checkov().hint) from None
    except subprocess.TimeoutExpired:
        raise ScanFailed(f"checkov did not finish within {TIMEOUT_S} s on {directory}") from None
    return {"returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}


def scan(
    directory: Path,
    frameworks: Iterable[str],
    *,
    root: Path,
    shared_dir: Path,
    binary: str | None = None,
    extra_args: Iterable[str] = (),
) -> Scan:
    """Checkov's results for `directory`, run once per run and shared through `shared_dir`; paths relative to root.

    `extra_args` go to checkov as they are (e.g. `--var-file values.yaml`: the helm framework's values).
    """
    frameworks, extra_args = tuple(frameworks), tuple(extra_args)
    key_parts = [str(directory.resolve()), sorted(frameworks), list(extra_args)]
    key = hashlib.sha256(json.dumps(key_parts).encode()).hexdigest()[:20]
    path = shared_dir / "checkov" / f"{key}.json"
    raw = json.loads(
        once_per_run(path, lambda: json.dumps(run(directory, frameworks, binary=binary, extra_args=extra_args)))
    )
    relative = os.path.relpath(directory, root)
    return parse_report(raw["returncode"], raw["stdout"], raw["stderr"], directory=relative, frameworks=frameworks)


def known_checks(binary: str | None = None) -> set[str]:
    """Every check id the installed Checkov knows (all frameworks), from `checkov --list`."""
    argv = [binary or _checkov_binary(), "--list", "--skip-download"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    ids = set(_LIST_ROW.findall(proc.stdout))
    if proc.returncode != 0 or not ids:
        raise ScanFailed(f"`checkov --list` gave no check ids (exit {proc.returncode}): {_tail(proc.stderr)}")
    return ids
