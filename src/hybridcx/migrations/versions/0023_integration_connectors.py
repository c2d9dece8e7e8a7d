"""integration_connectors: a workspace's connections to the company's systems, with
the credentials sealed at rest; integration_syncs: what is sent to them (CRM tickets), retried

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
        # Sealed at rest (hybridcx.kit.sealed.EncryptedJSON): a text column.
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
    op.create_table(
        "integration_syncs",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("connector_id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("source_at", sa.DateTime(), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["integration_connectors.id"],
            name=op.f("fk_integration_syncs_connector_id_integration_connectors"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_integration_syncs_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_syncs")),
        sa.UniqueConstraint("connector_id", "source_id", name="uq_integration_syncs_connector_id"),
    )
    op.create_index(
        op.f("ix_integration_syncs_workspace_id"), "integration_syncs", ["workspace_id"]
    )
    op.create_index(
        op.f("ix_integration_syncs_next_attempt_at"), "integration_syncs", ["next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_integration_syncs_next_attempt_at"), table_name="integration_syncs")
    op.drop_index(op.f("ix_integration_syncs_workspace_id"), table_name="integration_syncs")
    op.drop_table("integration_syncs")
    op.drop_index(
        op.f("ix_integration_connectors_workspace_id"), table_name="integration_connectors"
    )
    op.drop_table("integration_connectors")
