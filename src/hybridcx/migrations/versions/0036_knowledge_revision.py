"""workspaces.knowledge_revision: a counter the database bumps with every article change

Every process keeps its knowledge index (and the output filter its protected texts) in memory
and asks once per turn whether the workspace's articles changed. That question used to be an
aggregate over every article row (count, latest edit, sum of versions): 65 ms on PostgreSQL and
300+ ms on SQLite at 100,000 articles. Now it is one primary-key read of this counter.

Triggers bump it in the same transaction as the change, whoever makes it (the API, an import,
a bulk statement, another process), so no writer can forget to. On PostgreSQL they run once per
statement and bump a workspace once per transaction (its commit shows every change at once);
SQLite has only row triggers, and updates the row in place.

SQLite drops a table's triggers when a batch operation recreates it: a later migration that
batch-alters ``articles`` must create them again (as `_create_sqlite_triggers` does);
tests/knowledge/test_revision.py checks them after the last migration.

Revision ID: 0036
Revises: 0034
Create Date: 2026-12-07 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0034"
branch_labels = None
depends_on = None

_FUNCTION = "hybridcx_bump_knowledge_revision"
#: Transaction-local: the workspaces whose revision this transaction has bumped already.
_BUMPED = "hybridcx.knowledge_revision_bumped"
_EVENTS = ("insert", "update", "delete")
# Transition tables per event (PostgreSQL allows them on single-event triggers only).
_REFERENCING = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
}
_SQLITE_WHERE = {
    "insert": "id = NEW.workspace_id",
    "update": "id IN (OLD.workspace_id, NEW.workspace_id)",
    "delete": "id = OLD.workspace_id",
}


def _trigger(event: str) -> str:
    return f"articles_knowledge_revision_{event}"


def _create_sqlite_triggers() -> None:
    for event in _EVENTS:
        op.execute(
            f"CREATE TRIGGER {_trigger(event)} AFTER {event.upper()} ON articles BEGIN "
            "UPDATE workspaces SET knowledge_revision = knowledge_revision + 1 "
            f"WHERE {_SQLITE_WHERE[event]}; END"
        )


def _create_postgres_triggers() -> None:
    # Once per workspace and transaction: the commit makes all of its changes visible at once,
    # so one bump covers them. Bumping the same row again for every statement of a long import
    # (100,000 single-row INSERTs) made each UPDATE walk all the row versions the earlier ones
    # left: quadratic. The workspaces already bumped are kept in a transaction-local setting,
    # which a rolled-back savepoint reverts together with its UPDATE.
    op.execute(
        f"""
        CREATE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            bumped text := coalesce(current_setting('{_BUMPED}', true), '');
            changed text[];
        BEGIN
            IF TG_OP = 'INSERT' THEN
                SELECT array_agg(DISTINCT workspace_id) INTO changed FROM new_rows;
            ELSIF TG_OP = 'DELETE' THEN
                SELECT array_agg(DISTINCT workspace_id) INTO changed FROM old_rows;
            ELSE
                SELECT array_agg(DISTINCT w) INTO changed FROM (
                    SELECT workspace_id AS w FROM new_rows
                    UNION SELECT workspace_id FROM old_rows
                ) AS touched;
            END IF;
            SELECT array_agg(w) INTO changed FROM unnest(changed) AS w
            WHERE strpos(bumped, ' ' || w || ' ') = 0;
            IF changed IS NOT NULL THEN
                UPDATE workspaces SET knowledge_revision = knowledge_revision + 1
                WHERE id = ANY(changed);
                PERFORM set_config(
                    '{_BUMPED}', bumped || ' ' || array_to_string(changed, ' ') || ' ', true
                );
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    for event in _EVENTS:
        op.execute(
            f"CREATE TRIGGER {_trigger(event)} AFTER {event.upper()} ON articles "
            f"{_REFERENCING[event]} FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()"
        )


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(
            sa.Column(
                "knowledge_revision", sa.BigInteger(), nullable=False, server_default=sa.text("0")
            )
        )
    if op.get_bind().dialect.name == "postgresql":
        _create_postgres_triggers()
    else:
        _create_sqlite_triggers()


def downgrade() -> None:
    for event in _EVENTS:
        op.execute(f"DROP TRIGGER IF EXISTS {_trigger(event)}" + _on_articles())
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {_FUNCTION}()")
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("knowledge_revision")


def _on_articles() -> str:
    return " ON articles" if op.get_bind().dialect.name == "postgresql" else ""
