"""an index for the queue gauges of /metrics: queued conversations by tier, oldest first

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 07:05:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_conversations_status_tier_queued_at"),
        "conversations",
        ["status", "tier", "queued_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_conversations_status_tier_queued_at"), table_name="conversations")
