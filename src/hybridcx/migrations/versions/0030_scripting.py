"""agent scripts

scripts: a workspace's own scripts (checked specs); script_settings: block or warn at resolve
when a required step is not done.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scripts",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_scripts_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scripts")),
        sa.UniqueConstraint("workspace_id", "name", name="uq_scripts_workspace_id"),
    )
    op.create_index(op.f("ix_scripts_workspace_id"), "scripts", ["workspace_id"], unique=False)
    op.create_table(
        "script_settings",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("enforcement", sa.String(length=10), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_script_settings_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_script_settings")),
    )


def downgrade() -> None:
    op.drop_table("script_settings")
    op.drop_index(op.f("ix_scripts_workspace_id"), table_name="scripts")
    op.drop_table("scripts")
