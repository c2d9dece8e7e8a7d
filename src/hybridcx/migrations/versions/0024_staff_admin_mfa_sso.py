"""staff administration, TOTP second factor and OpenID Connect sign-in

Agents get an active flag, a sealed TOTP secret, hashed recovery codes and an OIDC subject;
workspaces can require a second factor; new tables hold a workspace's identity provider, the
sign-ins on their way through it and password sign-ins waiting for their code.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 09:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("deactivated_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("mfa_secret", sa.Text(), nullable=True))
        batch.add_column(sa.Column("mfa_enabled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("mfa_last_step", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("mfa_recovery_hashes", sa.JSON(), nullable=False, server_default="[]")
        )
        batch.add_column(sa.Column("oidc_subject", sa.String(length=600), nullable=True))
        batch.create_index(batch.f("ix_agents_oidc_subject"), ["oidc_subject"], unique=False)
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(
            sa.Column("mfa_required", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "sso_providers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=300), nullable=False),
        sa.Column("client_secret", sa.Text(), nullable=True),
        sa.Column("scopes", sa.String(length=300), nullable=False),
        sa.Column("role_claim", sa.String(length=100), nullable=True),
        sa.Column("role_map", sa.JSON(), nullable=False),
        sa.Column("default_role", sa.String(length=20), nullable=True),
        sa.Column("teams_claim", sa.String(length=100), nullable=True),
        sa.Column("auto_create", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_sso_providers_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_providers")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_sso_providers_workspace_id")),
    )
    op.create_table(
        "oidc_logins",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("code_verifier", sa.Text(), nullable=False),
        sa.Column("return_to", sa.String(length=300), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_oidc_logins_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_oidc_logins")),
    )
    op.create_index(op.f("ix_oidc_logins_expires_at"), "oidc_logins", ["expires_at"])
    op.create_table(
        "mfa_challenges",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=36), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_mfa_challenges_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_mfa_challenges")),
    )
    op.create_index(op.f("ix_mfa_challenges_agent_id"), "mfa_challenges", ["agent_id"])
    op.create_index(op.f("ix_mfa_challenges_expires_at"), "mfa_challenges", ["expires_at"])


def downgrade() -> None:
    op.drop_table("mfa_challenges")
    op.drop_table("oidc_logins")
    op.drop_table("sso_providers")
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("mfa_required")
    with op.batch_alter_table("agents") as batch:
        batch.drop_index(batch.f("ix_agents_oidc_subject"))
        for name in (
            "oidc_subject",
            "mfa_recovery_hashes",
            "mfa_last_step",
            "mfa_enabled_at",
            "mfa_secret",
            "deactivated_at",
            "active",
        ):
            batch.drop_column(name)
