"""SSO handoff codes

sso_handoffs: the one-time code the browser trades (by POST) for the staff token after a single
sign-on, so the token never travels in a URL.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sso_handoffs",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=36), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_sso_handoffs_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_sso_handoffs")),
    )
    op.create_index(op.f("ix_sso_handoffs_agent_id"), "sso_handoffs", ["agent_id"])
    op.create_index(op.f("ix_sso_handoffs_expires_at"), "sso_handoffs", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sso_handoffs_expires_at"), table_name="sso_handoffs")
    op.drop_index(op.f("ix_sso_handoffs_agent_id"), table_name="sso_handoffs")
    op.drop_table("sso_handoffs")
