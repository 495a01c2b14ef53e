"""The pull-request gate, as CI and a developer use it: `--changed-since REF` runs what a change reaches, and the
results cache reuses a test that passed on the same inputs, on the record as *reused from run X*.

The selection runs on a clone of this repository (its real modules and tests); the reuse on a small repository
of its own, through `stratatest run`, so the reports are the ones a user reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRATATEST = [sys.executable, "-m", "stratatest.cli"]
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", "-c", "init.defaultBranch=main"]


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRATATEST_", "PYTEST_"))}
    return env | {"TMPDIR": str(tmp), "STRATATEST_RESULTS_CACHE": str(tmp / "results-cache"), **extra}


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


# -- selection on this repository --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kms_key_changed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A clone of this repository with a change to terraform/modules/kms-key (a leaf: it calls no module; six
    modules and every environment call it): the stratatest-layer tests `--changed-since HEAD` selects."""
    tmp = tmp_path_factory.mktemp("gate")
    clone = tmp / "repo"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    with (clone / "terraform" / "modules" / "kms-key" / "main.tf").open("a") as out:
        out.write("\nlocals {\n  changed_by_the_test = true\n}\n")
    layers = ["--layer=static", "--layer=plan", "--layer=emulator"]
    done = _run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "--changed-since=HEAD", "--no-reuse", *layers],
        clone,
        _env(tmp),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "changed since HEAD" in done.stdout and "1 file(s) changed" in done.stdout, done.stdout[-2000:]
    return {line.split("::")[0]: line for line in done.stdout.splitlines() if "::" in line}


#: The modules that call kms-key (directly or through another module), and those that do not.
DEPENDENTS = ("kms-key", "ecr", "eks", "rds", "observability", "security-baseline")
INDEPENDENT = ("network", "state-backend")


def test_a_changed_leaf_module_selects_its_dependents(kms_key_changed: dict[str, str]) -> None:
    selected = set(kms_key_changed)
    for module in DEPENDENTS:
        assert f"terraform/modules/{module}/stratatest.yaml" in selected
        assert f"tests/unit/modules/test_{module.replace('-', '_')}_plan.py" in selected
    for env in ("dev", "staging", "prod"):
        assert f"terraform/envs/{env}/stratatest.yaml" in selected
    assert {"tests/unit/modules/test_envs_plan.py", "tests/integration/envs/test_dev.py"} <= selected
    assert "tests/unit/modules/test_checkov.py" in selected  # Checkov scans every module


def test_a_changed_leaf_module_selects_nothing_else(kms_key_changed: dict[str, str]) -> None:
    selected = set(kms_key_changed)
    for module in INDEPENDENT:
        assert f"terraform/modules/{module}/stratatest.yaml" not in selected
        assert f"tests/unit/modules/test_{module.replace('-', '_')}_plan.py" not in selected
        assert f"tests/integration/modules/test_{module.replace('-', '_')}.py" not in selected
    assert "tests/integration/modules/test_backend_consumer.py" not in selected
    assert not [test for test in selected if test.startswith("tests/unit/charts/")]


# -- reuse, on a repository of its own ----------------------------------------------------------------------

FILES = {
    "pyproject.toml": '[tool.stratatest]\nmodules = ["stacks"]\n',
    "stacks/bucket/main.tf": 'variable "name" {\n  type = string\n}\n\nresource "aws_s3_bucket" "this" {\n'
    "  bucket = var.name\n}\n",
    "README.md": "# a repository\n",
    "tests/test_bucket.py": """import os

import pytest


@pytest.mark.static
def test_the_module_names_its_bucket():
    assert "aws_s3_bucket" in open("stacks/bucket/main.tf").read()
    assert not os.environ.get("GATE_FAIL"), "asked to fail"


def test_plans_one_bucket(plan_of):
    assert plan_of("bucket", name="gate-test")["aws_s3_bucket.this"]["bucket"] == "gate-test"
""",
}


@pytest.fixture(scope="module")
def small_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("gate-small")
    repo = tmp / "repo"
    for name, text in FILES.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    subprocess.run([*GIT, "init", "-q", str(repo)], check=True)
    subprocess.run([*GIT, "-C", str(repo), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(repo), "commit", "-qm", "first"], check=True)
    return repo, tmp


def _stratatest_run(repo: Path, tmp: Path, reports: str, *args: str, **env: str) -> tuple[int, str, dict]:
    folder = tmp / "reports" / reports  # outside the repository: reports are not a change
    folder.parent.mkdir(exist_ok=True)
    done = _run([*STRATATEST, "run", "--reports", str(folder), *args], repo, _env(tmp, **env))
    results = folder / "results.json"
    record = json.loads(results.read_text()) if results.exists() else {}
    return done.returncode, done.stdout + done.stderr, record


def _outcomes(record: dict) -> dict[str, tuple[str, str | None]]:
    return {r["nodeid"].split("::")[-1]: (r["outcome"], r["reused_from"]) for r in record["results"]}


def test_a_pass_on_the_same_inputs_is_reused_and_says_from_which_run(small_repo: tuple[Path, Path]) -> None:
    repo, tmp = small_repo
    code, out, first = _stratatest_run(repo, tmp, "r1", "--layer=static", "--layer=plan")
    assert code == 0, out[-3000:]
    assert _outcomes(first) == {"test_the_module_names_its_bucket": ("passed", None),
                                "test_plans_one_bucket": ("passed", None)}  # fmt: skip
    code, out, second = _stratatest_run(repo, tmp, "r2", "--layer=static", "--layer=plan")
    assert code == 0, out[-3000:]
    assert _outcomes(second) == {"test_the_module_names_its_bucket": ("passed", first["run_id"]),
                                 "test_plans_one_bucket": ("passed", first["run_id"])}  # fmt: skip
    assert f"2 test(s) reused from earlier passing runs on the same inputs: run {first['run_id']} (2)" in out
    assert second["summary"]["reused"] == 2 and second["selection"]["cache"] == "on"
    assert "Verdict: PASSED" in out and "reused" in out.split("Verdict:")[0]

    code, out, third = _stratatest_run(repo, tmp, "r3", "--layer=static", "--no-reuse")
    assert code == 0 and _outcomes(third) == {"test_the_module_names_its_bucket": ("passed", None)}, out[-3000:]
    assert third["selection"]["cache"] == "off: --no-reuse"


def test_a_changed_input_runs_again_and_a_failure_is_never_reused(small_repo: tuple[Path, Path]) -> None:
    repo, tmp = small_repo
    module = repo / "stacks" / "bucket" / "main.tf"
    module.write_text(module.read_text() + "\n# changed\n")
    code, out, record = _stratatest_run(repo, tmp, "r4", "--layer=static", GATE_FAIL="1")
    assert code == 1 and _outcomes(record) == {"test_the_module_names_its_bucket": ("failed", None)}, out[-3000:]
    code, out, record = _stratatest_run(repo, tmp, "r5", "--layer=static")
    assert code == 0 and _outcomes(record) == {"test_the_module_names_its_bucket": ("passed", None)}, out[-3000:]


def test_changed_since_runs_what_the_change_reaches_and_records_why(small_repo: tuple[Path, Path]) -> None:
    repo, tmp = small_repo
    subprocess.run([*GIT, "-C", str(repo), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(repo), "commit", "-qm", "second", "--allow-empty"], check=True)
    (repo / "README.md").write_text("# a repository, edited\n")
    code, out, _ = _stratatest_run(repo, tmp, "r6", "--changed-since=HEAD", "--no-reuse", "--layer=static")
    assert code == 0, out[-3000:]
    assert "stratatest: the change since HEAD reaches no test: nothing to run" in out

    (repo / "stacks" / "bucket" / "main.tf").write_text(FILES["stacks/bucket/main.tf"] + "\n# again\n")
    code, out, record = _stratatest_run(repo, tmp, "r7", "--changed-since=HEAD", "--no-reuse", "--layer=static")
    assert code == 0, out[-3000:]
    (result,) = record["results"]
    assert result["selected_because"] == "stacks/bucket/main.tf changed; it names 'stacks/bucket'"
    assert record["selection"]["changed"] == ["README.md", "stacks/bucket/main.tf"]
    assert "changed since HEAD" in out and "1 of 1 tests selected" in out


def test_a_ref_that_names_no_commit_is_one_line(small_repo: tuple[Path, Path]) -> None:
    repo, tmp = small_repo
    code, out, _ = _stratatest_run(repo, tmp, "r8", "--changed-since=no-such-branch", "--layer=static")
    assert code == 4, out
    lines = [line for line in out.splitlines() if "no-such-branch" in line]
    assert lines == [f"ERROR: --changed-since: 'no-such-branch' names no commit in {repo} — check the spelling; in a "
                     "shallow clone fetch it first (git fetch --tags --unshallow)"], out  # fmt: skip
