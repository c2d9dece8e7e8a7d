"""server_processes and messages.answering_by: answer leases tied to a process heartbeat

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 19:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "server_processes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_processes")),
    )
    op.create_index(op.f("ix_server_processes_beat_at"), "server_processes", ["beat_at"])
    # A plain ADD COLUMN (nullable, no default): no rewrite of the messages table.
    op.add_column("messages", sa.Column("answering_by", sa.String(length=36), nullable=True))
    op.create_index(
        "ix_messages_answering_by",
        "messages",
        ["answering_by"],
        postgresql_where=sa.text("answering_by IS NOT NULL"),
        sqlite_where=sa.text("answering_by IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_answering_by", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("answering_by")
    op.drop_index(op.f("ix_server_processes_beat_at"), table_name="server_processes")
    op.drop_table("server_processes")
