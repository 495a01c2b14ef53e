"""Static layer: Checkov over terraform/ (one scan per run), read against the project's own catalogue.

Open-source Checkov has no severities or compliance mappings; the catalogue maps controls to Checkov ids, so
each such control gets a test here that passes only when one of its checks ran on this tree and none failed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stratatest.static.checkov import CheckResult, Outcome, Scan, control_params, known_checks, mapped_checks

pytestmark = pytest.mark.static

ROOT = Path(__file__).resolve().parents[3]
TERRAFORM = ROOT / "terraform"
#: Every folder that declares resources: a new module or example is checked without touching this file.
#: Pure compositions (the environments, modules/platform) hold only module calls; Checkov scans what they call.
FOLDERS = sorted(
    {
        tf.parent
        for kind in ("modules", "envs", "examples")
        for tf in (TERRAFORM / kind).glob("*/*.tf")
        if re.search(r'^resource\s+"', tf.read_text(), re.MULTILINE)
    }
)
WAIVE = "fix it, or waive it inline with #checkov:skip=<ID>:<reason>"
#: Checkov ids of its Terraform AWS checks (the Kubernetes ones are the chart layer's: tests/unit/charts).
TERRAFORM_CHECKS = ("CKV_AWS_", "CKV2_AWS_")
MIN_REASON_WORDS = 3


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per catalogue control mapped to Checkov's Terraform checks, from the catalogue this run validated."""
    if "control_checks" in metafunc.fixturenames:
        metafunc.parametrize("control_checks", control_params(metafunc, TERRAFORM_CHECKS))


def _line(result: CheckResult) -> str:
    return f"  {result.check_id} {result.resource} {result.location} ({result.check_name})"


def _lines(results: list[CheckResult]) -> str:
    return "\n".join(_line(r) for r in sorted(results, key=lambda r: (r.file, r.lines, r.check_id, r.resource)))


def test_every_terraform_folder_is_found() -> None:
    names = {str(f.relative_to(TERRAFORM)) for f in FOLDERS}
    assert {"modules/state-backend", "modules/network", "examples/backend-consumer"} <= names


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: str(f.relative_to(TERRAFORM)))
def test_checkov_scanned_resources_in(folder: Path, checkov: Scan) -> None:
    where = str(folder.relative_to(ROOT))
    assert checkov.resources_in(where), f"Checkov checked no resource defined in {where}: is it Terraform it can read?"


def test_no_failed_check(checkov: Scan) -> None:
    failed = checkov.failed
    if failed:
        pytest.fail(f"{len(failed)} failed Checkov check(s) — {WAIVE}:\n{_lines(failed)}", pytrace=False)


def test_every_waiver_gives_a_written_reason(checkov: Scan) -> None:
    bare = [r for r in checkov.skipped if len((r.suppress_comment or "").split()) < MIN_REASON_WORDS]
    if bare:
        pytest.fail(
            f"{len(bare)} Checkov waiver(s) without a written reason (at least {MIN_REASON_WORDS} words saying why "
            f"the check does not apply): #checkov:skip=<ID>:<reason>\n"
            + "\n".join(f"{_line(r)}: {r.suppress_comment or 'no reason'}" for r in bare),
            pytrace=False,
        )


def test_catalogue_maps_only_checks_checkov_has(pytestconfig: pytest.Config) -> None:
    """A mistyped or retired id would otherwise leave its control skipped as 'no resource subject to'."""
    known = known_checks()
    catalogue = pytestconfig.stratatest_catalogue  # type: ignore[attr-defined]
    unknown = {c.id: sorted(set(mapped_checks(c)) - known) for c in catalogue}
    unknown = {control: ids for control, ids in unknown.items() if ids}
    assert not unknown, f"{catalogue.source} maps Checkov ids the installed Checkov does not have: {unknown}"


def test_control(control_checks: tuple[str, ...], checkov: Scan) -> None:
    """Some check of the control ran on terraform/ and none failed; a control nothing here is subject to skips."""
    ids = ", ".join(control_checks)
    results = checkov.of_checks(control_checks)
    if not results:
        pytest.skip(f"no resource in terraform/ is subject to {ids}")
    failed = [r for r in results if r.result is Outcome.FAILED]
    if failed:
        pytest.fail(f"{WAIVE}:\n{_lines(failed)}", pytrace=False)
    if not any(r.result is Outcome.PASSED for r in results):
        pytest.skip(f"every result of {ids} in terraform/ is waived inline:\n{_lines(results)}")
