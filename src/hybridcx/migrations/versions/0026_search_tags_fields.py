"""tags, custom fields and the keyed search index

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        _fk("tags", "workspace_id", "workspaces"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("workspace_id", "name", name="uq_tags_workspace_name"),
    )
    for table, owner, target in (
        ("conversation_tags", "conversation_id", "conversations"),
        ("customer_tags", "customer_id", "customers"),
    ):
        op.create_table(
            table,
            sa.Column("id", sa.String(length=36), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("workspace_id", sa.String(length=36), nullable=False),
            sa.Column(owner, sa.String(length=36), nullable=False),
            sa.Column("tag", sa.String(length=50), nullable=False),
            sa.Column("added_by", sa.String(length=36), nullable=False),
            _fk(table, "workspace_id", "workspaces"),
            _fk(table, owner, target),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint(owner, "tag", name=f"uq_{table}_{owner.split('_')[0]}_tag"),
        )
        op.create_index(f"ix_{table}_workspace_tag", table, ["workspace_id", "tag"])
    op.create_table(
        "custom_field_definitions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        _fk("custom_field_definitions", "workspace_id", "workspaces"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_field_definitions")),
        sa.UniqueConstraint(
            "workspace_id", "entity", "key", name="uq_custom_field_definitions_workspace_key"
        ),
    )
    op.create_table(
        "custom_field_values",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _fk("custom_field_values", "workspace_id", "workspaces"),
        _fk("custom_field_values", "conversation_id", "conversations"),
        _fk("custom_field_values", "customer_id", "customers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_field_values")),
        sa.UniqueConstraint(
            "conversation_id", "key", name="uq_custom_field_values_conversation_key"
        ),
        sa.UniqueConstraint("customer_id", "key", name="uq_custom_field_values_customer_key"),
    )
    op.create_index("ix_custom_field_values_workspace_id", "custom_field_values", ["workspace_id"])
    op.create_table(
        "search_tokens",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("token", sa.String(length=32), nullable=False),
        _fk("search_tokens", "workspace_id", "workspaces"),
        _fk("search_tokens", "conversation_id", "conversations"),
        _fk("search_tokens", "customer_id", "customers"),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_search_tokens")),
    )
    op.create_index("ix_search_tokens_workspace_token", "search_tokens", ["workspace_id", "token"])
    op.create_index("ix_search_tokens_conversation_id", "search_tokens", ["conversation_id"])
    op.create_index("ix_search_tokens_customer_id", "search_tokens", ["customer_id"])


def downgrade() -> None:
    for table in (
        "search_tokens",
        "custom_field_values",
        "custom_field_definitions",
        "customer_tags",
        "conversation_tags",
        "tags",
    ):
        op.drop_table(table)
