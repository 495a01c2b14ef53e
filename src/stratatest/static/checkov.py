"""Checkov run over a folder or one file (a plan JSON), its JSON report normalised into typed results.

Checkov (a dependency, in the suite's own venv) runs as a child process: importing it costs seconds and its
logging setup would leak into pytest. It always gets `--skip-download`: without it, it calls a vendor API and
logs tracebacks when that fails. Its JSON changes shape with what ran (an object for one framework, a list for
several, a bare summary when nothing ran), and a framework that found nothing to scan is silently absent; both
are normalised here, and a requested framework that scanned no resource is an error, never an empty pass. A scan
runs once per (directory, frameworks) per run, a file scan once per content: the raw report is shared by every
xdist worker through the run folder, so a crash is reported the same way everywhere without running again. Each
saved report also records what was scanned and how, so `load_scans` can read every scan of the run at its end
(the results record folds them in) without the callers that asked for them.

Open-source Checkov has no severities or compliance mappings: those are the catalogue's (`mapped_checks`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from stratatest.compliance.catalogue import Control
from stratatest.errors import ScanFailed, ToolMissing
from stratatest.shared import note_use, once_per_run
from stratatest.toolchain import find_checkov

#: The catalogue's framework name for Checkov mappings.
FRAMEWORK = "Checkov"
#: What Checkov puts in `suppress_comment` for a `#checkov:skip=ID` with no reason.
NO_REASON = "No comment provided"
TIMEOUT_S = 900
#: Where a run's saved raw reports live, under its shared folder.
SCANS_DIR = "checkov"
_KINDS = ("directory", "file")
_SAVED_KEYS = ("kind", "name", "frameworks", "extra_args", "returncode", "stdout", "stderr")
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
    file: str  # relative to the root given to the scan (the repository), POSIX separators; a file scan's name
    lines: tuple[int, int]  # (0, 0) in a file scan: a plan JSON has no line to point at
    suppress_comment: str | None  # the written reason of an inline skip; None when there is none

    @property
    def location(self) -> str:
        return f"{self.file}:{self.lines[0]}"


@dataclass(frozen=True)
class Scan:
    """Every result of one Checkov run; `resource_counts` per framework that ran.

    `directory` is the scanned folder relative to the root, or for a file scan the name its caller gave it
    (e.g. "terraform/envs/dev (plan)"), whose content `sha256` identifies.
    """

    directory: str
    frameworks: tuple[str, ...]
    checkov_version: str
    resource_counts: dict[str, int]
    results: tuple[CheckResult, ...]
    extra_args: tuple[str, ...] = ()
    sha256: str | None = None

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


def parse_report(
    returncode: int, stdout: str, stderr: str, *, directory: str, frameworks: Iterable[str], single_file: bool = False
) -> Scan:
    """Normalise one Checkov run; ScanFailed when it crashed, could not parse a file or a framework scanned nothing.

    `directory` is the scanned folder relative to the root that result paths are reported against; with
    `single_file`, the name every result is reported under instead (the scanned file is often a temporary copy).
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
        _result(check, report["check_type"], directory, single_file)
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


def _result(check: dict[str, Any], framework: str, directory: str, single_file: bool) -> CheckResult:
    outcome = check["check_result"]
    comment = outcome.get("suppress_comment")
    # Plan results have no line, or (enriched from the HCL) lines of another file than the one they are reported in.
    # Helm results name the template from the chart's parent folder ("/microservice/templates/x.yaml"), with lines
    # of its render, not of the template: the file is kept, the lines are not.
    start, end = (0, 0) if single_file or framework == "helm" else check["file_line_range"]
    file_path = check["file_path"].lstrip("/")
    if framework == "helm":
        file_path = f"../{file_path}"
    return CheckResult(
        check_id=check["check_id"],
        check_name=check["check_name"],
        result=Outcome(outcome["result"].lower()),
        framework=framework,
        resource=check["resource"],
        # file_path is relative to the scanned folder ("/modules/x/main.tf", "/../../modules/x/main.tf").
        file=directory if single_file else os.path.normpath(f"{directory}/{file_path}"),
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
    path: Path, frameworks: Iterable[str], *, binary: str | None = None, extra_args: Iterable[str] = ()
) -> dict[str, Any]:
    """Run Checkov once on a folder or one file: its exit code and output, unparsed (what the run folder keeps).

    A folder is scanned from inside, on `.`: only then is every `file_path` relative to the scanned folder (given
    a relative -d, Kubernetes results are relative to the working directory and Terraform ones to the folder). A
    file is scanned with -f from its own folder. Its helm framework runs `helm` from PATH and silently scans
    nothing without one, so the chart layer's helm goes first on PATH.
    """
    if path.is_dir():
        cwd, target = path, ["-d", "."]
    elif path.is_file():
        cwd, target = path.parent, ["-f", path.name]
    else:  # checkov itself exits 0 with no report
        raise ScanFailed(f"no directory or file {path} to scan with checkov")
    frameworks = tuple(frameworks)
    argv = [binary or _checkov_binary(), *target, "--framework", *frameworks, "-o", "json", "--skip-download"]
    env = os.environ.copy()
    if "helm" in frameworks:
        from stratatest.charts.helm import helm_binary

        env["PATH"] = f"{Path(helm_binary()).parent}{os.pathsep}{env.get('PATH', '')}"
    try:
        proc = subprocess.run(
            [*argv, *extra_args], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        raise ToolMissing(f"checkov not found at {argv[0]}", hint=find_checkov().hint) from None
    except subprocess.TimeoutExpired:
        raise ScanFailed(f"checkov did not finish within {TIMEOUT_S} s on {path}") from None
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
    if not directory.is_dir():
        raise ScanFailed(f"no directory {directory} to scan with checkov")
    target = {"kind": "directory", "name": os.path.relpath(directory, root)}
    return _scan_once(directory, target, str(directory.resolve()), frameworks, shared_dir, binary, extra_args)


def scan_file(
    file: Path,
    frameworks: Iterable[str],
    *,
    name: str,
    shared_dir: Path,
    binary: str | None = None,
    extra_args: Iterable[str] = (),
) -> Scan:
    """Checkov's results for one file, every one reported under `name`: run once per content per run.

    Made for plan JSON (`frameworks=["terraform_plan"]`), which lives in a temporary file: `name` says what it is
    ("terraform/envs/dev (plan)") and its sha256 which content was judged. Plan JSON has no `#checkov:skip`
    comments; `extra_args=["--repo-root-for-plan-enrichment", <root module>]` has Checkov apply the HCL's (an
    absolute path: Checkov runs from the file's folder).
    """
    try:
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
    except OSError as err:
        raise ScanFailed(f"no file {file} to scan with checkov: {err.strerror}") from None
    target = {"kind": "file", "name": name, "sha256": digest}
    return _scan_once(file, target, digest, frameworks, shared_dir, binary, extra_args)


def _scan_once(
    path: Path,
    target: dict[str, str],
    identity: str,
    frameworks: Iterable[str],
    shared_dir: Path,
    binary: str | None,
    extra_args: Iterable[str],
) -> Scan:
    """Run (or read the run's saved) scan of `path`, saved with `target` and the arguments it was run with."""
    frameworks, extra_args = tuple(frameworks), tuple(extra_args)
    key_parts = [identity, target["name"], sorted(frameworks), list(extra_args)]
    key = hashlib.sha256(json.dumps(key_parts).encode()).hexdigest()[:20]
    saved = shared_dir / SCANS_DIR / f"{key}.json"

    def compute() -> str:
        raw = run(path, frameworks, binary=binary, extra_args=extra_args)
        return json.dumps({**target, "frameworks": list(frameworks), "extra_args": list(extra_args), **raw})

    text = once_per_run(saved, compute)
    note_use(shared_dir, saved)  # a test reused from this run brings the scan along: its findings stay on the record
    return _parse_saved(text, saved)


def load_scans(shared_dir: Path) -> list[Scan]:
    """Every Checkov scan saved under the run's `shared_dir`, each parsed alone: what the results record folds in.

    A saved scan that gives no usable report raises ScanFailed, as it did for the test that asked for it: a crash
    must not drop out of the record as if nothing had been scanned.
    """
    saved = sorted((shared_dir / SCANS_DIR).glob("*.json"))  # not their *.json.lock files
    scans = [_parse_saved(path.read_text(), path) for path in saved]
    return sorted(scans, key=lambda s: (s.directory, s.frameworks, s.extra_args))


def _parse_saved(text: str, source: Path) -> Scan:
    """One saved raw report, parsed from what it records; ScanFailed for a file `_scan_once` did not write."""
    try:
        saved = json.loads(text)
    except json.JSONDecodeError:
        saved = None
    if not isinstance(saved, dict) or any(k not in saved for k in _SAVED_KEYS) or saved["kind"] not in _KINDS:
        raise ScanFailed(
            f"{source} is not a Checkov scan saved by this stratatest",
            hint=f"a saved scan is a JSON object with {', '.join(_SAVED_KEYS)}: only `scan`/`scan_file` write here",
        )
    result = parse_report(
        saved["returncode"],
        saved["stdout"],
        saved["stderr"],
        directory=saved["name"],
        frameworks=saved["frameworks"],
        single_file=saved["kind"] == "file",
    )
    return replace(result, extra_args=tuple(saved["extra_args"]), sha256=saved.get("sha256"))


def known_checks(binary: str | None = None) -> set[str]:
    """Every check id the installed Checkov knows (all frameworks), from `checkov --list`."""
    argv = [binary or _checkov_binary(), "--list", "--skip-download"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    ids = set(_LIST_ROW.findall(proc.stdout))
    if proc.returncode != 0 or not ids:
        raise ScanFailed(f"`checkov --list` gave no check ids (exit {proc.returncode}): {_tail(proc.stderr)}")
    return ids
