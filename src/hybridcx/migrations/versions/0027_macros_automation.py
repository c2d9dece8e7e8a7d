"""macros and automation rules

macros: a workspace's saved replies with placeholders and actions; automation_rules: what to do
when a conversation event happens; automation_firings: each firing once (unique key);
automation_cursors: how far the rule engine has read the event and message logs.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "macros",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_macros_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_macros")),
        sa.UniqueConstraint("workspace_id", "name", name="uq_macros_workspace_id"),
    )
    op.create_index(op.f("ix_macros_workspace_id"), "macros", ["workspace_id"], unique=False)
    op.create_table(
        "automation_rules",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_automation_rules_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_rules")),
        sa.UniqueConstraint("workspace_id", "name", name="uq_automation_rules_workspace_id"),
    )
    op.create_index(
        op.f("ix_automation_rules_workspace_id"), "automation_rules", ["workspace_id"], unique=False
    )
    op.create_table(
        "automation_firings",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("occasion", sa.String(length=80), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["automation_rules.id"],
            name=op.f("fk_automation_firings_rule_id_automation_rules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_automation_firings_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_firings")),
        sa.UniqueConstraint(
            "rule_id", "conversation_id", "occasion", name="uq_automation_firings_rule_id"
        ),
    )
    op.create_index(
        op.f("ix_automation_firings_workspace_id"),
        "automation_firings",
        ["workspace_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_automation_firings_conversation_id"),
        "automation_firings",
        ["conversation_id"],
        unique=False,
    )
    op.create_table(
        "automation_cursors",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("message_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_automation_cursors")),
    )


def downgrade() -> None:
    op.drop_table("automation_cursors")
    op.drop_index(op.f("ix_automation_firings_conversation_id"), table_name="automation_firings")
    op.drop_index(op.f("ix_automation_firings_workspace_id"), table_name="automation_firings")
    op.drop_table("automation_firings")
    op.drop_index(op.f("ix_automation_rules_workspace_id"), table_name="automation_rules")
    op.drop_table("automation_rules")
    op.drop_index(op.f("ix_macros_workspace_id"), table_name="macros")
    op.drop_table("macros")
