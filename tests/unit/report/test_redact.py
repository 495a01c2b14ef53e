"""Secrets never reach a report: examples of each form, and text that must be left alone."""

from __future__ import annotations

import pytest

from stratatest.report.redact import MASK, redact

# AWS's documented example credentials: not real secrets.
KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # access key ids, long-term and temporary: the prefix stays, it says which kind
        (f"key {KEY_ID} used", f"key AKIA{MASK} used"),
        ("ASIAABCDEFGHIJKLMNOP", f"ASIA{MASK}"),
        # secret key assignments in env, ini, HCL and YAML form
        (f"export AWS_SECRET_ACCESS_KEY={SECRET}", f"export AWS_SECRET_ACCESS_KEY={MASK}"),
        (f"aws_secret_access_key = {SECRET}", f"aws_secret_access_key = {MASK}"),
        (f'secret_key = "{SECRET}"', f'secret_key = "{MASK}"'),
        (f"secret_key: '{SECRET}'", f"secret_key: '{MASK}'"),
        # passwords and tokens, including longer names and command-line flags
        ("password: hunter2\nuser: bob", f"password: {MASK}\nuser: bob"),
        ('db_password = "p@ss word"', f'db_password = "{MASK}"'),
        ("pytest --db-password hunter2 -k s3", f"pytest --db-password {MASK} -k s3"),
        ("pytest --token=abc123 -q", f"pytest --token={MASK} -q"),
        ("https://x.example/cb?token=abc&page=2", f"https://x.example/cb?token={MASK}&page=2"),
        ("assert password == 'hunter2'", f"assert password == '{MASK}'"),
        # JSON, e.g. an STS credentials block; escaped quotes inside the value are covered
        (
            '{"SecretAccessKey": "a\\"b", "SessionToken": "FwoGZX", "Expiration": "2025"}',
            f'{{"SecretAccessKey": "{MASK}", "SessionToken": "{MASK}", "Expiration": "2025"}}',
        ),
        ("{'password': 'x', 'user': 'y'}", f"{{'password': '{MASK}', 'user': 'y'}}"),
        # HTTP authorization
        ("Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2ln", f"Authorization: Bearer {MASK}"),
        ("Authorization: Basic dXNlcjpwYXNz", f"Authorization: Basic {MASK}"),
        ("got bearer abc123def456ghi from vault", f"got bearer {MASK} from vault"),
    ],
)
def test_masks(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_private_key_block_is_masked_whole() -> None:
    pem = "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nx+y/z==\n-----END RSA PRIVATE KEY-----\nafter"
    assert redact(pem) == f"before\n-----BEGIN RSA PRIVATE KEY-----{MASK}-----END RSA PRIVATE KEY-----\nafter"


def test_truncated_private_key_is_masked_to_the_end() -> None:
    text = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA"
    assert redact(text) == f"-----BEGIN OPENSSH PRIVATE KEY-----{MASK}"


def test_pem_in_a_json_string_with_escaped_newlines() -> None:
    text = '{"key": "-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----\\n"}'
    assert "MIIE" not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "max_tokens=5 passwords: 3 tokenizer=bpe",
        "bearer authentication is configured",
        "AKIA123 is too short to be a key id",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",  # certificates are public
        "bucket = my-state-bucket, encrypt = true",
        "",
    ],
)
def test_leaves_harmless_text_alone(text: str) -> None:
    assert redact(text) == text


def test_redaction_is_idempotent() -> None:
    text = f"password={SECRET} {KEY_ID} --token abc Authorization: Bearer a.b.c1234"
    once = redact(text)
    assert redact(once) == once
    assert SECRET not in once and KEY_ID not in once
