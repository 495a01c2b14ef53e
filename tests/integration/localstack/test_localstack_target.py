"""The LocalStack target against a real LocalStack: what it learns from health, clients, errors, and its gaps.

The "gap" tests pin LocalStack 2026.3.0's behaviour where it differs from AWS. When one fails after an
upgrade, LocalStack has changed: update `KNOWN_GAPS` (or the workaround), the test and docs/emulator-gaps.md.
"""

from __future__ import annotations

import http.server
import io
import json
import re
import subprocess
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import botocore.session
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError

from stratatest.errors import ConfigError, TargetError
from stratatest.localhost import free_port
from stratatest.targets import make_target
from stratatest.targets.localstack import ACCESS_KEY, START_HINT, LocalStackTarget

#: What scripts/localstack asks LocalStack to load on every machine (dynamodb only with Java 21+).
SCRIPT_SERVICES = {"s3", "kms", "ec2", "iam", "sts", "logs", "sns", "cloudwatch", "ssm", "resourcegroupstaggingapi"}


@pytest.fixture(scope="module")
def localstack(localstack_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> LocalStackTarget:
    built = make_target(
        f"localstack:endpoint={localstack_endpoint},wait=30",
        workdir=tmp_path_factory.mktemp("localstack"),
        run_id="localstack-tests",
    )
    assert isinstance(built, LocalStackTarget)
    built.start()
    return built


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _session(access_key: str, secret_key: str) -> boto3.session.Session:
    """A plain boto3 session with these keys that ignores the caller's AWS_PROFILE, as the target's clients do."""
    core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    return boto3.session.Session(access_key, secret_key, region_name="us-east-1", botocore_session=core)


def _trust(service: str) -> str:
    """A trust policy that lets `service`.amazonaws.com assume the role."""
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": f"{service}.amazonaws.com"}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


# -- what the target learns from health --------------------------------------------------------------------


def test_learns_version_edition_and_services_from_health(localstack: LocalStackTarget) -> None:
    facts = localstack.describe()
    assert facts["name"] == "localstack"
    assert facts["layer"] == "emulator"
    assert facts["endpoint"] == localstack.endpoint
    assert re.fullmatch(r"\d{4}\.\d+\.\d+", facts["localstack_version"]), facts
    assert facts["edition"] == "community"
    assert localstack.services() >= SCRIPT_SERVICES
    assert facts["services"] == sorted(localstack.services())


def test_health_names_are_boto3_names(localstack: LocalStackTarget) -> None:
    """No mapping is needed between LocalStack's health names and boto3's: every listed name is a boto3 one."""
    assert set(localstack.health.statuses) <= set(_session(ACCESS_KEY, ACCESS_KEY).get_available_services())


def test_unsupported_names_the_missing_services_and_why(localstack: LocalStackTarget) -> None:
    reason = localstack.unsupported({"eks", "rds", "s3"})
    assert reason is not None
    label = f"LocalStack community {localstack.health.version} at {localstack.endpoint}"
    assert reason == f"{label} does not serve eks, rds (not in its service list)"
    assert localstack.unsupported({"s3", "kms", "ec2"}) is None


def test_unsupported_says_when_a_service_is_switched_off(localstack: LocalStackTarget) -> None:
    """sqs is in the community edition but not in the script's SERVICES: disabled, not missing."""
    reason = localstack.unsupported({"sqs"})
    assert reason is not None and reason.endswith("does not serve sqs (disabled: not in its SERVICES setting)")


def test_start_is_idempotent(localstack: LocalStackTarget) -> None:
    health = localstack.health
    localstack.start()
    assert localstack.health is health


# -- clients, environment, provider settings ---------------------------------------------------------------


def test_s3_round_trip(localstack: LocalStackTarget) -> None:
    s3 = localstack.client("s3")
    bucket = _name("st-ls")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="small", Body=b"hello")
    parts = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    s3.upload_fileobj(io.BytesIO(b"x" * 6_000_000), bucket, "multipart", Config=parts)
    assert s3.get_object(Bucket=bucket, Key="small")["Body"].read() == b"hello"
    assert s3.head_object(Bucket=bucket, Key="multipart")["ContentLength"] == 6_000_000
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(listed) == ["multipart", "small"]
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in listed]})
    s3.delete_bucket(Bucket=bucket)
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_kms_round_trip(localstack: LocalStackTarget) -> None:
    kms = localstack.client("kms")
    key_id = kms.create_key(Description="stratatest localstack")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=180)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 180
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_client_ignores_the_callers_profile_and_endpoint(
    localstack: LocalStackTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    sts = localstack.client("sts")
    assert sts.meta.endpoint_url == localstack.endpoint
    assert sts.get_caller_identity()["Account"] == "000000000000"


def test_env_and_provider_settings_point_at_the_endpoint(localstack: LocalStackTarget) -> None:
    env = localstack.env()
    assert env["AWS_ENDPOINT_URL"] == localstack.endpoint
    assert env["AWS_ACCESS_KEY_ID"] == env["AWS_SECRET_ACCESS_KEY"] == ACCESS_KEY
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == localstack.region
    settings = localstack.provider_settings()
    assert settings.endpoint_url == localstack.endpoint
    assert settings.region == localstack.region
    for flag in ("skip_credentials_validation", "skip_requesting_account_id", "skip_metadata_api_check"):
        assert settings.attributes[flag] is True
    assert settings.attributes["s3_use_path_style"] is True


# -- errors ------------------------------------------------------------------------------------------------


def test_nothing_listening_fails_within_the_wait(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    lonely = make_target(f"localstack:endpoint={endpoint},wait=1.5", workdir=tmp_path)
    started = time.monotonic()
    with pytest.raises(TargetError) as err:
        lonely.start()
    assert time.monotonic() - started < 1.5 + 1.0
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"localstack: no LocalStack answered at {endpoint} within 1.5 s (")
    assert message.endswith(START_HINT)


@pytest.fixture
def not_localstack() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that is not LocalStack (it has no handlers: 501 to everything)."""
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_something_else_on_the_port_is_not_taken_for_localstack(not_localstack: str, tmp_path: Path) -> None:
    other = make_target(f"localstack:endpoint={not_localstack},wait=1", workdir=tmp_path)
    with pytest.raises(TargetError, match=rf"\(HTTP 501 from {re.escape(not_localstack)}/_localstack/health\)"):
        other.start()


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://10.1.2.3:4566",
        "http://example.com:4566",
        "https://127.0.0.1:4566",
        "http://127.0.0.1",
        "http://127.0.0.1:4566/path",
        "http://user@127.0.0.1:4566",
    ],
)
def test_endpoint_off_this_machine_is_refused(endpoint: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        make_target(f"localstack:endpoint={endpoint}", workdir=tmp_path)
    assert str(err.value) == (
        f"localstack: endpoint={endpoint!r} is not allowed — "
        "give LocalStack on this machine: http://127.0.0.1:PORT or http://localhost:PORT"
    )


@pytest.mark.parametrize("wait", ["0", "-3", "soon", "inf", "nan"])
def test_wait_must_be_a_positive_number(wait: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^localstack: wait=.* is not allowed — give a positive number of seconds$"):
        make_target(f"localstack:wait={wait}", workdir=tmp_path)


def test_loopback_names_and_defaults_are_accepted(tmp_path: Path) -> None:
    default = make_target("localstack", workdir=tmp_path)
    assert isinstance(default, LocalStackTarget) and default.endpoint == "http://127.0.0.1:4566"
    assert default.wait == 60
    for endpoint in ("http://localhost:4566/", "http://127.0.0.2:4510", "http://[::1]:4566"):
        assert LocalStackTarget(workdir=tmp_path, endpoint=endpoint).endpoint == endpoint.rstrip("/")


def test_not_started_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=r"^localstack: the target is not started — call start"):
        LocalStackTarget(workdir=tmp_path).services()


# -- the script --------------------------------------------------------------------------------------------


Script = Callable[..., subprocess.CompletedProcess[str]]


def test_script_install_and_start_are_no_ops_once_done(localstack_endpoint: str, localstack_script: Script) -> None:
    port = localstack_endpoint.rsplit(":", 1)[1]
    installed = localstack_script("install")
    assert (installed.returncode, installed.stdout.split(" (")[0]) == (0, "localstack: already installed")
    again = localstack_script("start", "--port", port)
    assert again.returncode == 0 and "already running" in again.stdout
    status = localstack_script("status", "--port", port)
    assert status.returncode == 0 and f"running at {localstack_endpoint}" in status.stdout


def test_script_stop_is_safe_when_nothing_runs(localstack_script: Script) -> None:
    stopped = localstack_script("stop", "--port", str(free_port()))
    assert stopped.returncode == 0 and "not running" in stopped.stdout


# -- gaps (KNOWN_GAPS and workarounds) ---------------------------------------------------------------------


def test_gap_policy_enforcement(localstack: LocalStackTarget) -> None:
    """A TLS-only bucket policy, and an IAM user with no policy at all: LocalStack lets both through."""
    assert "policy_enforcement" in localstack.gaps()
    s3 = localstack.client("s3")
    bucket = _name("st-ls-tls")
    s3.create_bucket(Bucket=bucket)
    deny_plain_http = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny_plain_http))
    s3.put_object(Bucket=bucket, Key="k", Body=b"over plain http")  # AWS: AccessDenied
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"over plain http"

    iam = localstack.client("iam")
    user = _name("st-ls-nobody")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    nobody = _session(key["AccessKeyId"], key["SecretAccessKey"])
    created = nobody.client("kms", endpoint_url=localstack.endpoint).create_key()  # AWS: AccessDeniedException
    assert created["KeyMetadata"]["KeyState"] == "Enabled"


def test_gap_launch_template_drift(localstack: LocalStackTarget) -> None:
    """The template's own tags are copied into its first version's data, as in moto 5.2.5."""
    assert "launch_template_drift" in localstack.gaps()
    ec2 = localstack.client("ec2")
    template = ec2.create_launch_template(
        LaunchTemplateName=_name("st-ls-lt"),
        LaunchTemplateData={"InstanceType": "t3.micro"},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "team", "Value": "platform"}]}],
    )["LaunchTemplate"]
    version = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"])
    data = version["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["TagSpecifications"] == [
        {"ResourceType": "launch-template", "Tags": [{"Key": "team", "Value": "platform"}]}
    ]  # AWS: no TagSpecifications in the version data
    ec2.delete_launch_template(LaunchTemplateId=template["LaunchTemplateId"])


def test_gap_flow_log_delivery_status(localstack: LocalStackTarget) -> None:
    """A flow log to a log group given by ARN reports delivery FAILED although the group exists."""
    assert "flow_log_delivery_status" in localstack.gaps()
    ec2, logs, iam = localstack.client("ec2"), localstack.client("logs"), localstack.client("iam")
    group = f"/stratatest/{_name('flow')}"
    logs.create_log_group(logGroupName=group)
    group_arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"].removesuffix(":*")
    role = iam.create_role(RoleName=_name("st-ls-flow"), AssumeRolePolicyDocument=_trust("vpc-flow-logs"))["Role"]
    vpc_id = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    (flow_log_id,) = ec2.create_flow_logs(
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogDestination=group_arn,
        DeliverLogsPermissionArn=role["Arn"],
    )["FlowLogIds"]
    (flow_log,) = ec2.describe_flow_logs(FlowLogIds=[flow_log_id])["FlowLogs"]
    assert (flow_log["DeliverLogsStatus"], flow_log["DeliverLogsErrorMessage"]) == ("FAILED", "Access error")
    ec2.delete_flow_logs(FlowLogIds=[flow_log_id])
    ec2.delete_vpc(VpcId=vpc_id)


def test_gap_lambda_functions(localstack: LocalStackTarget) -> None:
    """Lambda loads (Secrets Manager depends on it), but with no Docker a function never becomes Active, and
    a failed function cannot even be deleted."""
    assert "lambda_functions" in localstack.gaps()
    iam, lam = localstack.client("iam"), localstack.client("lambda", max_attempts=1)
    role = iam.create_role(RoleName=_name("st-ls-fn"), AssumeRolePolicyDocument=_trust("lambda"))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 42\n")
    name = _name("st-ls-fn")
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler", Code={"ZipFile": code.getvalue()}
    )
    deadline = time.monotonic() + 120
    state = "Pending"
    while state == "Pending" and time.monotonic() < deadline:
        time.sleep(0.5)
        state = lam.get_function(FunctionName=name)["Configuration"]["State"]
    assert state == "Failed"  # AWS: Active
    with pytest.raises(ClientError) as err:
        lam.delete_function(FunctionName=name)
    assert err.value.response["Error"]["Code"] == "InternalError"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_gap_plain_botocore_cannot_put_objects(localstack: LocalStackTarget) -> None:
    """The workaround in client(): LocalStack's server answers `Expect: 100-continue` with a status line
    botocore does not recognise, so a plain client's PutObject fails; the target's client leaves the header
    out. When this test fails, the workaround can go."""
    bucket = _name("st-ls-expect")
    localstack.client("s3").create_bucket(Bucket=bucket)
    s3 = _session(ACCESS_KEY, ACCESS_KEY).client(
        "s3",
        endpoint_url=localstack.endpoint,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    with pytest.raises(ConnectionClosedError):
        s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
    localstack.client("s3").put_object(Bucket=bucket, Key="k", Body=b"hello")


# -- the emulator layer as a user runs it ----------------------------------------------------------------------
# In this module, not a file of its own: under `--dist loadscope` a second module could land on the other worker
# and start a second LocalStack.

REPO = Path(__file__).resolve().parents[3]


def test_stratatest_run_on_localstack(localstack_endpoint: str, tmp_path: Path) -> None:
    """`stratatest run --target localstack`: what LocalStack serves passes the emulator layer; the rest is not
    assessed with LocalStack's reason, never failed or passed; the record names the target and its version."""
    import sys

    from stratatest.compliance.results import RunRecord

    reports = tmp_path / "reports"
    argv = [sys.executable, "-m", "stratatest.cli", "run", f"--target=localstack:endpoint={localstack_endpoint}",
            "--layer=emulator", "--workers=1", f"--reports={reports}", "-p", "no:randomly"]  # fmt: skip
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=1500)
    record = RunRecord.read(reports / "results.json")
    broken = [f"{r.nodeid}: {r.message}" for r in record.results if r.outcome in ("failed", "error")]
    assert proc.returncode == 0, "\n".join([*broken, proc.stdout[-3000:], proc.stderr[-2000:]])
    assert record.target["name"] == "localstack"
    assert record.target["layer"] == "emulator"
    assert re.match(r"\d{4}\.\d+", str(record.target.get("localstack_version"))), record.target
    by_file: dict[str, list[str]] = {}
    for result in record.results:
        by_file.setdefault(result.nodeid.split("::")[0], []).append(result.outcome)
        assert result.layer == "emulator", result.nodeid
    # Served here: the network module whole, and an S3 backend with S3-native locking.
    network = by_file["tests/integration/modules/test_network.py"]
    assert network and set(network) == {"passed"}, network
    backend = {r.nodeid: r for r in record.results if "test_backend_consumer.py" in r.nodeid}
    lockfile = [r.outcome for nodeid, r in backend.items() if "[lockfile]" in nodeid]
    assert len(lockfile) == 5 and set(lockfile) == {"passed"}, backend
    table = [r for nodeid, r in backend.items() if "[dynamodb]" in nodeid]
    assert table and all(r.outcome == "skipped" and "dynamodb" in (r.skip_reason or "") for r in table), table
    # Not served (EKS, RDS, ECR, DynamoDB without Java 21, ...): skipped, with LocalStack's own reason.
    skipped = [r for r in record.results if r.outcome == "skipped"]
    for path in ("test_eks.py", "test_ecr.py", "test_state_backend.py", "envs/test_dev.py", "test_observability.py"):
        reasons = [r.skip_reason or "" for r in skipped if r.nodeid.split("::")[0].endswith(path)]
        assert reasons, path
        assert all("not assessed" in reason and "LocalStack" in reason for reason in reasons), reasons
    assert not [r.nodeid for r in record.results if r.outcome in ("failed", "error")]
    statuses = {c.id: c.status for c in record.controls}
    assert statuses["STRATA-VPC-001"] == "passed"  # flow logs, from the network module
    assert statuses["STRATA-EKS-003"] == "not_assessed"  # only EKS tests assess it, and they could not run
