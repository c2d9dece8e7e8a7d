"""kpi rollup: conversation_facts and kpi_watermarks (written by hybridcx.analytics.rollup)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 06:26:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No foreign keys: the rollup is derived data, rebuilt from conversation_events at will.
    op.create_table(
        "conversation_facts",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("intent", sa.String(length=100), nullable=True),
        sa.Column("contained", sa.Boolean(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("first_assigned_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("agent_id", sa.String(length=36), nullable=True),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_conversation_facts")),
    )
    op.create_index(
        "ix_conversation_facts_workspace_created",
        "conversation_facts",
        ["workspace_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "kpi_watermarks",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("next_seq", sa.Integer(), nullable=False),
        sa.Column("meta_intents", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_kpi_watermarks")),
    )


def downgrade() -> None:
    op.drop_table("kpi_watermarks")
    op.drop_index("ix_conversation_facts_workspace_created", table_name="conversation_facts")
    op.drop_table("conversation_facts")
