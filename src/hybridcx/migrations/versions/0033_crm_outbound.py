"""CRM sync both ways: customer pushes and erasures in integration_syncs, a poll cursor per
connector

integration_syncs gets ``customer_id`` (a push or erasure is about a customer, not a
conversation, so ``conversation_id`` may be empty), ``fields`` (the customer fields a push
carries) and ``payload`` (sealed: the emails an erasure asks the CRM to forget, cleared once
sent). integration_connectors gets ``poll_cursor`` (how far inbound polling has read).

Revision ID: 0033
Revises: 0031
Create Date: 2026-12-07 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("integration_syncs") as batch:
        batch.add_column(sa.Column("customer_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("fields", sa.JSON(), nullable=True))
        # Sealed at rest (hybridcx.kit.sealed.EncryptedJSON): a text column.
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch.alter_column("conversation_id", existing_type=sa.String(length=36), nullable=True)
        batch.create_index("ix_integration_syncs_customer_id", ["customer_id"])
    with op.batch_alter_table("integration_connectors") as batch:
        batch.add_column(sa.Column("poll_cursor", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("integration_connectors") as batch:
        batch.drop_column("poll_cursor")
    op.execute("DELETE FROM integration_syncs WHERE conversation_id IS NULL")
    with op.batch_alter_table("integration_syncs") as batch:
        batch.drop_index("ix_integration_syncs_customer_id")
        batch.alter_column("conversation_id", existing_type=sa.String(length=36), nullable=False)
        batch.drop_column("payload")
        batch.drop_column("fields")
        batch.drop_column("customer_id")
