"""proactive outreach

outreach_campaigns: who to notify on which signal, channels and templates; outreach_sends: one
row per notice sent (once per campaign, customer, signal occurrence and channel).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outreach_campaigns",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("signal", sa.String(length=40), nullable=False),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("templates", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("approval_threshold", sa.Integer(), nullable=False),
        sa.Column("holdout", sa.Float(), nullable=False),
        sa.Column("pending_size", sa.Integer(), nullable=False),
        sa.Column("approved_size", sa.Integer(), nullable=False),
        sa.Column("approved_by", sa.String(length=36), nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_outreach_campaigns_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_campaigns")),
        sa.UniqueConstraint("workspace_id", "name", name="uq_outreach_campaigns_workspace_id"),
    )
    op.create_index(
        op.f("ix_outreach_campaigns_workspace_id"),
        "outreach_campaigns",
        ["workspace_id"],
        unique=False,
    )
    op.create_table(
        "outreach_sends",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=True),
        sa.Column("signal", sa.String(length=40), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["outreach_campaigns.id"],
            name=op.f("fk_outreach_sends_campaign_id_outreach_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_outreach_sends_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_outreach_sends_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_sends")),
        sa.UniqueConstraint(
            "campaign_id",
            "customer_id",
            "key_hash",
            "channel",
            name="uq_outreach_sends_campaign_id",
        ),
    )
    for column in ("workspace_id", "campaign_id", "customer_id"):
        op.create_index(
            op.f(f"ix_outreach_sends_{column}"), "outreach_sends", [column], unique=False
        )


def downgrade() -> None:
    for column in ("workspace_id", "campaign_id", "customer_id"):
        op.drop_index(op.f(f"ix_outreach_sends_{column}"), table_name="outreach_sends")
    op.drop_table("outreach_sends")
    op.drop_index(op.f("ix_outreach_campaigns_workspace_id"), table_name="outreach_campaigns")
    op.drop_table("outreach_campaigns")
