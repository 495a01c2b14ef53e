"""A self-signed certificate for the emulator's HTTPS listener.

The emulator serves HTTPS so that `aws:SecureTransport` is true for real, which is what a TLS-only bucket
policy checks. The certificate is its own CA (CA:true, keyCertSign), so the same file works as the trust
bundle: AWS_CA_BUNDLE for boto3, `custom_ca_bundle` for the Terraform aws provider (Go's TLS demands a SAN).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from filelock import FileLock

CERT_NAME = "emulator-cert.pem"
KEY_NAME = "emulator-key.pem"
VALIDITY = dt.timedelta(days=7)
#: Regenerate when less than this is left, so a long session never meets an expired certificate.
MIN_REMAINING = dt.timedelta(days=2)
LOOPBACK_IP = ipaddress.ip_address("127.0.0.1")


def ensure_certificate(directory: Path) -> tuple[Path, Path]:
    """Return (cert, key) in `directory`, creating them unless a valid pair is already there.

    A file lock makes this safe when several pytest-xdist workers share the directory.
    """
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / CERT_NAME, directory / KEY_NAME
    with FileLock(str(directory / ".emulator-cert.lock")):
        if not _usable(cert_path, key_path):
            cert_pem, key_pem = _generate()
            _write_atomic(key_path, key_pem, mode=0o600)
            _write_atomic(cert_path, cert_pem, mode=0o644)
    return cert_path, key_path


def _generate() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "stratatest emulator (127.0.0.1)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "stratatest"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(LOOPBACK_IP), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _usable(cert_path: Path, key_path: Path) -> bool:
    """True when both files exist, belong together, cover 127.0.0.1 and stay valid long enough."""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    now = dt.datetime.now(dt.UTC)
    return (
        LOOPBACK_IP in san.get_values_for_type(x509.IPAddress)
        and cert.not_valid_before_utc <= now
        and cert.not_valid_after_utc - now > MIN_REMAINING
        and cert.public_key() == key.public_key()
    )


def _write_atomic(path: Path, data: bytes, *, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
