"""How the runner treats a terraform binary's output and exit codes, driven by small fake terraform scripts.

The subject is the runner, not terraform: each fake prints what real terraform prints in one situation
(throttling, a boxed error, a provider that cannot be installed) and exits with its code.
"""

from __future__ import annotations

import getpass
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stratatest.errors import TerraformFailed, ToolMissing
from stratatest.secrets import MASK
from stratatest.terraform.runner import Terraform, error_lines
from stratatest.toolchain import toolchain

BOXED_ERROR = """\
╷
│ Error: creating S3 Bucket (state-st1): operation error S3: CreateBucket, AccessDenied
│
│   with aws_s3_bucket.state,
│   on main.tf line 12, in resource "aws_s3_bucket" "state":
│   12: resource "aws_s3_bucket" "state" {
│
╵
"""


def fake(tmp_path: Path, body: str) -> str:
    """An executable `terraform` that logs its arguments to calls.log, then runs `body` (bash)."""
    script = tmp_path / "bin" / "terraform"
    script.parent.mkdir(exist_ok=True)
    script.write_text(f'#!/usr/bin/env bash\necho "$*" >> {tmp_path / "calls.log"}\n{body}\n')
    script.chmod(0o755)
    return str(script)


def calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def runner(tmp_path: Path, binary: str, **kwargs: object) -> Terraform:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return Terraform(work, binary=binary, env={}, backoff=0.01, **kwargs)  # type: ignore[arg-type]


def test_transient_error_is_retried(tmp_path: Path) -> None:
    binary = fake(
        tmp_path,
        f"""if [ ! -e {tmp_path}/throttled ]; then
  touch {tmp_path}/throttled
  echo "Error: reading S3 Bucket: Throttling: Rate exceeded" >&2
  exit 1
fi
echo applied""",
    )
    result = runner(tmp_path, binary).execute_command("apply", "-auto-approve")
    assert (result.retcode, result.out) == (0, "applied\n")
    assert calls(tmp_path) == ["apply -auto-approve", "apply -auto-approve"]


def test_transient_error_gives_up_after_the_retries(tmp_path: Path) -> None:
    binary = fake(tmp_path, 'echo "Error: TooManyRequestsException: slow down" >&2; exit 1')
    with pytest.raises(TerraformFailed, match="TooManyRequestsException"):
        runner(tmp_path, binary, retries=2).execute_command("apply")
    assert len(calls(tmp_path)) == 3


def test_failure_is_one_readable_line_with_secrets_redacted(tmp_path: Path) -> None:
    """Messages go to reports kept as evidence: terraform's own error, never a credential, and no retry."""
    body = f"cat >&2 <<'EOF'\n{BOXED_ERROR}EOF\necho 'AWS_SECRET_ACCESS_KEY=abcd1234efgh5678' >&2\nexit 1"
    tf = runner(tmp_path, fake(tmp_path, body))
    with pytest.raises(TerraformFailed) as excinfo:
        tf.execute_command("apply", "-no-color")
    message = str(excinfo.value)
    assert message.startswith(f"terraform apply failed in {tf.tfdir}: Error: creating S3 Bucket (state-st1): ")
    assert " | with aws_s3_bucket.state, | on main.tf line 12, " in message
    assert f"AWS_SECRET_ACCESS_KEY={MASK}" in message
    assert "abcd1234efgh5678" not in message
    assert "\n" not in message
    assert len(calls(tmp_path)) == 1


def test_plan_exit_two_means_changes_not_failure(tmp_path: Path) -> None:
    binary = fake(tmp_path, "echo 'Plan: 1 to add'; exit 2")
    result = runner(tmp_path, binary).execute_command("plan", "-detailed-exitcode")
    assert (result.retcode, result.out) == (2, "Plan: 1 to add\n")
    with pytest.raises(TerraformFailed):
        runner(tmp_path, binary).execute_command("apply")


def test_init_without_provider_is_tool_missing(tmp_path: Path) -> None:
    """A missing provider is a setup problem with a fix, not a module failure."""
    body = 'echo "Error: Failed to query available provider packages" >&2; exit 1'
    with pytest.raises(ToolMissing, match="STRATATEST_PROVIDER_MIRROR"):
        runner(tmp_path, fake(tmp_path, body)).execute_command("init")
    with pytest.raises(TerraformFailed):
        runner(tmp_path, fake(tmp_path, body)).execute_command("plan")


def test_missing_binary_is_tool_missing(tmp_path: Path) -> None:
    with pytest.raises(ToolMissing, match="terraform not found at"):
        runner(tmp_path, str(tmp_path / "no-such-terraform")).execute_command("version")


# Like terraform (Go installs its own handler), the fake handles SIGINT even where the test run was started
# with SIGINT ignored (a backgrounded, non-interactive CI shell), and records that it was stopped.
STOPPABLE = f"""exec {sys.executable} -c '
import pathlib, signal, sys, time
def stop(*_):
    pathlib.Path(sys.argv[1]).write_text("stopped by SIGINT")
    sys.exit(130)
signal.signal(signal.SIGINT, stop)
time.sleep(60)
' "$STOP_MARKER"
"""


def test_watchdog_stops_terraform_early(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An emulator's NotImplemented answer must not cost the provider's minutes of retries."""
    marker = tmp_path / "stopped"
    monkeypatch.setenv("STOP_MARKER", str(marker))
    polls = iter(range(1_000_000))

    def watchdog() -> str | None:
        return "moto failed eks CreateAddon with HTTP 500" if next(polls) >= 2 else None

    tf = runner(tmp_path, fake(tmp_path, STOPPABLE), watchdog=watchdog)
    with pytest.raises(TerraformFailed, match=r"stopped early .*: moto failed eks CreateAddon with HTTP 500"):
        tf.execute_command("apply")
    assert marker.read_text() == "stopped by SIGINT"  # stopped by our signal, not by running out its minute


def test_user_aws_and_tf_variables_are_not_passed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's AWS_PROFILE must never reach terraform: the target's settings are the only ones."""
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.setenv("TF_LOG", "TRACE")
    monkeypatch.setenv("TF_VAR_bucket", "prod-bucket")
    monkeypatch.setenv("STRATATEST_PROBE", "kept")
    work = tmp_path / "work"
    work.mkdir()
    tf = Terraform(work, binary=fake(tmp_path, "env"), env={"AWS_REGION": "us-east-1", "TF_INPUT": "0"})
    env = dict(line.split("=", 1) for line in tf.execute_command("version").out.splitlines() if "=" in line)
    assert not {"AWS_PROFILE", "AWS_SECRET_ACCESS_KEY", "TF_LOG", "TF_VAR_bucket"} & set(env)
    assert (env["AWS_REGION"], env["TF_INPUT"], env["STRATATEST_PROBE"]) == ("us-east-1", "0", "kept")


UNDECLARED = (
    "Error: Reference to undeclared input variable | on main.tf line 2, in resource "
    '"terraform_data" "x": | 2:   input = var.missing | An input variable with the name "missing" has not '
    'been declared. This | variable can be declared with a variable "missing" {} block.'
)


@pytest.mark.parametrize(
    "flags",
    [["-no-color"], []],
    ids=["no-color", "colour-boxed"],
)
def test_error_lines_of_real_terraform_output(tmp_path: Path, flags: list[str]) -> None:
    """Real `terraform validate` stderr, plain or boxed and coloured, reduced to the lines a person needs."""
    (tmp_path / "main.tf").write_text('resource "terraform_data" "x" {\n  input = var.missing\n}\n')
    chain = toolchain()
    tf = Terraform(tmp_path, binary=chain.terraform.path or "terraform", env=chain.env())
    tf.execute_command("init", "-backend=false", "-input=false", "-no-color")
    result = tf.run_raw("validate", *flags)
    assert result.retcode == 1
    assert error_lines(result.err) == UNDECLARED


def test_error_lines_limit_and_fallbacks() -> None:
    assert error_lines(BOXED_ERROR * 3, limit=2) == (
        "Error: creating S3 Bucket (state-st1): operation error S3: CreateBucket, AccessDenied"
        " | with aws_s3_bucket.state,"
    )
    assert error_lines("starting\nsegmentation fault\n") == "segmentation fault"
    assert error_lines("") == "(no output)"


def test_runs_in_its_own_process_group(tmp_path: Path) -> None:
    """Ctrl-C at the terminal must reach terraform once, from the runner, not straight from the tty."""
    result = runner(tmp_path, fake(tmp_path, "ps -o pgid= -p $$")).execute_command("version")
    assert int(result.out.strip()) != os.getpgrp()


def _lock_held(who: str) -> str:
    """What terraform prints when the S3 backend's lock is taken (times in UTC, as terraform writes them)."""
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.000006163 +0000 UTC")
    return f"""╷
│ Error: Error acquiring the state lock
│
│ Error message: operation error DynamoDB: PutItem, https response error StatusCode: 400,
│ ConditionalCheckFailedException: The conditional request failed
│ Lock Info:
│   ID:        680010e2-746a-355b-35ef-d41ada42a8bf
│   Path:      state/envs/dev/terraform.tfstate
│   Operation: OperationTypeApply
│   Who:       {who}
│   Version:   1.11.4
│   Created:   {created}
╵
"""


ME = f"{getpass.getuser()}@{socket.gethostname()}"


def test_own_stale_lock_is_released_and_the_command_run_again(tmp_path: Path) -> None:
    """The first apply fails transiently and cannot release its lock; the retry finds it and unlocks it."""
    held = tmp_path / "held.txt"
    held.write_text(_lock_held(ME))
    binary = fake(
        tmp_path,
        f"""case "$1" in
  force-unlock) rm -f {tmp_path}/locked; exit 0;;
esac
if [ ! -e {tmp_path}/tried ]; then
  touch {tmp_path}/tried {tmp_path}/locked
  echo "Error: releasing the state lock: i/o timeout" >&2; exit 1
fi
if [ -e {tmp_path}/locked ]; then cat {held} >&2; exit 1; fi
echo applied""",
    )
    result = runner(tmp_path, binary).execute_command("apply", "-auto-approve")
    assert result.out == "applied\n"
    assert calls(tmp_path) == [
        "apply -auto-approve",
        "apply -auto-approve",
        "force-unlock -force 680010e2-746a-355b-35ef-d41ada42a8bf",
        "apply -auto-approve",
    ]


@pytest.mark.parametrize("who", ["someone@elsewhere", None], ids=["other-owner", "before-this-runner"])
def test_a_lock_this_runner_did_not_take_is_respected(tmp_path: Path, who: str | None) -> None:
    text = _lock_held(who or ME)
    if who is None:  # taken by this user, but before this runner's first command: not ours
        text = text.replace(datetime.now(UTC).strftime("%Y-%m-%d"), "2020-01-01")
    (tmp_path / "held.txt").write_text(text)
    binary = fake(tmp_path, f"cat {tmp_path / 'held.txt'} >&2; exit 1")
    with pytest.raises(TerraformFailed, match="Error acquiring the state lock"):
        runner(tmp_path, binary).execute_command("apply")
    assert calls(tmp_path) == ["apply"]
