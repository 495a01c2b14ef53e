"""Signed evidence: an in-toto statement over the reports in a DSSE envelope, and a verification that catches any
changed, missing, added or re-signed file. Every key lives in the test's tmp folder, never the user's cache."""

from __future__ import annotations

import base64
import json
import re
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner

from stratatest.compliance.catalogue import Catalogue, Control
from stratatest.compliance.evidence import sha256_text
from stratatest.compliance.results import RunRecord, TestResult, rollup
from stratatest.errors import ConfigError
from stratatest.report.attest import (
    ATTESTATION_FILE,
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    PUBLIC_KEY_FILE,
    STATEMENT_TYPE,
    load_private_key,
    local_key,
    local_public_key,
    sign_reports,
    statement,
    verify_reports,
)

from .conftest import build_record

REPORTS = {"junit.xml": "<testsuites/>\n", "report.html": "<html>run</html>\n", "controls.csv": "id,status\n"}


@pytest.fixture(scope="module")
def record() -> RunRecord:
    return build_record()


@pytest.fixture
def key(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "ed25519.pem"


@pytest.fixture
def signed(tmp_path: Path, record: RunRecord, key: Path) -> Path:
    """A reports folder as `write_reports` leaves it: the record, some reports, the envelope and the public key."""
    out = tmp_path / "reports"
    files = [record.write(out / "results.json")]
    for name, text in REPORTS.items():
        (out / name).write_text(text, encoding="utf-8")
        files.append(out / name)
    assert sign_reports(record, out, files, local_key(key)) == out / ATTESTATION_FILE
    return out


def verify(out: Path, key: Path):  # type: ignore[no-untyped-def]
    return verify_reports(out, local_public_key(key), "the test key")


def envelope_statement(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(base64.b64decode(json.loads((out / ATTESTATION_FILE).read_text())["payload"]))


# -- sign, then verify --------------------------------------------------------------------------------------


def test_signed_reports_verify(signed: Path, key: Path) -> None:
    result = verify(signed, key)
    assert result.problems == []
    assert result.ok
    assert sorted(result.checked) == sorted([*REPORTS, "results.json"])
    assert result.statement["predicate"]["result"] == "FAILED"
    assert (signed / PUBLIC_KEY_FILE).read_bytes() == local_public_key(key)


def test_the_envelope_is_dsse_with_an_in_toto_payload(signed: Path) -> None:
    data = json.loads((signed / ATTESTATION_FILE).read_text())
    assert data["payloadType"] == PAYLOAD_TYPE == "application/vnd.in-toto+json"
    (signature,) = data["signatures"]
    assert signature["keyid"] and base64.b64decode(signature["sig"])
    body = envelope_statement(signed)
    assert (body["_type"], body["predicateType"]) == (STATEMENT_TYPE, PREDICATE_TYPE)


def test_a_changed_report_byte_is_named(signed: Path, key: Path) -> None:
    html = signed / "report.html"
    html.write_bytes(html.read_bytes().replace(b"run", b"ran"))
    result = verify(signed, key)
    assert result.problems == ["report.html: changed since it was signed (sha256 differs)"]
    assert "report.html" not in result.checked and not result.ok


def test_a_deleted_report_is_named(signed: Path, key: Path) -> None:
    (signed / "controls.csv").unlink()
    assert verify(signed, key).problems == ["controls.csv: signed but missing"]


def test_an_added_file_is_named(signed: Path, key: Path) -> None:
    (signed / "extra.json").write_text("{}", encoding="utf-8")
    (signed / "history").mkdir()  # kept runs live in a folder beside the reports: not a report
    assert verify(signed, key).problems == ["extra.json: not covered by the signature"]


def test_another_key_does_not_verify(signed: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.pem"
    local_key(other)
    result = verify_reports(signed, local_public_key(other), "other.pem")
    assert not result.ok and result.checked == []
    (problem,) = result.problems
    assert problem.startswith("signature does not verify with other.pem: ")


def test_a_re_signed_statement_with_the_published_public_key_swapped_does_not_verify(
    signed: Path, key: Path, tmp_path: Path, record: RunRecord
) -> None:
    """Whoever edits the reports can re-sign them with their own key and replace the public key beside them;
    the verifier's trusted key is what catches it."""
    (signed / "report.html").write_text("<html>all green</html>\n", encoding="utf-8")
    files = [p for p in signed.iterdir() if p.name not in (ATTESTATION_FILE, PUBLIC_KEY_FILE)]
    sign_reports(record, signed, files, local_key(tmp_path / "attacker.pem"))
    assert verify(signed, tmp_path / "attacker.pem").ok, "consistent with the attacker's own key"
    (problem,) = verify(signed, key).problems
    assert problem.startswith("signature does not verify with the test key")


def test_an_edited_payload_breaks_the_signature(signed: Path, key: Path) -> None:
    path = signed / ATTESTATION_FILE
    data = json.loads(path.read_text())
    body = envelope_statement(signed)
    body["predicate"]["result"] = "PASSED"
    data["payload"] = base64.b64encode(json.dumps(body).encode()).decode()
    path.write_text(json.dumps(data), encoding="utf-8")
    (problem,) = verify(signed, key).problems
    assert problem.startswith("signature does not verify with the test key")


def sign_payload(out: Path, key: Path, payload: bytes, payload_type: str = PAYLOAD_TYPE) -> None:
    envelope = Envelope(payload=payload, payload_type=payload_type, signatures={})
    envelope.sign(CryptoSigner(local_key(key)))
    (out / ATTESTATION_FILE).write_text(json.dumps(envelope.to_dict()), encoding="utf-8")


def test_a_signed_payload_of_another_type_is_refused(signed: Path, key: Path) -> None:
    sign_payload(signed, key, b"{}", "application/json")
    assert verify(signed, key).problems == [f"payload type 'application/json' is not {PAYLOAD_TYPE}"]


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b'{"_type": "x"}'])
def test_a_signed_payload_that_is_not_a_test_result_statement_is_a_problem(
    signed: Path, key: Path, payload: bytes
) -> None:
    result = verify(signed, key)  # the reports are intact ...
    assert result.ok
    sign_payload(signed, key, payload)  # ... but what the key signed is something else
    result = verify(signed, key)
    assert (result.problems, result.checked) == (["the signed payload is not an in-toto test-result statement"], [])


# -- nothing verifiable: a clear error ---------------------------------------------------------------------


def test_no_envelope_is_a_config_error(tmp_path: Path, key: Path) -> None:
    local_key(key)
    with pytest.raises(ConfigError, match=re.escape(f"{ATTESTATION_FILE}: no attestation — run `stratatest report`")):
        verify(tmp_path, key)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '"a string"',
        "{}",
        json.dumps({"payload": "!!!", "payloadType": PAYLOAD_TYPE, "signatures": []}),
        json.dumps({"payload": "e30=", "payloadType": PAYLOAD_TYPE, "signatures": [{"keyid": "k", "sig": "%%"}]}),
        json.dumps({"payload": "e30=", "payloadType": PAYLOAD_TYPE, "signatures": [{"sig": "AA=="}]}),
        json.dumps({"payload": "e30=", "payloadType": PAYLOAD_TYPE, "signatures": ["x"]}),
    ],
    ids=["not-json", "list", "string", "empty", "bad-payload", "bad-sig", "no-keyid", "bad-signature-entry"],
)
def test_a_garbage_envelope_is_a_config_error(signed: Path, key: Path, text: str) -> None:
    (signed / ATTESTATION_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(f"{ATTESTATION_FILE}: not a DSSE envelope")):
        verify(signed, key)


@pytest.mark.parametrize("pem", [b"", b"not a key", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"])
def test_a_bad_public_key_is_a_config_error(signed: Path, pem: bytes) -> None:
    with pytest.raises(ConfigError, match=r"trusted\.pem: not a PEM public key"):
        verify_reports(signed, pem, "trusted.pem")


def test_a_private_key_given_as_the_public_key_is_a_config_error(signed: Path, key: Path) -> None:
    with pytest.raises(ConfigError, match="not a PEM public key"):
        verify_reports(signed, key.read_bytes(), str(key))


# -- the statement ----------------------------------------------------------------------------------------


def test_the_subject_names_the_commit_the_judged_artefacts_and_every_report(signed: Path, record: RunRecord) -> None:
    subject = {s["name"]: s["digest"] for s in envelope_statement(signed)["subject"]}
    assert subject[f"git+commit:{record.commit}"] == {"gitCommit": record.commit}
    assert subject["plan:terraform/envs/dev"] == {"sha256": "a" * 64}
    assert subject["manifests:charts/microservice prod"] == {"sha256": "c" * 64}
    for name in [*REPORTS, "results.json"]:
        assert subject[f"reports/{name}"] == {"sha256": sha256_text((signed / name).read_bytes())}
    assert len(subject) == 3 + len(REPORTS) + 1


def test_the_predicate_lists_tests_by_outcome_and_the_catalogue(record: RunRecord) -> None:
    predicate = statement(record, {})["predicate"]
    assert predicate["configuration"] == [{"name": "controls/catalogue.yaml", "digest": {"sha256": "d" * 64}}]
    assert predicate["passedTests"] == [
        "tests/unit/modules/test_s3.py::test_encrypted[dev]",
        "tests/integration/test_s3.py::test_encrypted_readback",
    ]
    assert predicate["failedTests"] == ["tests/unit/modules/test_s3.py::test_public_access_blocked"]
    assert predicate["warnedTests"] == [
        "tests/unit/modules/test_s3.py::test_tls_only",
        "tests/e2e/test_cluster.py::test_kms_on_cluster",
    ]


def test_a_run_without_commit_or_catalogue_still_has_a_statement(record: RunRecord) -> None:
    bare = statement(replace(record, commit=None, evidence=[], catalogue={}), {"junit.xml": "f" * 64})
    assert bare["subject"] == [{"name": "reports/junit.xml", "digest": {"sha256": "f" * 64}}]
    assert bare["predicate"]["configuration"] == []


CONTROLS = Catalogue(
    [Control("C-1", "one", "high", "r", "m", notes="n"), Control("C-2", "two", "low", "r", "m", notes="n")]
)


def run_of(*outcomes: tuple[str, str]) -> RunRecord:
    results = [
        TestResult(f"t::{i}", str(i), "plan", outcome, [control], waiver="W-001" if outcome == "waived" else None)
        for i, (outcome, control) in enumerate(outcomes)
    ]
    return RunRecord("st1", "s", "f", results, rollup(results, CONTROLS))


@pytest.mark.parametrize(
    ("outcomes", "result"),
    [
        ((("passed", "C-1"), ("passed", "C-2")), "PASSED"),  # every control passed
        ((("passed", "C-1"),), "WARNED"),  # C-2 not assessed: a gap is not a clean pass
        ((("passed", "C-1"), ("waived", "C-2")), "WARNED"),  # an accepted deviation is not a clean pass
        ((("passed", "C-1"), ("passed", "C-2"), ("skipped", "C-2")), "PASSED"),  # C-2 still passed where assessed
        ((("passed", "C-1"), ("failed", "C-2")), "FAILED"),
        ((("passed", "C-1"), ("xfailed", "C-2")), "FAILED"),
        ((), "WARNED"),  # nothing ran
    ],
)
def test_result_rules(outcomes: tuple[tuple[str, str], ...], result: str) -> None:
    assert statement(run_of(*outcomes), {})["predicate"]["result"] == result


# -- the key ----------------------------------------------------------------------------------------------


def test_the_local_key_is_created_private_once_and_reused(key: Path) -> None:
    first = local_key(key)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    pem = key.read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    second = local_key(key)
    assert key.read_bytes() == pem, "an existing key is never replaced"
    public = [k.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo) for k in (first, second)]
    assert public[0] == public[1] == local_public_key(key)


def test_local_public_key_never_creates_a_key(key: Path) -> None:
    with pytest.raises(ConfigError, match=r"no local signing key at .* pass --key with the public key"):
        local_public_key(key)
    assert not key.exists()


def test_a_damaged_key_file_is_a_config_error(key: Path) -> None:
    key.parent.mkdir(parents=True)
    key.write_text("garbage", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"ed25519\.pem: not an unencrypted PEM private key"):
        load_private_key(key)


@pytest.mark.parametrize(("name", "what"), [("absent", "no such folder"), ("a-file", "not a folder")])
def test_a_reports_folder_that_is_not_one_is_a_config_error(tmp_path: Path, key: Path, name: str, what: str) -> None:
    local_key(key)
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        verify(tmp_path / name, key)
    assert str(info.value) == f"{tmp_path / name}: {what}: give a reports folder"


@pytest.mark.parametrize("subject", [["x"], [{"name": 1, "digest": {}}], [{"name": "reports/a"}], {"a": 1}])
def test_a_signed_statement_with_a_malformed_subject_is_a_problem(signed: Path, key: Path, subject: object) -> None:
    body = {"_type": STATEMENT_TYPE, "predicateType": PREDICATE_TYPE, "subject": subject}
    sign_payload(signed, key, json.dumps(body).encode())
    assert verify(signed, key).problems == ["the signed payload is not an in-toto test-result statement"]
