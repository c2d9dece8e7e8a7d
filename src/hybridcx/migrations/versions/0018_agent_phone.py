"""agents.phone: where the phone line rings a staff member who accepts a call (an E.164 number
or a Twilio Client identity as client:<identity>)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 06:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("phone")
