"""knowledge_passage_vectors: article passage vectors shared by every process (pgvector, HNSW)

Only on PostgreSQL, and only when the `vector` extension can be installed there. Anywhere else
this migration does nothing and every process keeps its in-process index (the server logs
`knowledge.vector_store` with the reason). To switch later, install pgvector and run the
statements of `create_vector_table` by hand (docs/operations.md, "Shared vector store").

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import structlog
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

log = structlog.get_logger(__name__)

STATEMENTS = (
    "CREATE TABLE IF NOT EXISTS knowledge_passage_vectors ("
    " workspace_id VARCHAR(36) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,"
    " collection VARCHAR(16) NOT NULL,"
    " passage_id VARCHAR(300) NOT NULL,"
    " doc_id VARCHAR(255) NOT NULL,"
    " public BOOLEAN NOT NULL,"
    " model_id VARCHAR(200) NOT NULL,"
    " text_hash VARCHAR(32) NOT NULL,"
    " title_hash VARCHAR(32) NOT NULL,"
    " embedding vector(384) NOT NULL,"
    " title_embedding vector(384) NOT NULL,"
    " CONSTRAINT pk_knowledge_passage_vectors PRIMARY KEY (workspace_id, collection, passage_id))",
    "CREATE INDEX IF NOT EXISTS ix_knowledge_passage_vectors_doc"
    " ON knowledge_passage_vectors (workspace_id, collection, doc_id)",
    "CREATE INDEX IF NOT EXISTS ix_knowledge_passage_vectors_text_hash"
    " ON knowledge_passage_vectors (text_hash)",
    "CREATE INDEX IF NOT EXISTS ix_knowledge_passage_vectors_title_hash"
    " ON knowledge_passage_vectors (title_hash)",
    # Inner product on unit vectors is the cosine; HNSW defaults m=16, ef_construction=64.
    "CREATE INDEX IF NOT EXISTS ix_knowledge_passage_vectors_hnsw"
    " ON knowledge_passage_vectors USING hnsw (embedding vector_ip_ops)",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.execute(
        sa.text("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")
    ).scalar()
    if available is None:
        log.warning(
            "knowledge.vector_store_skipped",
            reason="the PostgreSQL server has no pgvector extension; keeping in-process indexes",
        )
        return
    try:
        with bind.begin_nested():  # a refused CREATE EXTENSION must not abort the migration
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
    except sa.exc.DBAPIError as exc:
        log.warning(
            "knowledge.vector_store_skipped",
            reason=f"CREATE EXTENSION vector failed: {str(exc.orig).strip()[:200]}",
        )
        return
    for statement in STATEMENTS:
        bind.execute(sa.text(statement))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("DROP TABLE IF EXISTS knowledge_passage_vectors"))
