"""Column types that encrypt at rest (AES-GCM, ``v1:<key id>:<base64>``) and blind indexes.

The keyring comes from the engine (``create_engine(url, keyring=...)`` sets it on the dialect),
so two engines with different keys can live in one process (the tests run SQLite and PostgreSQL
servers side by side). Values written before encryption was switched on (clear text) still read
back as they are; migration 0007 and ``hybridcx keys reencrypt`` seal them.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeDecorator

from hybridcx.kit.keys import Keyring, default_keyring, is_envelope

DIALECT_ATTR = "hybridcx_keyring"

#: Keys of event payloads (conversation_events.data) whose values are free text from people.
#: Only these are sealed, so analytics can still read tier/intent/channel... with SQL JSON paths.
SENSITIVE_EVENT_KEYS = frozenset(
    {"text", "note", "comment", "summary", "transfer_note", "question", "answer", "reply"}
    # an ignored mail's sender and subject (email.ignored)
    | {"from", "subject"}
)


def keyring_for(dialect: Dialect) -> Keyring:
    ring = getattr(dialect, DIALECT_ATTR, None)
    return ring if ring is not None else default_keyring()


def session_keyring(session: AsyncSession) -> Keyring:
    return keyring_for(session.get_bind().dialect)


def attach_keyring(engine: Any, keyring: Keyring) -> None:
    sync = getattr(engine, "sync_engine", engine)
    setattr(sync.dialect, DIALECT_ATTR, keyring)


def open_value(ring: Keyring, value: str) -> str:
    return ring.decrypt(value) if is_envelope(value) else value


class EncryptedText(TypeDecorator[str]):
    """Text sealed with the active key; the column holds only the envelope."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_for(dialect).encrypt(str(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return open_value(keyring_for(dialect), value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document sealed as a whole (never queried by SQL)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_for(dialect).encrypt(json.dumps(value, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(open_value(keyring_for(dialect), value))


class SealedPayload(TypeDecorator[Any]):
    """JSON whose free-text fields (SENSITIVE_EVENT_KEYS, at any depth) are sealed one by one.

    The rest stays plain JSON: the analytics rollup reads tier, intent, channel, ratings with the
    database's JSON operators, and none of those identify anyone."""

    impl = JSON
    cache_ok = True

    # data["tier"].as_integer() keeps working (the analytics rollup reads fields this way).
    comparator_factory = JSON.Comparator  # type: ignore[assignment]

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        ring = keyring_for(dialect)
        return _walk(value, lambda s: s if is_envelope(s) else ring.encrypt(s))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        ring = keyring_for(dialect)
        return _walk(value, lambda s: open_value(ring, s))


def _walk(value: Any, seal: Any, *, sensitive: bool = False) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, seal, sensitive=k in SENSITIVE_EVENT_KEYS) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, seal, sensitive=sensitive) for v in value]
    if sensitive and isinstance(value, str):
        return seal(value)
    return value
