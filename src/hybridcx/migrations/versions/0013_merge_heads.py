"""merge the parallel branches 0005-0012 (channels, email, privacy, access, safety, learning,
experiments, business KPIs) into one head

Revision ID: 0013
Revises: 0005, 0006, 0007, 0008, 0009, 0010, 0011, 0012
Create Date: 2026-11-27 08:35:00.000000
"""

from __future__ import annotations

revision = "0013"
down_revision = ("0005", "0006", "0007", "0008", "0009", "0010", "0011", "0012")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
