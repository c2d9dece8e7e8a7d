"""event_outbox: the live events of each transaction, written in that transaction

A process publishes a row's events right after its commit; the relay of every process publishes
what a dead process left undelivered; WebSockets replay missed events from here on reconnect.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-08 03:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("workspace_id", sa.String(36), nullable=True),
        sa.Column("conversation_id", sa.String(36), nullable=True),
        sa.Column("process_id", sa.String(36), nullable=True),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        # Ids are event ids: never reused, even once retention has emptied the table.
        sqlite_autoincrement=True,
    )
    op.create_index("ix_event_outbox_workspace_id", "event_outbox", ["workspace_id", "id"])
    op.create_index("ix_event_outbox_undelivered", "event_outbox", ["delivered", "id"])
    op.create_index("ix_event_outbox_created_at", "event_outbox", ["created_at"])


def downgrade() -> None:
    op.drop_table("event_outbox")
