"""Encryption keys: the keyring (AES-256-GCM data keys + one HMAC blind-index key) and where it
comes from (HYBRIDCX_ENCRYPTION_KEYS, a key file, or a key file generated in the data dir).

Every stored value names the key that sealed it (``v1:<key id>:<nonce+ciphertext>``), so keys
rotate without downtime: a new key becomes active, old rows stay readable with their old key
until ``hybridcx keys rotate`` (or ``keys reencrypt``) has re-sealed them, and only then may an
old key be dropped (``hybridcx keys prune`` refuses while any row still uses it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1"
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
ENVELOPE = re.compile(r"^v1:([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/]+={0,2})$")
NONCE_BYTES = 12
#: How often a file-backed keyring looks for a new active key written by `hybridcx keys rotate`.
RELOAD_SECONDS = 5.0


class KeyError_(Exception):
    """A key problem an operator must fix (missing key, bad key file)."""


class UnknownKey(KeyError_):
    pass


def _b64decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyError_(f"{what} is not valid base64") from exc


def new_key_id() -> str:
    return "k" + secrets.token_hex(4)


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


@dataclass
class KeySet:
    """Data keys by id (``active`` seals new values) and the blind-index key."""

    keys: dict[str, bytes]
    active: str
    index_key: bytes

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise KeyError_(f"the active key {self.active!r} is not in the keyring")
        for kid, key in self.keys.items():
            if not KEY_ID.match(kid):
                raise KeyError_(f"key id {kid!r}: use 1-32 letters, digits, '-' or '_'")
            if len(key) not in (16, 24, 32):
                raise KeyError_(f"key {kid!r} must be 16, 24 or 32 bytes (base64), not {len(key)}")
        if len(self.index_key) < 16:
            raise KeyError_("the blind-index key must be at least 16 bytes")


@dataclass
class Keyring:
    """Seals and opens values; file-backed keyrings pick up keys other processes added."""

    keyset: KeySet
    path: Path | None = None
    source: str = "configuration"
    _mtime: float = 0.0
    _checked: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- sealing ------------------------------------------------------------------------

    @property
    def active(self) -> str:
        self._maybe_reload()
        return self.keyset.active

    def encrypt(self, plaintext: str) -> str:
        kid = self.active
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keyset.keys[kid]).encrypt(nonce, plaintext.encode(), _aad(kid))
        return f"{PREFIX}:{kid}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, envelope: str) -> str:
        m = ENVELOPE.match(envelope)
        if m is None:
            raise KeyError_("not an encrypted value")
        kid, body = m.group(1), base64.b64decode(m.group(2))
        key = self.keyset.keys.get(kid)
        if key is None:
            self._maybe_reload(force=True)
            key = self.keyset.keys.get(kid)
            if key is None:
                raise UnknownKey(
                    f"a stored value was sealed with key {kid!r}, which is not in the keyring "
                    f"({self.source}); restore it from your key backup"
                )
        plain = AESGCM(key).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], _aad(kid))
        return plain.decode()

    def blind_index(self, value: str) -> str:
        """HMAC-SHA256 of an already-normalised value: equal values, equal indexes; no reversal."""
        return hmac.new(self.keyset.index_key, value.encode(), hashlib.sha256).hexdigest()

    # ---- file-backed reload -------------------------------------------------------------

    def _maybe_reload(self, *, force: bool = False) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if not force and now - self._checked < RELOAD_SECONDS:
            return
        with self._lock:
            self._checked = now
            try:
                mtime = self.path.stat().st_mtime
            except OSError:
                return
            if mtime != self._mtime:
                self.keyset = read_key_file(self.path)
                self._mtime = mtime


def _aad(kid: str) -> bytes:
    return f"hybridcx:{PREFIX}:{kid}".encode()


def is_envelope(value: object) -> bool:
    return isinstance(value, str) and ENVELOPE.match(value) is not None


def key_id_of(value: str) -> str | None:
    m = ENVELOPE.match(value)
    return m.group(1) if m else None


# ---- sources ----------------------------------------------------------------------------


def parse_key_list(spec: str) -> dict[str, bytes]:
    """``"kid:base64key,kid2:base64key"`` (the first one is the active key)."""
    keys: dict[str, bytes] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        kid, sep, b64 = part.partition(":")
        if not sep:
            raise KeyError_("HYBRIDCX_ENCRYPTION_KEYS entries look like kid:base64key")
        keys[kid.strip()] = _b64decode(b64, f"HYBRIDCX_ENCRYPTION_KEYS key {kid.strip()!r}")
    if not keys:
        raise KeyError_("HYBRIDCX_ENCRYPTION_KEYS is empty")
    return keys


def read_key_file(path: Path) -> KeySet:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        keys = {kid: _b64decode(v, f"key {kid!r}") for kid, v in data["keys"].items()}
        return KeySet(keys, str(data["active"]), _b64decode(data["index_key"], "index_key"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyError_(f"cannot read the key file {path}: {exc}") from exc


def write_key_file(path: Path, keyset: KeySet) -> None:
    """Atomically, readable by the owner only (0600)."""
    data = {
        "format": "hybridcx-keys/1",
        "active": keyset.active,
        "keys": {kid: base64.b64encode(k).decode() for kid, k in keyset.keys.items()},
        "index_key": base64.b64encode(keyset.index_key).decode(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


def generate_keyset() -> KeySet:
    kid = new_key_id()
    return KeySet({kid: new_key()}, kid, secrets.token_bytes(32))


def load_keyring(
    *,
    keys: str | None,
    index_key: str | None,
    key_file: Path | None,
    data_dir: Path,
) -> Keyring:
    """Keys from the environment, else the key file, else a key file generated in the data dir
    on first start (0600). Never a key written into the code."""
    if keys:
        parsed = parse_key_list(keys)
        if not index_key:
            raise KeyError_(
                "HYBRIDCX_ENCRYPTION_KEYS is set but HYBRIDCX_BLIND_INDEX_KEY is not: set a "
                "separate base64 key (32 random bytes) for the email/phone lookup indexes"
            )
        keyset = KeySet(parsed, next(iter(parsed)), _b64decode(index_key, "blind-index key"))
        return Keyring(keyset, source="HYBRIDCX_ENCRYPTION_KEYS")
    path = key_file or data_dir / "keys.json"
    if not path.exists():
        if key_file is not None:
            raise KeyError_(f"HYBRIDCX_ENCRYPTION_KEY_FILE={key_file} does not exist")
        write_key_file(path, generate_keyset())
    ring = Keyring(read_key_file(path), path=path, source=str(path))
    ring._mtime = path.stat().st_mtime
    ring._checked = time.monotonic()
    return ring


def keyring_from_settings(settings: Any) -> Keyring:
    return load_keyring(
        keys=settings.encryption_keys,
        index_key=settings.blind_index_key,
        key_file=settings.encryption_key_file,
        data_dir=settings.data_dir,
    )


# ---- the process default (for engines made without one, e.g. by CLI commands) ------------

_default: Keyring | None = None
_default_loader: Callable[[], Keyring] | None = None


def set_default_keyring(
    ring: Keyring | None = None, *, loader: Callable[[], Keyring] | None = None
) -> None:
    global _default, _default_loader
    _default, _default_loader = ring, loader


def default_keyring() -> Keyring:
    global _default
    if _default is None and _default_loader is not None:
        _default = _default_loader()
    if _default is None:
        raise KeyError_(
            "no encryption keys are configured for this database engine "
            "(create it with hybridcx.kit.db.create_engine(url, keyring=...))"
        )
    return _default
