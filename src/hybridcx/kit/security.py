"""Password hashing (Argon2) and signed widget identities."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=64)
def hash_demo_password(password: str) -> str:
    """Seeding hashes the same few demo passwords many times (tests reseed often)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def identity_hash(secret: str, email: str) -> str:
    """HMAC-SHA256 of the email with the inbox secret, as the embedding site computes it."""
    return hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


def verify_identity_hash(secret: str, email: str, given: str) -> bool:
    # Compare bytes: compare_digest refuses non-ASCII str, and the hash comes from the request.
    return hmac.compare_digest(
        identity_hash(secret, email).encode(), given.strip().lower().encode()
    )
