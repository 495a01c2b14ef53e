"""The sandbox target's tests: moto stands in for the real account, so the guard, the credentials and the
sweep run exactly as against AWS, on 127.0.0.1 (moto's account is always 123456789012)."""

from __future__ import annotations

import base64
import json
import os
import ssl
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

import pytest

from stratatest.targets import make_target
from stratatest.targets.aws import AwsTarget
from stratatest.targets.moto import MotoTarget

MOTO_ACCOUNT = "123456789012"
ALLOWLIST = f"""\
allow:
  - account: "{MOTO_ACCOUNT}"
    name: moto
    regions: [us-east-1, eu-west-1]
  - account: "210987654321"
    name: other-sandbox
    regions: [us-east-1]
deny:
  - account: "999999999999"
    name: production
"""


@pytest.fixture(scope="module")
def moto(start_moto: Callable[..., MotoTarget]) -> MotoTarget:
    return start_moto()


@pytest.fixture(autouse=True)
def caller_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """What the standard credential chain sees: fresh dummy keys in the environment, no profile files, no
    instance metadata, and none of the developer's own AWS settings."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("STRATATEST_SANDBOX_ACCOUNTS", raising=False)
    values = {
        "AWS_ACCESS_KEY_ID": "AKIA" + uuid.uuid4().hex[:16].upper(),
        "AWS_SECRET_ACCESS_KEY": f"sandbox-secret-{uuid.uuid4().hex}",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def allowlist(tmp_path: Path) -> Path:
    path = tmp_path / "allowlist.yaml"  # not the default name: the search upwards must not find it
    path.write_text(ALLOWLIST, encoding="utf-8")
    return path


@pytest.fixture
def make_aws(moto: MotoTarget, allowlist: Path, tmp_path: Path) -> Callable[..., AwsTarget]:
    """`make_aws(region=..., run_id=..., **options) -> AwsTarget` built from a spec, standing in on moto; an option
    given as None is left out of the spec."""

    def build(region: str = "us-east-1", run_id: str | None = None, **options: str | None) -> AwsTarget:
        given = {
            "account": MOTO_ACCOUNT,
            "allowlist": str(allowlist),
            "endpoint": moto.endpoint_url,
            "ca_bundle": str(moto.ca_bundle),
            **options,
        }
        spec = "aws:" + ",".join(f"{k}={v}" for k, v in given.items() if v is not None)
        target = make_target(spec, workdir=tmp_path, region=region, run_id=run_id or new_run_id())
        assert isinstance(target, AwsTarget)
        return target

    return build


def new_run_id() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


class Call(NamedTuple):
    service: str
    action: str
    params: dict[str, str]  # a query-protocol request's parameters (STS, EC2, IAM)


@pytest.fixture
def recorded(moto: MotoTarget) -> Callable[[], AbstractContextManager[list[Call]]]:
    """`with recorded() as calls:` — every request moto received inside the block, from moto's own recorder."""

    @contextmanager
    def record() -> Iterator[list[Call]]:
        calls: list[Call] = []
        _moto_api(moto, "reset-recording")
        _moto_api(moto, "start-recording")
        try:
            yield calls
        finally:
            _moto_api(moto, "stop-recording")
            lines = _moto_api(moto, "download-recording").splitlines()
            calls += [_call(json.loads(line)) for line in lines if line.strip()]

    return record


def _moto_api(moto: MotoTarget, action: str) -> str:
    method = "GET" if action.startswith("download") else "POST"
    request = urllib.request.Request(f"{moto.endpoint_url}/moto-api/recorder/{action}", method=method, data=None)
    context = ssl.create_default_context(cafile=str(moto.ca_bundle))
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:
        return answer.read().decode("utf-8")


def _call(entry: dict[str, Any]) -> Call:
    """A recorded request: the service from the SigV4 scope, the action from the X-Amz-Target header (JSON
    protocols) or the Action parameter (query protocols), else the method and path (S3)."""
    headers = {k.lower(): v for k, v in entry["headers"].items()}
    auth = headers.get("authorization", "")
    service = auth.split("Credential=", 1)[1].split("/")[3] if "Credential=" in auth else "?"
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    url = urlsplit(entry["url"])
    params = {k: v[0] for k, v in (parse_qs(url.query) | parse_qs(body)).items()}
    if "x-amz-target" in headers:
        return Call(service, headers["x-amz-target"].rsplit(".", 1)[-1], params)
    return Call(service, params.get("Action") or f"{entry['method']} {url.path}", params)
