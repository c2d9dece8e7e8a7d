"""channels: phone-only customers, channel metadata, thread keys and provider message ids

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 07:55:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A customer who only ever texted or called has no email.
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=320), nullable=True)

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("channel_meta", sa.JSON(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_conversations_thread_key"), ["thread_key"], unique=False
        )

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("channel_meta", sa.JSON(), nullable=True))
        batch_op.create_unique_constraint(
            "uq_messages_external_id", ["workspace_id", "external_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint("uq_messages_external_id", type_="unique")
        batch_op.drop_column("channel_meta")
        batch_op.drop_column("external_id")

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_thread_key"))
        batch_op.drop_column("channel_meta")
        batch_op.drop_column("thread_key")

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=320), nullable=False)
