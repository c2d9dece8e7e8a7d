"""email channel: email_messages (Message-ID -> conversation, ignored mail) and email_drafts

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-27 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=True),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("rfc_message_id", sa.String(length=255), nullable=False),
        sa.Column("thread_key", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        # Sealed at rest (hybridcx.kit.sealed.EncryptedText): text columns.
        sa.Column("from_addr", sa.Text(), nullable=False),
        sa.Column("to_addr", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("meta", sa.Text(), nullable=False),  # sealed JSON
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_email_messages_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_email_messages_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_messages")),
    )
    op.create_index(
        op.f("ix_email_messages_conversation_id"),
        "email_messages",
        ["conversation_id"],
        unique=False,
    )
    op.create_index(
        "ix_email_messages_workspace_rfc_id",
        "email_messages",
        ["workspace_id", "rfc_message_id"],
        unique=False,
    )
    op.create_table(
        "email_drafts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("reply_to_message_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("original_text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=100), nullable=True),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("grounded", sa.Boolean(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("sent_message_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_email_drafts_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_email_drafts_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_drafts")),
    )
    op.create_index(
        op.f("ix_email_drafts_conversation_id"), "email_drafts", ["conversation_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_email_drafts_conversation_id"), table_name="email_drafts")
    op.drop_table("email_drafts")
    op.drop_index("ix_email_messages_workspace_rfc_id", table_name="email_messages")
    op.drop_index(op.f("ix_email_messages_conversation_id"), table_name="email_messages")
    op.drop_table("email_messages")
