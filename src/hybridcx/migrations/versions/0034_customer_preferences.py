"""customers.preferences: preferred channel, language and contact hours

A JSON column on the customer beside ``consents`` and ``attributes``: one customer's few keys,
read with the customer row (the profile, outreach planning) and gone with it on erasure.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 20:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(
            sa.Column("preferences", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("preferences")
