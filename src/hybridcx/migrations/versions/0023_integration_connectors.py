"""integration_connectors: a workspace's connections to the company's systems (issue 20), with
the credentials sealed at rest

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "integration_connectors",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        # Sealed at rest (hybridcx.privacy.fields.EncryptedJSON): a text column.
        sa.Column("secrets", sa.Text(), nullable=True),
        sa.Column("serves_flows", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_integration_connectors_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_connectors")),
        sa.UniqueConstraint("workspace_id", "name", name="uq_integration_connectors_workspace_id"),
    )
    op.create_index(
        op.f("ix_integration_connectors_workspace_id"),
        "integration_connectors",
        ["workspace_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_integration_connectors_workspace_id"), table_name="integration_connectors"
    )
    op.drop_table("integration_connectors")
