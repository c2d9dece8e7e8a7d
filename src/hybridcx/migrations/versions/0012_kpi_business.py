"""business KPIs: agent_shifts (staffed time) and new conversation_facts columns

Revision ID: 0012
Revises: 0004
Create Date: 2026-11-27 08:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_shifts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("agent_id", sa.String(length=36), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_agent_shifts_workspace_id_workspaces"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_agent_shifts_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_shifts")),
    )
    op.create_index(
        "ix_agent_shifts_workspace_started", "agent_shifts", ["workspace_id", "started_at"]
    )
    op.create_index(op.f("ix_agent_shifts_agent_id"), "agent_shifts", ["agent_id"])
    # Facts rows written before this revision lack the new fields: rebuild the rollup (it is
    # derived data; `hybridcx analytics rollup` or the server's background task replays the log).
    op.execute("DELETE FROM conversation_facts")
    op.execute("DELETE FROM kpi_watermarks")
    for column in (
        sa.Column("taken_over", sa.Boolean(), nullable=True),
        sa.Column("last_event_at", sa.DateTime(), nullable=True),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("segment", sa.String(length=20), nullable=True),
        sa.Column("customer_value", sa.Float(), nullable=True),
        sa.Column("orders", sa.Integer(), nullable=True),
        sa.Column("revenue", sa.Float(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
    ):
        op.add_column("conversation_facts", column)


def downgrade() -> None:
    for name in (
        "detail",
        "revenue",
        "orders",
        "customer_value",
        "segment",
        "nps",
        "last_event_at",
        "taken_over",
    ):
        with op.batch_alter_table("conversation_facts") as batch:
            batch.drop_column(name)
    op.drop_index(op.f("ix_agent_shifts_agent_id"), table_name="agent_shifts")
    op.drop_index("ix_agent_shifts_workspace_started", table_name="agent_shifts")
    op.drop_table("agent_shifts")
