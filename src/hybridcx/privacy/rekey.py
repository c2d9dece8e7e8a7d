"""Which key seals how many values (``hybridcx keys status``) and re-sealing rows with the active
key in batches (``hybridcx keys rotate`` / ``keys reencrypt``), while the server keeps running.

Each batch is its own short transaction and every value is re-read before it is rewritten, so
a server writing new rows at the same time is never blocked for long; it seals with whichever
key it has as active (a file-backed keyring picks up the new one within seconds) and a later
``keys reencrypt`` catches any stragglers.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from hybridcx.kit.keys import Keyring, is_envelope, key_id_of
from hybridcx.kit.sealed import keyring_for
from hybridcx.privacy.files import SEALED_FILE_STORES, file_key_usage, reencrypt_files


@dataclass(frozen=True)
class SealedColumn:
    table: str
    key: str
    column: str
    nested: bool = False  # JSON with sealed strings inside (conversation_events.data)


SEALED_COLUMNS = (
    SealedColumn("customers", "id", "email"),
    SealedColumn("customers", "id", "name"),
    SealedColumn("customers", "id", "phone"),
    SealedColumn("customers", "id", "external_id"),
    SealedColumn("messages", "seq", "text"),
    SealedColumn("messages", "seq", "turn_response"),
    SealedColumn("conversations", "id", "handoff"),
    SealedColumn("conversations", "id", "ai_state"),
    SealedColumn("cases", "id", "question"),
    SealedColumn("cases", "id", "resolution"),
    SealedColumn("conversation_events", "seq", "data", nested=True),
    SealedColumn("email_messages", "id", "from_addr"),
    SealedColumn("email_messages", "id", "to_addr"),
    SealedColumn("email_messages", "id", "subject"),
    SealedColumn("email_messages", "id", "meta"),
    SealedColumn("email_drafts", "id", "text"),
    SealedColumn("email_drafts", "id", "original_text"),
    SealedColumn("integration_connectors", "id", "secrets"),  # API credentials
    SealedColumn("integration_syncs", "id", "payload"),  # an erasure's emails for the CRM
    # staff TOTP secrets, the OIDC client secret and in-flight PKCE verifiers
    SealedColumn("agents", "id", "mfa_secret"),
    SealedColumn("sso_providers", "id", "client_secret"),
    SealedColumn("oidc_logins", "state_hash", "code_verifier"),
    SealedColumn("custom_field_values", "id", "value"),  # custom field values
    SealedColumn("customer_identities", "id", "value"),  # customer identities
    SealedColumn("event_outbox", "id", "events"),  # live events kept minutes for replay
)
BATCH = 500


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _json(raw: Any) -> Any:
    return json.loads(raw) if isinstance(raw, str) else raw


async def key_usage(engine: AsyncEngine, data_dir: Path | None = None) -> dict[str, Counter[str]]:
    """Per ``table.column`` (and ``files:<store>`` with a data dir): how many values each key id
    seals ("clear" for unsealed text)."""
    usage: dict[str, Counter[str]] = {}
    if data_dir is not None:
        usage.update(await asyncio.to_thread(file_key_usage, data_dir))
    for col in SEALED_COLUMNS:
        counts: Counter[str] = Counter()
        async for _key, value in _scan(engine, col):
            if value is None:
                continue
            if col.nested:
                for s in _strings(_json(value)):
                    if is_envelope(s):
                        counts[key_id_of(s) or "?"] += 1
            elif is_envelope(value):
                counts[key_id_of(value) or "?"] += 1
            elif value != "":
                counts["clear"] += 1
        usage[f"{col.table}.{col.column}"] = counts
    return usage


def totals(usage: dict[str, Counter[str]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for counts in usage.values():
        out.update(counts)
    return out


async def _scan(engine: AsyncEngine, col: SealedColumn) -> Any:
    last: Any = None
    while True:
        where = "" if last is None else f"WHERE {col.key} > :last"
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.text(
                        f"SELECT {col.key}, {col.column} FROM {col.table} {where} "
                        f"ORDER BY {col.key} LIMIT {BATCH}"
                    ),
                    {"last": last},
                )
            ).all()
        if not rows:
            return
        for row in rows:
            yield row[0], row[1]
        last = rows[-1][0]


async def reencrypt(
    engine: AsyncEngine,
    *,
    progress: Callable[[str, int], None] | None = None,
    data_dir: Path | None = None,
) -> int:
    """Re-seal every value not sealed with the active key (clear legacy values too), and with
    a data dir every file of the sealed file stores; returns how many values changed."""
    ring = keyring_for(engine.sync_engine.dialect)
    changed = 0
    if data_dir is not None:
        for store in SEALED_FILE_STORES:  # one line per file store
            n = await asyncio.to_thread(reencrypt_files, ring, data_dir, (store,))
            changed += n
            if progress is not None:
                progress(f"files:{store}", n)
    for col in SEALED_COLUMNS:
        n = await _reencrypt_column(engine, ring, col)
        changed += n
        if progress is not None:
            progress(f"{col.table}.{col.column}", n)
    return changed


def _reseal_value(ring: Keyring, active: str, value: str) -> str:
    if is_envelope(value):
        if key_id_of(value) == active:
            return value
        value = ring.decrypt(value)
    return ring.encrypt(value)


def _reseal_nested(ring: Keyring, active: str, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reseal_nested(ring, active, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reseal_nested(ring, active, v) for v in value]
    if is_envelope(value) and key_id_of(value) != active:
        return ring.encrypt(ring.decrypt(value))
    return value


async def _reencrypt_column(engine: AsyncEngine, ring: Keyring, col: SealedColumn) -> int:
    changed = 0
    last: Any = None
    while True:
        active = ring.active
        where = "" if last is None else f"WHERE {col.key} > :last"
        async with engine.begin() as conn:
            rows = (
                await conn.execute(
                    sa.text(
                        f"SELECT {col.key}, {col.column} FROM {col.table} {where} "
                        f"ORDER BY {col.key} LIMIT {BATCH}"
                    ),
                    {"last": last},
                )
            ).all()
            if not rows:
                return changed
            for key, value in rows:
                if value is None:
                    continue
                if col.nested:
                    data = _json(value)
                    new = _reseal_nested(ring, active, data)
                    if new == data:
                        continue
                    param = "CAST(:v AS JSON)" if conn.dialect.name == "postgresql" else ":v"
                    await conn.execute(
                        sa.text(
                            f"UPDATE {col.table} SET {col.column} = {param} WHERE {col.key} = :k"
                        ),
                        {"v": json.dumps(new), "k": key},
                    )
                else:
                    new_value = _reseal_value(ring, active, value)
                    if new_value == value:
                        continue
                    # Only if nobody changed the row since it was read (the server may be writing).
                    await conn.execute(
                        sa.text(
                            f"UPDATE {col.table} SET {col.column} = :v "
                            f"WHERE {col.key} = :k AND {col.column} = :old"
                        ),
                        {"v": new_value, "k": key, "old": value},
                    )
                changed += 1
            last = rows[-1][0]
