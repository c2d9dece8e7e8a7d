"""Alembic environment. Migrations run on a connection handed in by hybridcx.kit.db.upgrade."""

from __future__ import annotations

from alembic import context

from hybridcx.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "Run migrations with `hybridcx db upgrade` (it supplies the connection)."
        )
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
