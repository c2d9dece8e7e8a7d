"""privacy: encrypted columns, blind indexes for customer email/phone, erasure requests

Existing rows are sealed in batches with the engine's active key (hybridcx.privacy): message
text and turn responses, handoff packages and AI state, past cases, free-text fields of event
payloads, and customers' name/email/phone/external_id. Uniqueness of a customer's email moves to
its blind index. Works on SQLite (batch table rebuilds) and PostgreSQL.

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-27 08:00:00.000000
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 500


def _keyring() -> Any:
    from hybridcx.kit.sealed import keyring_for

    return keyring_for(op.get_bind().dialect)


def _to_text(table: str, columns: list[str], *, drop_defaults: tuple[str, ...] = ()) -> None:
    """JSON/varchar columns become TEXT (a sealed value is longer than the plain one)."""
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table(table) as batch:
        for col in drop_defaults:  # a JSON server default cannot follow the column to TEXT
            batch.alter_column(col, server_default=None)
    with op.batch_alter_table(table) as batch:
        for col in columns:
            kw: dict[str, Any] = {}
            if dialect == "postgresql":
                kw["postgresql_using"] = f"{col}::text"
            batch.alter_column(col, type_=sa.Text(), **kw)


def _reseal(table: str, key: str, columns: list[str], transform: Callable[[str, Any], Any]) -> None:
    """Rewrite ``columns`` of every row through ``transform(column, value)``, in key order."""
    from hybridcx.kit.keys import is_envelope

    conn = op.get_bind()
    cols = ", ".join(columns)
    last: Any = None
    while True:
        where = "" if last is None else f"WHERE {key} > :last"
        rows = conn.execute(
            sa.text(f"SELECT {key}, {cols} FROM {table} {where} ORDER BY {key} LIMIT {BATCH}"),
            {"last": last},
        ).all()
        if not rows:
            return
        for row in rows:
            updates = {}
            for col, value in zip(columns, row[1:], strict=True):
                if value is None or is_envelope(value):
                    continue
                updates[col] = transform(col, value)
            if updates:
                sets = ", ".join(f"{c} = :{c}" for c in updates)
                conn.execute(
                    sa.text(f"UPDATE {table} SET {sets} WHERE {key} = :key"),
                    {**updates, "key": row[0]},
                )
        last = rows[-1][0]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite rebuilds customers/conversations to change them; rows that reference them are
        # checked at commit (when the rebuilt tables are back) instead of at the DROP.
        # (foreign_keys=OFF takes effect when no transaction is open yet, defer_foreign_keys
        # inside one; the pysqlite driver opens transactions only for DML.)
        op.execute("PRAGMA foreign_keys=OFF")
        op.execute("PRAGMA defer_foreign_keys=ON")
    op.create_table(
        "erasure_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("customer_ref", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.String(length=36), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_erasure_requests_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_requests")),
    )
    with op.batch_alter_table("erasure_requests") as batch:
        batch.create_index(batch.f("ix_erasure_requests_customer_ref"), ["customer_ref"])
        batch.create_index(
            "ix_erasure_requests_workspace_status", ["workspace_id", "status"], unique=False
        )

    # customers: sealed personal fields, blind indexes, tombstones of erased customers
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("email_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("phone_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))
        batch.drop_constraint("uq_customers_workspace_email", type_="unique")
    _to_text("customers", ["email", "name", "phone", "external_id"])
    _seal_customers()
    with op.batch_alter_table("customers") as batch:
        batch.create_unique_constraint(
            "uq_customers_workspace_email_hash", ["workspace_id", "email_hash"]
        )
        batch.create_index("ix_customers_workspace_phone_hash", ["workspace_id", "phone_hash"])

    _to_text("messages", ["turn_response"])
    _to_text("conversations", ["handoff", "ai_state"], drop_defaults=("ai_state",))
    seal = _sealer()
    _reseal("messages", "seq", ["text", "turn_response"], seal)
    _reseal("conversations", "id", ["handoff", "ai_state"], seal)
    _reseal("cases", "id", ["question", "resolution"], seal)
    _seal_event_payloads()
    # (kit.db.upgrade switches SQLite's foreign keys back on, and checks them, after the last
    # migration: later migrations may rebuild referenced tables too.)


def _sealer() -> Callable[[str, Any], Any]:
    cache: dict[str, Any] = {}

    def seal(_col: str, value: Any) -> str:
        if "ring" not in cache:
            cache["ring"] = _keyring()
        text = value if isinstance(value, str) else json.dumps(value)
        return str(cache["ring"].encrypt(text))

    return seal


def _seal_customers() -> None:
    from hybridcx.kit.keys import is_envelope
    from hybridcx.kit.normalize import normalize_email, normalize_phone

    conn = op.get_bind()
    last = ""
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT id, email, name, phone, external_id FROM customers "
                f"WHERE id > :last ORDER BY id LIMIT {BATCH}"
            ),
            {"last": last},
        ).all()
        if not rows:
            return
        ring = _keyring()
        for cid, email, name, phone, external_id in rows:
            plain = {
                "email": ring.decrypt(email) if is_envelope(email) else email or "",
                "phone": ring.decrypt(phone) if is_envelope(phone) else phone,
            }
            values = {
                # Phone-only customers (channels, migration 0005) have no email: no index.
                "email_hash": ring.blind_index(normalize_email(plain["email"]))
                if plain["email"]
                else None,
                "phone_hash": ring.blind_index(normalize_phone(plain["phone"]))
                if plain["phone"]
                else None,
            }
            for col, value in (
                ("email", email),
                ("name", name),
                ("phone", phone),
                ("external_id", external_id),
            ):
                if value is not None and not is_envelope(value):
                    values[col] = ring.encrypt(value)
            sets = ", ".join(f"{c} = :{c}" for c in values)
            conn.execute(
                sa.text(f"UPDATE customers SET {sets} WHERE id = :id"), {**values, "id": cid}
            )
        last = rows[-1][0]


def _seal_event_payloads() -> None:
    from hybridcx.kit.keys import is_envelope
    from hybridcx.kit.sealed import SENSITIVE_EVENT_KEYS, _walk

    conn = op.get_bind()
    last = 0
    keys = sorted(SENSITIVE_EVENT_KEYS)
    ring: Any = None

    def seal(s: str) -> str:
        return s if is_envelope(s) else str(ring.encrypt(s))

    while True:
        rows = conn.execute(
            sa.text(
                "SELECT seq, data FROM conversation_events "
                f"WHERE seq > :last ORDER BY seq LIMIT {BATCH}"
            ),
            {"last": last},
        ).all()
        if not rows:
            return
        for seq, raw in rows:
            data = json.loads(raw) if isinstance(raw, str) else raw
            if not isinstance(data, dict) or not any(f'"{k}"' in json.dumps(data) for k in keys):
                continue
            ring = ring or _keyring()
            sealed = _walk(data, seal)
            if sealed != data:
                param = "CAST(:data AS JSON)" if conn.dialect.name == "postgresql" else ":data"
                conn.execute(
                    sa.text(f"UPDATE conversation_events SET data = {param} WHERE seq = :seq"),
                    {"data": json.dumps(sealed), "seq": seq},
                )
        last = rows[-1][0]


def downgrade() -> None:
    # Sealed values cannot go back to clear text without the keys in a schema step; restoring a
    # pre-0007 backup is the way back. The structure is reverted for completeness.
    with op.batch_alter_table("customers") as batch:
        batch.drop_index("ix_customers_workspace_phone_hash")
        batch.drop_constraint("uq_customers_workspace_email_hash", type_="unique")
        batch.drop_column("erased_at")
        batch.drop_column("phone_hash")
        batch.drop_column("email_hash")
        batch.create_unique_constraint("uq_customers_workspace_email", ["workspace_id", "email"])
    op.drop_table("erasure_requests")
