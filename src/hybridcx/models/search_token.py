"""The keyed blind index of message words (see hybridcx.kit.blind_index).

One row per distinct word of a stored customer or agent message (``conversation_id``) or of
a customer's name (``customer_id``); ``token`` is an HMAC, never the word. Rows are written
in the flush that stores the message (one multi-row INSERT per flush, see the listener below),
erased with the conversation, and rebuilt with ``hybridcx search reindex``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, delete, event, insert, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from hybridcx.kit.sealed import keyring_for
from hybridcx.models.base import Base
from hybridcx.models.customer import Customer
from hybridcx.models.message import Message


class SearchToken(Base):
    __tablename__ = "search_tokens"
    __table_args__ = (
        Index("ix_search_tokens_workspace_token", "workspace_id", "token"),
        Index("ix_search_tokens_conversation_id", "conversation_id"),
        Index("ix_search_tokens_customer_id", "customer_id"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id"), default=None
    )
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), default=None)
    token: Mapped[str] = mapped_column(String(32))


@event.listens_for(Session, "after_flush")
def _index_new_text(session: Session, _context: Any) -> None:
    """Index the words of messages and customer names this flush stored: one INSERT."""
    from hybridcx.kit.blind_index import INDEXED_AUTHORS, rows

    values: list[dict[str, Any]] = []
    renamed: list[str] = []
    ring = None
    for obj in session.new:
        if isinstance(obj, Message):
            if obj.author in INDEXED_AUTHORS and obj.text:
                ring = ring or keyring_for(session.get_bind().dialect)
                values += rows(
                    ring, obj.workspace_id, obj.text, conversation_id=obj.conversation_id
                )
        elif isinstance(obj, Customer) and obj.name and obj.erased_at is None:
            ring = ring or keyring_for(session.get_bind().dialect)
            values += rows(ring, obj.workspace_id, obj.name, customer_id=obj.id)
    for obj in session.dirty:
        if isinstance(obj, Customer) and inspect(obj).attrs.name.history.has_changes():
            renamed.append(obj.id)
            if obj.name and obj.erased_at is None:
                ring = ring or keyring_for(session.get_bind().dialect)
                values += rows(ring, obj.workspace_id, obj.name, customer_id=obj.id)
    if not values and not renamed:
        return
    connection = session.connection()
    if renamed:
        connection.execute(delete(SearchToken).where(SearchToken.customer_id.in_(renamed)))
    if values:
        connection.execute(insert(SearchToken), values)
