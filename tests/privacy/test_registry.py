"""The registry of personal-data stores is complete: every table of the schema and every file
store the server writes is registered (erased, retained, exported, or a reason why not), or
listed as holding no personal data with a reason. A new table or folder fails here until
someone decides how erasure, retention and export treat it."""

from __future__ import annotations

from typing import Any

import pytest

import hybridcx.app  # noqa: F401  (imports every module that defines a table or a store)
from hybridcx.kit.sealed import EncryptedJSON, EncryptedText, SealedPayload
from hybridcx.models import Base
from hybridcx.privacy.files import SEALED_FILE_STORES
from hybridcx.privacy.registry import (
    NO_PERSONAL_DATA,
    NO_PERSONAL_DATA_FILES,
    STAFF_DATA,
    Skip,
    registered_stores,
)
from hybridcx.privacy.rekey import SEALED_COLUMNS
from tests.channels.test_email_smtp import make_mail, smtp_send
from tests.support import LiveServer


def _column(name: str) -> Any:
    table, column = name.split(".")
    return Base.metadata.tables[table].c[column]


def _tables() -> set[str]:
    return set(Base.metadata.tables) | {"alembic_version"}


def test_every_table_is_a_registered_store_or_says_why_it_holds_no_personal_data() -> None:
    stores = {s.name for s in registered_stores() if s.kind == "table"}
    listed = set(NO_PERSONAL_DATA) | set(STAFF_DATA)
    missing = sorted(_tables() - stores - listed)
    assert missing == [], (
        f"tables neither registered in hybridcx.privacy.registry nor listed as holding no "
        f"personal data: {missing}"
    )
    assert sorted(stores & listed) == []  # registered and excused at once: one must go
    assert sorted((stores | listed) - _tables()) == []  # stale entries
    assert all(len(reason) > 20 for reason in {**NO_PERSONAL_DATA, **STAFF_DATA}.values())


def test_every_store_erases_retains_and_exports_or_says_why_not() -> None:
    for store in registered_stores():
        for what in (store.erase, store.retain, store.export):
            assert callable(what) or (isinstance(what, Skip) and len(what.reason) > 20), store.name
        assert store.holds


def test_the_email_stores_are_erased_retained_and_exported() -> None:
    by_name = {s.name: s for s in registered_stores()}
    for name in ("email_messages", "email_drafts", "email/attachments"):
        store = by_name[name]
        assert callable(store.erase) and callable(store.retain) and callable(store.export)


def test_every_sealed_column_and_file_store_is_rotated_by_the_keys_commands() -> None:
    sealed_types = (EncryptedText, EncryptedJSON, SealedPayload)
    sealed = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, sealed_types)
    }
    rotated = {f"{c.table}.{c.column}" for c in SEALED_COLUMNS}
    assert sorted(sealed - rotated) == []
    payloads = {n for n in sealed if isinstance(_column(n).type, SealedPayload)}
    assert payloads == {f"{c.table}.{c.column}" for c in SEALED_COLUMNS if c.nested}
    files = {s.name for s in registered_stores() if s.kind == "files"}
    assert set(SEALED_FILE_STORES) == files


@pytest.mark.usefixtures("mail_sink")
def test_every_folder_the_server_writes_is_a_registered_file_store(
    email_server: LiveServer,
) -> None:
    """After mail with an attachment went through the server, everything in its data dir is
    a registered file store or a file that holds no personal data."""
    email_server.reset()
    msg = make_mail("Photo of the damage attached.", subject="Damage")
    msg.add_attachment(b"\x89PNG" + b"x" * 500, maintype="image", subtype="png", filename="a.png")
    smtp_send(email_server, msg)
    data_dir = email_server.settings.data_dir.resolve()
    file_stores = {s.name for s in registered_stores() if s.kind == "files"}
    found = set()
    for path in data_dir.rglob("*"):
        if not path.is_file():
            continue
        rel = path.relative_to(data_dir).as_posix()
        store = next((s for s in file_stores if rel.startswith(s + "/")), None)
        if store is None:
            top = rel.split("/", 1)[0]
            assert top in NO_PERSONAL_DATA_FILES or rel in NO_PERSONAL_DATA_FILES, (
                f"{rel}: register its file store in hybridcx.privacy.registry, or list it in "
                "NO_PERSONAL_DATA_FILES with a reason"
            )
        found.add(store)
    assert "email/attachments" in found
