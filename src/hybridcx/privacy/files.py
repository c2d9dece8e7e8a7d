"""Files sealed at rest with the database's key ring (email and web chat attachments).

A sealed file is ``MAGIC``, the key id and a newline, then the 96-bit nonce and the AES-256-GCM
ciphertext of the whole content. The key id and the file's name (relative to its store) are
authenticated with it, so a sealed file cannot be swapped for another one's. Files written
before sealing existed read back as they are; ``hybridcx keys reencrypt`` seals them.
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hybridcx.kit.keys import KEY_ID, NONCE_BYTES, Keyring, UnknownKey

MAGIC = b"hybridcx-sealed-file/1:"
#: File stores under the data dir whose files are sealed: ``keys status/rotate/reencrypt``
#: cover them. Relative paths, so the CLI finds them from the settings alone.
SEALED_FILE_STORES = ("email/attachments", "chat/attachments")


def _aad(kid: str, name: str) -> bytes:
    return f"hybridcx:file:{kid}:{name}".encode()


def seal_bytes(ring: Keyring, data: bytes, *, name: str) -> bytes:
    kid = ring.active
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.keyset.keys[kid]).encrypt(nonce, data, _aad(kid, name))
    return MAGIC + kid.encode() + b"\n" + nonce + sealed


def key_id_of_file(blob: bytes) -> str | None:
    """The key that sealed ``blob`` (only its head is needed), or None for a clear file."""
    if not blob.startswith(MAGIC):
        return None
    kid, sep, _ = blob[len(MAGIC) : len(MAGIC) + 40].partition(b"\n")
    text = kid.decode("ascii", "replace")
    return text if sep and KEY_ID.match(text) else None


def open_bytes(ring: Keyring, blob: bytes, *, name: str) -> bytes:
    kid = key_id_of_file(blob)
    if kid is None:
        return blob  # written before files were sealed
    body = blob[len(MAGIC) + len(kid) + 1 :]
    key = ring.keyset.keys.get(kid)
    if key is None:
        ring._maybe_reload(force=True)
        key = ring.keyset.keys.get(kid)
        if key is None:
            raise UnknownKey(
                f"a stored file was sealed with key {kid!r}, which is not in the keyring "
                f"({ring.source}); restore it from your key backup"
            )
    return AESGCM(key).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], _aad(kid, name))


def file_name(root: Path, path: Path) -> str:
    """The name a sealed file is bound to: its path inside its store, with '/'."""
    return path.relative_to(root).as_posix()


def write_sealed(ring: Keyring, root: Path, path: Path, data: bytes) -> None:
    """Write atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_bytes(seal_bytes(ring, data, name=file_name(root, path)))
    os.replace(tmp, path)


def read_sealed(ring: Keyring, root: Path, path: Path) -> bytes:
    return open_bytes(ring, path.read_bytes(), name=file_name(root, path))


def store_files(
    data_dir: Path, stores: tuple[str, ...] = SEALED_FILE_STORES
) -> Iterator[tuple[Path, Path]]:
    """(store root, file) for every file of every sealed file store (or of ``stores``)."""
    for rel in stores:
        root = data_dir / rel
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.name.endswith(".tmp"):
                yield root, path


def file_key_usage(data_dir: Path) -> dict[str, Counter[str]]:
    """Per file store: how many files each key seals ("clear" for files not sealed)."""
    usage: dict[str, Counter[str]] = {f"files:{rel}": Counter() for rel in SEALED_FILE_STORES}
    for root, path in store_files(data_dir):
        with path.open("rb") as fh:
            head = fh.read(len(MAGIC) + 40)
        rel = root.relative_to(data_dir).as_posix()
        usage[f"files:{rel}"][key_id_of_file(head) or "clear"] += 1
    return usage


def reencrypt_files(
    ring: Keyring, data_dir: Path, stores: tuple[str, ...] = SEALED_FILE_STORES
) -> int:
    """Re-seal every file not sealed with the active key (clear ones too); how many changed."""
    changed = 0
    active = ring.active
    for root, path in store_files(data_dir, stores):
        blob = path.read_bytes()
        if key_id_of_file(blob) == active:
            continue
        data = open_bytes(ring, blob, name=file_name(root, path))
        write_sealed(ring, root, path, data)
        changed += 1
    return changed
