"""Writing a report set: everything that can be refused is refused before the first file is replaced, each file is
replaced whole, the kept runs are signed with the reports, and two writers into one folder take turns."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from filelock import FileLock

from stratatest.errors import ConfigError
from stratatest.report.attest import LOCK_FILE, load_private_key, local_key, local_public_key, verify_reports
from stratatest.report.write import check_out_dir, write_reports

from .conftest import build_record

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "signing.pem"
    local_key(path)
    return path


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return build_record().write(tmp_path / "run" / "results.json")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def verified(out: Path, key: Path) -> list[str]:
    return verify_reports(out, local_public_key(key), "the test key").problems


# -- the signing key --------------------------------------------------------------------------------------


def encrypted_key(path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(b"secret")))


def public_key(path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    path.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))


def x25519_key(path: Path) -> None:
    key = x25519.X25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (None, "no such signing key — give an existing PEM private key, or leave out --key to sign with the local"),
        (Path.mkdir, "is a folder, not a PEM private key"),
        (lambda p: p.write_text("garbage"), "not an unencrypted PEM private key"),
        (encrypted_key, "the private key is encrypted — give an unencrypted PEM private key"),
        (public_key, "not an unencrypted PEM private key"),
        (x25519_key, "a X25519PrivateKey cannot sign — use an ed25519, ECDSA or RSA key"),
    ],
    ids=["missing", "folder", "garbage", "encrypted", "public", "x25519"],
)
def test_a_named_key_that_cannot_sign_is_one_line_and_never_created(
    tmp_path: Path, make: Callable[[Path], object] | None, message: str
) -> None:
    path = tmp_path / "given.pem"
    if make is not None:
        make(path)
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_private_key(path)
    assert str(info.value).startswith(f"{path}: {message}")
    assert snapshot(tmp_path) == before, "nothing created, nothing changed"


# -- nothing is written before everything that can be refused has been ---------------------------------------


@pytest.mark.parametrize("bad", ["missing", "encrypted"])
def test_a_key_that_cannot_sign_leaves_the_old_reports_verifying(
    tmp_path: Path, results: Path, key: Path, bad: str
) -> None:
    out = tmp_path / "reports"
    write_reports(results, out, key)
    before = snapshot(out)
    other = tmp_path / f"{bad}.pem"
    if bad == "encrypted":
        encrypted_key(other)
    with pytest.raises(ConfigError, match=r"signing key|encrypted"):
        write_reports(results, out, other)
    assert snapshot(out) == before
    assert verified(out, key) == []
    assert not other.exists() or bad == "encrypted"


def test_a_bad_record_writes_nothing(tmp_path: Path, key: Path) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    bad = tmp_path / "results.json"
    bad.write_text(build_record().to_json().replace('"outcome": "passed"', '"outcome": "pased"', 1))
    with pytest.raises(ConfigError, match=r"results\[0\]\.outcome 'pased' is not one of passed"):
        write_reports(bad, out, key)
    assert list(out.iterdir()) == []


def test_the_record_written_is_derived_again_never_copied(tmp_path: Path, key: Path) -> None:
    """A summary edited into results.json (a failed run that says "passed") is not what gets signed."""
    out = tmp_path / "reports"
    out.mkdir()
    record = build_record()
    text = record.to_json().replace('"verdict": "failed"', '"verdict": "passed"')
    (out / "results.json").write_text(text, encoding="utf-8")
    write_reports(out / "results.json", out, key)
    assert (out / "results.json").read_text(encoding="utf-8") == record.to_json()


# -- the reports folder -----------------------------------------------------------------------------------


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder the current user cannot create files in (root writes anywhere chmod allows nothing)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):
        folder = Path("/sys")  # read-only even for root
        try:
            tempfile.TemporaryFile(dir=folder).close()
            pytest.skip("no folder here refuses this user's files")
        except OSError:
            pass
    return folder


def test_check_out_dir_creates_only_the_last_part(tmp_path: Path) -> None:
    check_out_dir(tmp_path / "reports")
    assert (tmp_path / "reports").is_dir() and list((tmp_path / "reports").iterdir()) == []
    with pytest.raises(ConfigError) as info:
        check_out_dir(tmp_path / "missing" / "reports")
    assert str(info.value) == (
        f"{tmp_path}/missing/reports: cannot create the reports folder: {tmp_path}/missing does not exist"
        " — create it first"
    )
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("file", "{out}: not a folder: give a folder for the reports"),
        ("under-a-file", "{out}: cannot create the reports folder: Not a directory"),
        ("history-is-a-file", "{out}/history: not a folder; the reports keep earlier runs there: move it away"),
        ("read-only", "{out}: cannot write reports there: "),
    ],
)
def test_a_folder_that_cannot_take_reports_is_refused_before_anything_is_written(
    tmp_path: Path, results: Path, key: Path, case: str, message: str
) -> None:
    out = {
        "file": tmp_path / "a-file",
        "under-a-file": tmp_path / "a-file" / "reports",
        "history-is-a-file": tmp_path / "reports",
        "read-only": None,
    }[case] or unwritable_folder(tmp_path)
    (tmp_path / "a-file").write_text("not a folder")
    if case == "history-is-a-file":
        out.mkdir()
        (out / "history").write_text("not a folder")
    before = snapshot(tmp_path) if case != "read-only" else None
    with pytest.raises(ConfigError) as info:
        write_reports(results, out, key)
    assert str(info.value).startswith(message.format(out=out)), str(info.value)
    if before is not None:
        assert snapshot(tmp_path) == before


# -- history is signed ------------------------------------------------------------------------------------


def test_kept_runs_are_signed_and_a_changed_missing_or_added_one_is_caught(
    tmp_path: Path, results: Path, key: Path
) -> None:
    out = tmp_path / "reports"
    write_reports(results, out, key)
    (kept,) = (out / "history").iterdir()
    result = verify_reports(out, local_public_key(key), "k")
    assert result.ok and f"history/{kept.name}" in result.checked

    original = kept.read_bytes()
    kept.write_bytes(original.replace(b'"failed"', b'"passed"'))
    assert verified(out, key) == [f"history/{kept.name}: changed since it was signed (sha256 differs)"]
    kept.unlink()
    assert verified(out, key) == [f"history/{kept.name}: signed but missing"]
    kept.write_bytes(original)
    (out / "history" / "2020-01-01T000000-st0forged.json").write_bytes(original)
    assert verified(out, key) == ["history/2020-01-01T000000-st0forged.json: not covered by the signature"]


def test_the_lock_file_is_not_a_report(tmp_path: Path, results: Path, key: Path) -> None:
    out = tmp_path / "reports"
    write_reports(results, out, key)
    assert (out / LOCK_FILE).exists(), "the lock stays (removing it would race a waiting writer)"
    assert verified(out, key) == []
    assert not list(out.glob(".*.tmp")) and not list(out.glob(".stratatest-probe-*")), "no temp file left"


# -- two writers into one folder take turns ---------------------------------------------------------------


def test_a_second_writer_waits_for_the_first(tmp_path: Path, results: Path, key: Path) -> None:
    """While one process holds the folder's lock, another `stratatest report` into it writes nothing; once the
    lock is released it writes a whole set that verifies."""
    out = tmp_path / "reports"
    out.mkdir()
    env = {**os.environ, "STRATATEST_CACHE_DIR": str(tmp_path / "cache")}
    argv = [sys.executable, "-m", "stratatest.cli", "report", "--results", str(results), "--out", str(out)]
    with FileLock(out / LOCK_FILE):
        writer = subprocess.Popen([*argv, "--key", str(key)], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        time.sleep(3)
        assert writer.poll() is None, "the writer did not wait for the lock"
        assert [p.name for p in out.iterdir()] == [LOCK_FILE], "nothing written while another holds the lock"
    assert writer.wait(timeout=120) == 0
    assert verified(out, key) == []
