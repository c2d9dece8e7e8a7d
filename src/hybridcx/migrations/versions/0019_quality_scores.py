"""quality_scores: every finished conversation's quality score, stored with the rubric version
it was computed with (aggregates read these instead of rescoring on every request)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 06:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quality_scores",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("handler", sa.String(length=36), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("intent", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("peer_key", sa.String(length=100), nullable=False),
        sa.Column("handle_seconds", sa.Float(), nullable=True),
        sa.Column("rubric_version", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.Column("scored_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_quality_scores_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_quality_scores_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_scores")),
        sa.UniqueConstraint("conversation_id", name="uq_quality_scores_conversation_id"),
    )
    op.create_index(
        "ix_quality_scores_workspace_started",
        "quality_scores",
        ["workspace_id", "started_at"],
        unique=False,
    )
    op.create_index(
        "ix_quality_scores_workspace_peer",
        "quality_scores",
        ["workspace_id", "peer_key", "finished_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_quality_scores_workspace_peer", table_name="quality_scores")
    op.drop_index("ix_quality_scores_workspace_started", table_name="quality_scores")
    op.drop_table("quality_scores")
