"""queue order as an indexed column: conversations.queue_rank

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# The default routing policy's queue weights (pipeline/policy.default.yaml); a workspace with
# its own weights gets them for conversations queued from now on.
TIER_WEIGHT = {1: 100.0, 2: 200.0, 3: 300.0}
VIP_BONUS = 100.0
PER_WAITING_MINUTE = 2.0


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.add_column(sa.Column("queue_rank", sa.Float(), nullable=True))
        batch_op.create_index(
            "ix_conversations_queue", ["workspace_id", "status", "queue_rank"], unique=False
        )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        minutes = "(julianday(COALESCE(queued_at, created_at)) - 2440587.5) * 1440.0"
    else:
        minutes = "EXTRACT(EPOCH FROM COALESCE(queued_at, created_at)) / 60.0"
    tiers = " ".join(f"WHEN {t} THEN {w}" for t, w in TIER_WEIGHT.items())
    op.execute(
        "UPDATE conversations SET queue_rank = "
        f"(CASE tier {tiers} ELSE 100.0 END) "
        f"+ (SELECT CASE WHEN customers.vip THEN {VIP_BONUS} ELSE 0.0 END FROM customers "
        "WHERE customers.id = conversations.customer_id) "
        f"- {PER_WAITING_MINUTE} * {minutes} "
        "WHERE status = 'queued'"
    )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.drop_index("ix_conversations_queue")
        batch_op.drop_column("queue_rank")
