"""Signed evidence: an in-toto Statement (test-result predicate) over the run's reports, in a DSSE envelope.

The statement's subject is what the run judged and what it wrote: the git commit, the digest of every plan and
chart render it assessed, and every report file. Signing uses securesystemslib (the in-toto project's own
library) with a local ed25519 key kept in the suite's cache; `stratatest verify` checks the signature against a
public key the verifier trusts, then every report file's digest (and every kept run in history/, which the HTML's
trends are drawn from), so an edited, swapped, added or removed file is caught.
A local key proves integrity since signing, not who signed: a team that needs identity signs with a KMS or
Sigstore signer, which securesystemslib also provides.

Only the default key (in the cache) is ever created: a key the user names with --key must exist, so a typo can
never sign with a fresh key nobody trusts.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)
from filelock import FileLock
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey

from stratatest.compliance.evidence import sha256_text
from stratatest.compliance.results import RunRecord
from stratatest.errors import ConfigError
from stratatest.paths import write_atomic
from stratatest.report.history import HISTORY_DIR

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://in-toto.io/attestation/test-result/v0.1"
ATTESTATION_FILE = "attestation.intoto.json"
PUBLIC_KEY_FILE = "signing-key.pub.pem"
REPORT_PREFIX = "reports/"
#: Artefacts the run judged that go into the subject (Checkov scans are derived from the tree the commit names).
JUDGED_KINDS = ("plan", "manifests")
#: The lock `write_reports` holds in a reports folder while writing it; not a report.
LOCK_FILE = ".stratatest-reports.lock"


def default_key_path() -> Path:
    from stratatest.toolchain import cache_dir

    return cache_dir() / "signing" / "ed25519.pem"


def signing_key(key_path: Path | None = None) -> PrivateKeyTypes:
    """The key to sign with: the one the user named (never created), else the local key (created once)."""
    return load_private_key(key_path) if key_path is not None else local_key()


def local_key(path: Path | None = None) -> PrivateKeyTypes:
    """The local signing key (default: in the cache), created (ed25519, PEM, mode 0600) the first time."""
    path = path or default_key_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{path}.lock"):
        if not path.exists():
            pem = CryptoSigner(Ed25519PrivateKey.generate()).private_bytes
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
    return load_private_key(path)


def load_private_key(path: Path) -> PrivateKeyTypes:
    """The existing unencrypted PEM private key at `path`, able to sign; never created (a typo in --key must not
    sign with a key nobody trusts). Every other file is one line saying what it is."""
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such signing key",
            hint="give an existing PEM private key, or leave out --key to sign with the local key in the cache",
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a PEM private key") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the signing key: {err.strerror or err}") from None
    try:
        key = load_pem_private_key(pem, password=None)
    except TypeError:  # cryptography's word for "encrypted, and no password given"
        raise ConfigError(f"{path}: the private key is encrypted", hint="give an unencrypted PEM private key") from None
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigError(f"{path}: not an unencrypted PEM private key") from None
    try:
        CryptoSigner(key)
    except ValueError:
        raise ConfigError(
            f"{path}: a {type(key).__name__} cannot sign", hint="use an ed25519, ECDSA or RSA key"
        ) from None
    return key


def local_public_key(path: Path | None = None) -> bytes:
    """The public half (PEM) of the local signing key; never creates one (there would be nothing it signed)."""
    path = path or default_key_path()
    if not path.is_file():
        raise ConfigError(f"no local signing key at {path}", hint="pass --key with the public key (PEM) you trust")
    return _public_pem(load_private_key(path))


def _public_pem(private_key: PrivateKeyTypes) -> bytes:
    return private_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def statement(record: RunRecord, report_digests: dict[str, str]) -> dict[str, Any]:
    """The in-toto Statement for `record` and the report files (name → sha256) written from it."""
    subject: list[dict[str, Any]] = []
    if record.commit:
        subject.append({"name": f"git+commit:{record.commit}", "digest": {"gitCommit": record.commit}})
    for item in record.evidence:
        if item.kind in JUDGED_KINDS:
            subject.append({"name": f"{item.kind}:{item.name}", "digest": {"sha256": item.sha256}})
    for name, digest in sorted(report_digests.items()):
        subject.append({"name": f"{REPORT_PREFIX}{name}", "digest": {"sha256": digest}})
    result = {"failed": "FAILED", "interrupted": "FAILED", "passed": "PASSED"}.get(record.verdict, "WARNED")
    if result == "PASSED" and any(c.status in ("waived", "not_assessed") for c in record.controls):
        result = "WARNED"  # passing with accepted deviations or gaps is not a clean pass
    return {
        "_type": STATEMENT_TYPE,
        "subject": subject,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "result": result,
            "configuration": [
                {"name": record.catalogue.get("path", "catalogue"), "digest": {"sha256": record.catalogue["sha256"]}}
            ]
            if record.catalogue.get("sha256")
            else [],
            "passedTests": [r.nodeid for r in record.results if r.outcome in ("passed", "xpassed")],
            "warnedTests": [r.nodeid for r in record.results if r.outcome in ("skipped", "waived")],
            "failedTests": [r.nodeid for r in record.results if r.outcome in ("failed", "error", "xfailed")],
        },
    }


def sign_reports(record: RunRecord, out_dir: Path, report_files: list[Path], private_key: PrivateKeyTypes) -> Path:
    """Sign the statement over `report_files` (in `out_dir`, history/ included); write the public key, then the
    envelope, each atomically."""
    signer = CryptoSigner(private_key)
    digests = {_report_name(p, out_dir): sha256_text(p.read_bytes()) for p in report_files}
    payload = json.dumps(statement(record, digests), sort_keys=True).encode()
    envelope = Envelope(payload=payload, payload_type=PAYLOAD_TYPE, signatures={})
    envelope.sign(signer)
    write_atomic(out_dir / PUBLIC_KEY_FILE, _public_pem(private_key).decode("ascii"))
    path = out_dir / ATTESTATION_FILE
    write_atomic(path, json.dumps(envelope.to_dict(), indent=2) + "\n")
    return path


def _report_name(path: Path, out_dir: Path) -> str:
    """A report's name in the subject: its path under the reports folder (`report.html`, `history/<run>.json`)."""
    return path.relative_to(out_dir).as_posix()


def report_files(out_dir: Path) -> list[Path]:
    """Every file a signature must cover: the reports folder's files and the kept runs in history/."""
    history = out_dir / HISTORY_DIR
    folders = [out_dir, history] if history.is_dir() else [out_dir]
    return sorted(
        p
        for folder in folders
        for p in folder.iterdir()
        if p.is_file() and p.name not in (ATTESTATION_FILE, PUBLIC_KEY_FILE, LOCK_FILE)
    )


@dataclass
class Verification:
    """What `verify` established; `problems` empty means the signature and every digest held."""

    statement: dict[str, Any]
    checked: list[str]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_reports(out_dir: Path, public_key: bytes, key_label: str) -> Verification:
    """Check the envelope in `out_dir` with `public_key` (PEM bytes), then each signed file's digest.

    Raises ConfigError when there is nothing verifiable (no folder, no envelope, unreadable key); a bad signature
    or a changed, missing or unsigned report or kept run is a problem in the result.
    """
    if not out_dir.is_dir():
        raise ConfigError(
            f"{out_dir}: {'not a folder' if out_dir.exists() else 'no such folder'}: give a reports folder"
        )
    envelope = _read_envelope(out_dir / ATTESTATION_FILE)
    key = _read_public_key(public_key, key_label)
    try:
        envelope.verify([key], 1)
    except VerificationError as err:
        return Verification({}, [], [f"signature does not verify with {key_label}: {err}"])
    if envelope.payload_type != PAYLOAD_TYPE:
        return Verification({}, [], [f"payload type {envelope.payload_type!r} is not {PAYLOAD_TYPE}"])
    body = _signed_statement(envelope.payload)
    if body is None:
        return Verification({}, [], ["the signed payload is not an in-toto test-result statement"])
    problems: list[str] = []
    checked = []
    signed = set()
    for item in body["subject"]:
        if not item["name"].startswith(REPORT_PREFIX):
            continue
        name = item["name"].removeprefix(REPORT_PREFIX)
        file = out_dir / name
        signed.add(name)
        if not file.is_file():
            problems.append(f"{name}: signed but missing")
        elif sha256_text(file.read_bytes()) != item["digest"].get("sha256"):
            problems.append(f"{name}: changed since it was signed (sha256 differs)")
        else:
            checked.append(name)
    unsigned = [n for n in (_report_name(p, out_dir) for p in report_files(out_dir)) if n not in signed]
    problems += [f"{name}: not covered by the signature" for name in unsigned]
    return Verification(body, checked, problems)


def _signed_statement(payload: bytes) -> dict[str, Any] | None:
    """The in-toto test-result statement in a verified payload; None when it is anything else (signed, but it
    cannot vouch for a report)."""
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("_type") != STATEMENT_TYPE or body.get("predicateType") != PREDICATE_TYPE:
        return None
    subject = body.get("subject", [])
    if not isinstance(subject, list) or not all(
        isinstance(s, dict) and isinstance(s.get("name"), str) and isinstance(s.get("digest"), dict) for s in subject
    ):
        return None
    return {**body, "subject": subject}


def _read_envelope(path: Path) -> Envelope:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        envelope = Envelope.from_dict(data)
        base64.b64decode(data["payload"], validate=True)
        return envelope
    except FileNotFoundError:
        raise ConfigError(f"{path}: no attestation", hint="run `stratatest report` to write and sign one") from None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigError(f"{path}: not a DSSE envelope ({err})") from None


def _read_public_key(pem: bytes, label: str) -> SSlibKey:
    try:
        return SSlibKey.from_crypto(load_pem_public_key(pem))
    except (ValueError, TypeError):
        raise ConfigError(f"{label}: not a PEM public key (SubjectPublicKeyInfo, BEGIN PUBLIC KEY)") from None
