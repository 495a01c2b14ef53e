"""Secrets never reach a report: examples of each form, and text that must be left alone."""

from __future__ import annotations

import pytest

from stratatest import secrets as redact_module
from stratatest.secrets import MASK, redact, register_output_secrets, register_plan_secrets, register_secret

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
        # a URL's password, any scheme, inside longer text: scheme, user and host stay as evidence
        ("postgres://app:hunter2@db:5432/app", f"postgres://app:{MASK}@db:5432/app"),
        (
            "dsn mysql+pymysql://svc:s3:cr@t@db.internal/x?ssl=1 ok",
            f"dsn mysql+pymysql://svc:{MASK}@db.internal/x?ssl=1 ok",
        ),
        ("redis://:only-a-password@cache:6379/0", f"redis://:{MASK}@cache:6379/0"),
        ("connect('amqp://guest:guest-pw@mq/')", f"connect('amqp://guest:{MASK}@mq/')"),
        # terraform's diagnostic lines show the values of the variables a failed condition read
        ('│     │ var.db_password is "hunter2"', f'│     │ var.db_password is "{MASK}"'),
        ('var.api_token is "a \\"quoted\\" one"', f'var.api_token is "{MASK}"'),
        ("var.admin_password is 12345", f"var.admin_password is {MASK}"),
        ('var.credentials.password is "pw"', f'var.credentials.password is "{MASK}"'),
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
        "https://example.com:8443/path?next=/a@b and https://user@host/x",  # no password in either
        'var.password_policy is "strict" and var.bucket_name is "state"',  # not secret-named
        "var.db_password has a sensitive value",  # terraform hid it itself
        "var.db_password is a string, known only after apply",
        "",
    ],
)
def test_leaves_harmless_text_alone(text: str) -> None:
    assert redact(text) == text


def test_redaction_is_idempotent() -> None:
    text = (
        f"password={SECRET} {KEY_ID} --token abc Authorization: Bearer a.b.c1234 "
        'postgres://u:pw@h/db var.db_password is "x"'
    )
    once = redact(text)
    assert redact(once) == once
    assert SECRET not in once and KEY_ID not in once


# -- values known to be secret ----------------------------------------------------------------------------

PLAN = {
    "variables": {
        "master_credentials": {"value": {"user": "admin", "secret": "Sup3r-S3cret-Value"}},
        "db_password": {"value": "hunter2-from-plan"},
        "bucket_name": {"value": "state-bucket-dev"},
        "pin": {"value": "12345"},
    },
    "configuration": {
        "root_module": {
            "variables": {
                "master_credentials": {"sensitive": True},
                "db_password": {},  # not declared sensitive: its name says it is
                "bucket_name": {"default": "state-bucket-dev"},
                "pin": {"sensitive": True},
            }
        }
    },
    "planned_values": {
        "outputs": {
            "connection_string": {"sensitive": True, "value": "postgres://app:pa55word-xyz@db:5432/app"},
            "admin_token": {"sensitive": False, "value": "tok-0123456789"},
            "bucket_arn": {"sensitive": False, "value": "arn:aws:s3:::state-bucket-dev"},
        }
    },
}


@pytest.fixture
def known_secrets(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """A fresh registry for the test: registrations are process-wide and must not leak into other tests."""
    fresh: set[str] = set()
    monkeypatch.setattr(redact_module, "_KNOWN_SECRETS", fresh)
    return fresh


def test_plan_secrets_are_masked_wherever_they_appear(known_secrets: set[str]) -> None:
    register_plan_secrets(PLAN, {"db_password": "hunter2-from-test", "region": "eu-west-1"})
    text = (
        "assert out == 'hunter2-from-test' (plan had hunter2-from-plan)\n"
        "creds: admin/Sup3r-S3cret-Value\n"
        "dsn=postgres://app:pa55word-xyz@db:5432/app token tok-0123456789\n"
        "bucket state-bucket-dev in eu-west-1, pin 12345"
    )
    assert redact(text) == (
        f"assert out == '{MASK}' (plan had {MASK})\n"
        f"creds: admin/{MASK}\n"
        f"dsn={MASK} token {MASK}\n"
        "bucket state-bucket-dev in eu-west-1, pin 12345"
    )
    assert "state-bucket-dev" not in known_secrets and "eu-west-1" not in known_secrets


def test_short_values_are_not_registered(known_secrets: set[str]) -> None:
    register_secret(["12345", "admin", "true", "123456", MASK])
    assert known_secrets == {"123456"}
    assert redact("admin true 12345 123456") == f"admin true 12345 {MASK}"


def test_only_strings_are_registered(known_secrets: set[str]) -> None:
    register_secret({"port": 5432123, "enabled": True, "nested": [{"key": "nested-secret"}], "none": None})
    assert known_secrets == {"nested-secret"}


def test_output_secrets_from_terraform_output_json(known_secrets: set[str]) -> None:
    register_output_secrets(
        {
            "master_password": {"sensitive": False, "type": "string", "value": "by-its-name-1"},
            "kms_key_arn": {"sensitive": False, "type": "string", "value": "arn:aws:kms:eu-west-1:1:key/abc"},
            "endpoints": {"sensitive": True, "type": ["list", "string"], "value": ["db-a.internal", "db-b.internal"]},
        }
    )
    assert known_secrets == {"by-its-name-1", "db-a.internal", "db-b.internal"}


def test_a_secret_inside_another_is_masked_whole(known_secrets: set[str]) -> None:
    register_secret(["hunter2-prod", "hunter2-prod-replica"])
    assert redact("a hunter2-prod-replica b hunter2-prod") == f"a {MASK} b {MASK}"
