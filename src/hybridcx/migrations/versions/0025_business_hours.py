"""business hours, after-hours queueing, idle close and SLA policies

A table of opening hours per workspace and per team, and one of SLA policies; conversations get
the after-hours flag (with the customer's follow-up choice), the time an idle sweep closed them
and their running SLA clock.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "business_hours",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("weekly", sa.JSON(), nullable=False),
        sa.Column("exceptions", sa.JSON(), nullable=False),
        sa.Column("idle_close_minutes", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_business_hours_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_hours")),
        sa.UniqueConstraint("workspace_id", "team", name=op.f("uq_business_hours_workspace_id")),
    )
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("vip", sa.Boolean(), nullable=True),
        sa.Column("first_response_seconds", sa.Integer(), nullable=False),
        sa.Column("next_response_seconds", sa.Integer(), nullable=True),
        sa.Column("warn_before_seconds", sa.Integer(), nullable=False),
        sa.Column("business_hours", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_sla_policies_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
    )
    op.create_index(op.f("ix_sla_policies_workspace_id"), "sla_policies", ["workspace_id"])
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("after_hours", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("idle_closed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("sla", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("sla")
        batch.drop_column("idle_closed_at")
        batch.drop_column("after_hours")
    op.drop_table("sla_policies")
    op.drop_table("business_hours")
