"""training examples and intent clusters (learning from human resolutions)

Revision ID: 0010
Revises: 0004
Create Date: 2026-11-27 07:45:26.363759
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intent_clusters",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("suggestion", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("nearest_intent", sa.String(length=100), nullable=True),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("accepted_intent", sa.String(length=100), nullable=True),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_intent_clusters_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intent_clusters")),
    )
    with op.batch_alter_table("intent_clusters", schema=None) as batch_op:
        batch_op.create_index(
            "ix_intent_clusters_workspace_status", ["workspace_id", "status"], unique=False
        )

    op.create_table(
        "training_examples",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=True),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=100), nullable=False),
        sa.Column("intent_source", sa.String(length=20), nullable=False),
        sa.Column("ai_intent", sa.String(length=100), nullable=True),
        sa.Column("ai_confidence", sa.Float(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reviewed_by", sa.String(length=36), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_training_examples_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_training_examples_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_examples")),
        sa.UniqueConstraint("message_id", name="uq_training_examples_message_id"),
    )
    with op.batch_alter_table("training_examples", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_examples_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            "ix_training_examples_workspace_status", ["workspace_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("training_examples", schema=None) as batch_op:
        batch_op.drop_index("ix_training_examples_workspace_status")
        batch_op.drop_index(batch_op.f("ix_training_examples_conversation_id"))

    op.drop_table("training_examples")
    with op.batch_alter_table("intent_clusters", schema=None) as batch_op:
        batch_op.drop_index("ix_intent_clusters_workspace_status")

    op.drop_table("intent_clusters")
