"""Password hashing and signed widget identities."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from hybridcx.kit.security import (
    hash_demo_password,
    hash_password,
    identity_hash,
    verify_identity_hash,
    verify_password,
)

SECRET = "inbox-secret-123"


def reference_hmac(secret: str, email: str) -> str:
    return hmac.new(secret.encode(), email.lower().encode(), hashlib.sha256).hexdigest()


# ---- passwords ---------------------------------------------------------------------------------


def test_password_round_trip() -> None:
    hashed = hash_password("correct horse battery staple")
    assert hashed != "correct horse battery staple"
    assert verify_password(hashed, "correct horse battery staple")


def test_wrong_password_is_false() -> None:
    hashed = hash_password("s3cret")
    assert verify_password(hashed, "S3cret") is False
    assert verify_password(hashed, "") is False
    assert verify_password(hashed, "s3cret ") is False


def test_same_password_hashes_differently_each_time() -> None:
    a, b = hash_password("pw"), hash_password("pw")
    assert a != b
    assert verify_password(a, "pw") and verify_password(b, "pw")


def test_unicode_password_round_trip() -> None:
    hashed = hash_password("pässwörd-🔑")
    assert verify_password(hashed, "pässwörd-🔑")
    assert not verify_password(hashed, "passwort")


@pytest.mark.parametrize(
    "bad_hash",
    ["", "not-a-hash", "$argon2id$v=19$m=65536,t=3,p=4$abc", "$2b$12$abcdefghijklmnopqrstuv"],
)
def test_malformed_hash_is_false(bad_hash: str) -> None:
    assert verify_password(bad_hash, "whatever") is False


def test_demo_password_hash_verifies() -> None:
    hashed = hash_demo_password("demo-pass")
    assert verify_password(hashed, "demo-pass")
    assert not verify_password(hashed, "demo-pas")


# ---- identity hashes ----------------------------------------------------------------------------


def test_identity_hash_is_hmac_sha256_of_the_lowercased_email() -> None:
    assert identity_hash(SECRET, "ada@example.com") == reference_hmac(SECRET, "ada@example.com")
    assert identity_hash(SECRET, "Ada@Example.COM") == reference_hmac(SECRET, "ada@example.com")


def test_identity_hash_ignores_surrounding_whitespace() -> None:
    assert identity_hash(SECRET, "  ada@example.com\n") == reference_hmac(SECRET, "ada@example.com")


def test_identity_hash_depends_on_secret_and_email() -> None:
    base = identity_hash(SECRET, "ada@example.com")
    assert identity_hash("other-secret", "ada@example.com") != base
    assert identity_hash(SECRET, "grace@example.com") != base
    assert len(base) == 64
    int(base, 16)  # hex


def test_verify_identity_hash_accepts_the_right_one() -> None:
    given = reference_hmac(SECRET, "ada@example.com")
    assert verify_identity_hash(SECRET, "ada@example.com", given)
    assert verify_identity_hash(SECRET, "ADA@example.com", given)
    # the embedding site may send upper-case hex or stray whitespace
    assert verify_identity_hash(SECRET, "ada@example.com", f" {given.upper()} ")


def test_verify_identity_hash_rejects_another_email_or_secret() -> None:
    given = reference_hmac(SECRET, "ada@example.com")
    assert not verify_identity_hash(SECRET, "grace@example.com", given)
    assert not verify_identity_hash("other-secret", "ada@example.com", given)
    assert not verify_identity_hash(SECRET, "ada@example.com", given[:-1])
    assert not verify_identity_hash(SECRET, "ada@example.com", "")
    # hash of the raw (not lowercased) email made with another algorithm
    assert not verify_identity_hash(
        SECRET, "ada@example.com", hashlib.sha256(b"ada@example.com").hexdigest()
    )


@pytest.mark.parametrize(
    "given", ["é" * 64, "ünïcödé", "🔑"], ids=["accents64", "umlauts", "emoji"]
)
def test_verify_identity_hash_rejects_non_ascii_garbage(given: str) -> None:
    # The value comes straight from the request body; junk must be a mismatch, not a crash.
    assert verify_identity_hash(SECRET, "ada@example.com", given) is False
