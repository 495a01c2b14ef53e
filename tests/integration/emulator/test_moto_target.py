"""The moto target as a process: lifecycle, ports, TLS, 5xx events, and no real credentials leaking in."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from stratatest.errors import ConfigError, TargetError
from stratatest.targets.moto import MotoTarget
from stratatest.targets.moto.corrections import CORRECTIONS


@pytest.fixture(scope="module")
def moto(start_moto: Callable[..., MotoTarget]) -> MotoTarget:
    return start_moto()


def _alive(pid: int) -> bool:
    """True while `pid` runs; a zombie (exited, not yet reaped by init) counts as gone."""
    if not Path("/proc/self/stat").exists():  # no procfs: signal 0 tells whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_start_stop_leaves_no_process(tmp_path: Path) -> None:
    target = MotoTarget(workdir=tmp_path)
    target.start()
    target.start()  # idempotent: still the same server
    pid = target.pid
    assert pid is not None and _alive(pid)
    https_port = int(target.endpoint_url.rsplit(":", 1)[1])
    http_port = int(target.http_endpoint_url.rsplit(":", 1)[1])

    target.stop()
    target.stop()  # idempotent

    assert not target.running
    assert target.exit_code == 0, "SIGTERM should end the server cleanly, not need SIGKILL"
    assert _wait_gone(pid)
    assert not _listening(https_port) and not _listening(http_port)


def test_server_runs_in_its_own_session(moto: MotoTarget) -> None:
    # A Ctrl-C sent to pytest's process group must not reach the emulator before the harness has destroyed.
    assert moto.pid is not None
    assert os.getsid(moto.pid) == moto.pid
    assert os.getsid(moto.pid) != os.getsid(0)


@pytest.mark.parametrize("how", ["exit", "crash"])
def test_server_never_outlives_its_parent(tmp_path: Path, how: str) -> None:
    # "exit": atexit stops it; "crash": os._exit skips atexit, and the server notices its parent is gone.
    end = "sys.exit(0)" if how == "exit" else "os._exit(0)"
    script = textwrap.dedent(
        f"""
        import os, sys
        from pathlib import Path
        from stratatest.targets.moto import MotoTarget
        target = MotoTarget(workdir=Path({str(tmp_path)!r}))
        target.start()
        print(target.pid, flush=True)
        {end}
        """
    )
    command = [sys.executable, "-c", script]
    out = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    pid = int(out.stdout.strip())
    assert _wait_gone(pid, timeout=10), f"moto server {pid} outlived its parent ({how})"


def test_port_already_in_use_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        target = MotoTarget(port=port, workdir=tmp_path)
        with pytest.raises(TargetError) as err:
            target.start()
    message = str(err.value)
    assert f"port 127.0.0.1:{port} is already in use" in message
    assert "--target moto:port=N" in message
    assert "\n" not in message
    assert not target.running


def test_requested_free_port_is_the_https_port(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with MotoTarget(port=port, workdir=tmp_path) as target:
        assert isinstance(target, MotoTarget)
        assert target.endpoint_url == f"https://127.0.0.1:{port}"
        assert target.client("sts").get_caller_identity()["Account"]


def test_unknown_correction_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no_such_fix"):
        MotoTarget(workdir=tmp_path, corrections="s3_secure_transport,no_such_fix")


def test_https_verifies_with_the_certificate_as_ca_bundle(moto: MotoTarget) -> None:
    trusting = ssl.create_default_context(cafile=str(moto.ca_bundle))
    with urllib.request.urlopen(f"{moto.endpoint_url}/moto-api/", context=trusting, timeout=10) as answer:
        assert answer.status == 200
    # The same endpoint by name: the certificate also covers DNS localhost.
    by_name = moto.endpoint_url.replace("127.0.0.1", "localhost")
    with urllib.request.urlopen(f"{by_name}/moto-api/", context=trusting, timeout=10) as answer:
        assert answer.status == 200
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(f"{moto.endpoint_url}/moto-api/", context=ssl.create_default_context())


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_trusts_the_certificate(moto: MotoTarget) -> None:
    url = f"{moto.endpoint_url}/moto-api/"
    answer = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", str(moto.ca_bundle), url],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout == "200"


def test_both_listeners_share_the_same_backends(moto: MotoTarget) -> None:
    moto.client("sqs").create_queue(QueueName="shared-backends")
    urls = moto.http_client("sqs").list_queues(QueueNamePrefix="shared-backends").get("QueueUrls", [])
    assert len(urls) == 1


def test_unimplemented_action_is_recorded_as_a_5xx_event(moto: MotoTarget) -> None:
    offset = moto.events_offset()
    ec2 = moto.client("ec2", max_attempts=1)
    with pytest.raises((ClientError, ResponseParserError)):
        # moto 5.2.5 has no DescribeCapacityBlockOfferings: it answers 500 (NotImplementedError).
        ec2.describe_capacity_block_offerings(CapacityDurationHours=24, InstanceType="p5.48xlarge", InstanceCount=1)
    with pytest.raises(ClientError):
        moto.client("kms").describe_key(KeyId="alias/does-not-exist")  # a 4xx: not an event

    events, new_offset = moto.events_since(offset)

    assert new_offset > offset
    assert len(events) == 1
    event = events[0]
    assert event["status"] == 500
    assert event["service"] == "ec2"
    assert event["action"] == "DescribeCapacityBlockOfferings"
    assert event["method"] == "POST"
    assert "NotImplementedError" in event["error"]
    assert {"time", "path", "body_head"} <= event.keys()
    assert moto.events_since(new_offset) == ([], new_offset)


def test_env_and_provider_settings_hold_no_real_credentials(moto: MotoTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    real = {
        "AWS_ACCESS_KEY_ID": "AKIAREALKEYDONOTUSE1",
        "AWS_SECRET_ACCESS_KEY": "real-secret-do-not-use",
        "AWS_SESSION_TOKEN": "real-session-token",
        "AWS_PROFILE": "no-such-profile",
    }
    for name, value in real.items():
        monkeypatch.setenv(name, value)

    env = moto.env()
    settings = moto.provider_settings()

    rendered = repr(env) + repr(settings)
    for value in real.values():
        assert value not in rendered
    assert "AWS_SESSION_TOKEN" not in env and "AWS_PROFILE" not in env
    assert env["AWS_ACCESS_KEY_ID"] == env["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert env["AWS_CA_BUNDLE"] == str(moto.ca_bundle)
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == moto.region
    assert settings.endpoint_url == moto.endpoint_url
    assert moto.endpoint_url.startswith("https://127.0.0.1:")
    assert settings.attributes["access_key"] == settings.attributes["secret_key"] == "testing"
    for flag in ("skip_credentials_validation", "skip_requesting_account_id", "skip_metadata_api_check"):
        assert settings.attributes[flag] is True
    assert settings.attributes["s3_use_path_style"] is True
    assert settings.attributes["custom_ca_bundle"] == str(moto.ca_bundle)
    # boto3 clients ignore the caller's profile and keys too.
    assert moto.client("sts").get_caller_identity()["Account"] == "123456789012"


def test_reset_empties_the_backends(tmp_path: Path) -> None:
    with MotoTarget(workdir=tmp_path) as target:
        assert isinstance(target, MotoTarget)
        sqs = target.client("sqs")
        sqs.create_queue(QueueName="before-reset")
        target.reset()
        assert sqs.list_queues().get("QueueUrls", []) == []


def test_describe_and_gaps(moto: MotoTarget, tmp_path: Path) -> None:
    facts = moto.describe()
    assert facts["name"] == "moto"
    assert facts["moto_version"] == "5.2.5"
    assert facts["endpoint"] == moto.endpoint_url
    assert facts["corrections"] == [
        "s3_secure_transport",
        "kms_rotation_period",
        "s3_delete_marker_dispose",
        "eks_addon",
        "eks_update",
        "eks_node_group_drift",
        "eks_cluster_security_group",
        "launch_template_drift",
        "db_parameter_group_drift",
        "ebs_default_kms_key",
        "guardduty_detector_features",
        "eks_node_group_tags",
        "guardduty_detector_tags",
        "sdk_retry_replay",
        "eks_oidc_issuer",
        "cloudtrail_trail_filter",
    ]
    assert "s3_secure_transport" not in moto.gaps()

    uncorrected = MotoTarget(workdir=tmp_path, corrections="none")
    assert uncorrected.describe()["corrections"] == []
    assert {c.name for c in CORRECTIONS} <= uncorrected.gaps().keys()
