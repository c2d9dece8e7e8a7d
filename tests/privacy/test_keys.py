"""Keyring: sealing, key sources, key files, and picking up a key another process added."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from hybridcx.kit.keys import (
    KeyError_,
    KeySet,
    UnknownKey,
    is_envelope,
    key_id_of,
    load_keyring,
    new_key,
    read_key_file,
    write_key_file,
)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_generated_key_file_is_private_and_seals(tmp_path: Path) -> None:
    ring = load_keyring(keys=None, index_key=None, key_file=None, data_dir=tmp_path)
    path = tmp_path / "keys.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    sealed = ring.encrypt("my card was declined")
    assert is_envelope(sealed) and key_id_of(sealed) == ring.active
    assert "declined" not in sealed
    assert sealed != ring.encrypt("my card was declined")  # a fresh nonce every time
    assert ring.decrypt(sealed) == "my card was declined"
    # The same file next start: same keys.
    again = load_keyring(keys=None, index_key=None, key_file=None, data_dir=tmp_path)
    assert again.decrypt(sealed) == "my card was declined"
    assert again.blind_index("a@example.com") == ring.blind_index("a@example.com")


def test_keys_from_environment_first_is_active() -> None:
    a, b, idx = new_key(), new_key(), new_key()
    ring = load_keyring(
        keys=f"new:{_b64(a)},old:{_b64(b)}",
        index_key=_b64(idx),
        key_file=None,
        data_dir=Path("/nonexistent"),
    )
    assert ring.active == "new"
    old_ring = load_keyring(
        keys=f"old:{_b64(b)}", index_key=_b64(idx), key_file=None, data_dir=Path("/x")
    )
    assert ring.decrypt(old_ring.encrypt("hello")) == "hello"


def test_bad_configuration_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KeyError_, match="BLIND_INDEX_KEY"):
        load_keyring(keys=f"a:{_b64(new_key())}", index_key=None, key_file=None, data_dir=tmp_path)
    with pytest.raises(KeyError_, match="base64"):
        load_keyring(
            keys="a:not-base64!!", index_key=_b64(new_key()), key_file=None, data_dir=tmp_path
        )
    with pytest.raises(KeyError_, match="does not exist"):
        load_keyring(
            keys=None, index_key=None, key_file=tmp_path / "missing.json", data_dir=tmp_path
        )


def test_unknown_key_id_names_the_key(tmp_path: Path) -> None:
    ring = load_keyring(keys=None, index_key=None, key_file=None, data_dir=tmp_path / "a")
    other = load_keyring(keys=None, index_key=None, key_file=None, data_dir=tmp_path / "b")
    with pytest.raises(UnknownKey, match=other.active):
        ring.decrypt(other.encrypt("x"))


def test_a_running_keyring_opens_values_sealed_with_a_key_added_later(tmp_path: Path) -> None:
    server = load_keyring(keys=None, index_key=None, key_file=None, data_dir=tmp_path)
    old = server.encrypt("before rotation")
    # `hybridcx keys rotate` in another process: a new active key in the same file.
    current = read_key_file(tmp_path / "keys.json")
    write_key_file(
        tmp_path / "keys.json",
        KeySet({**current.keys, "k-new": new_key()}, "k-new", current.index_key),
    )
    rotator = load_keyring(keys=None, index_key=None, key_file=None, data_dir=tmp_path)
    new = rotator.encrypt("after rotation")
    assert key_id_of(new) == "k-new"
    assert server.decrypt(new) == "after rotation"  # reloads the file on an unknown key id
    assert server.active == "k-new" and rotator.decrypt(old) == "before rotation"
