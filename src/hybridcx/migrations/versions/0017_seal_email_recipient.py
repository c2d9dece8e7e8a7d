"""email: the recipient of mail records (the customer's address on mail we sent) sealed at rest

The column becomes TEXT (a sealed value is longer than an address) and existing values are
sealed in batches with the engine's active key (hybridcx.privacy), on SQLite and PostgreSQL.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 07:20:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    kw: dict[str, Any] = {}
    if op.get_bind().dialect.name == "postgresql":
        kw["postgresql_using"] = "to_addr::text"
    with op.batch_alter_table("email_messages") as batch:
        batch.alter_column("to_addr", type_=sa.Text(), existing_type=sa.String(320), **kw)
    _seal_existing()


def _seal_existing() -> None:
    from hybridcx.kit.keys import is_envelope
    from hybridcx.kit.sealed import keyring_for

    conn = op.get_bind()
    ring: Any = None
    last: Any = None
    while True:
        where = "" if last is None else "WHERE id > :last"
        rows = conn.execute(
            sa.text(f"SELECT id, to_addr FROM email_messages {where} ORDER BY id LIMIT {BATCH}"),
            {"last": last},
        ).all()
        if not rows:
            return
        for row_id, value in rows:
            if value and not is_envelope(value):
                ring = ring or keyring_for(conn.dialect)
                conn.execute(
                    sa.text("UPDATE email_messages SET to_addr = :v WHERE id = :id"),
                    {"v": ring.encrypt(value), "id": row_id},
                )
        last = rows[-1][0]


def downgrade() -> None:
    # Sealed values do not fit back into 320 characters: they are opened first.
    from hybridcx.kit.sealed import keyring_for, open_value

    conn = op.get_bind()
    ring = keyring_for(conn.dialect)
    for row_id, value in conn.execute(sa.text("SELECT id, to_addr FROM email_messages")).all():
        if value:
            conn.execute(
                sa.text("UPDATE email_messages SET to_addr = :v WHERE id = :id"),
                {"v": open_value(ring, value)[:320], "id": row_id},
            )
    with op.batch_alter_table("email_messages") as batch:
        batch.alter_column("to_addr", type_=sa.String(320), existing_type=sa.Text())
