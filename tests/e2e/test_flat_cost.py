"""A customer's message costs the same work with 2,000 conversations waiting and with a long
history as with an empty queue and a new conversation.

Work is counted, not timed: SQL statements the request runs, values decrypted, and runs of the
MiniLM encoder. The large queue and the long history are inserted straight into the
database (creating them over HTTP would take minutes)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from hybridcx.conversations.turns import TURN_WINDOW
from hybridcx.kit.db import transaction
from hybridcx.kit.ids import hash_token, new_id, new_token, utcnow
from hybridcx.kit.sealed import keyring_for
from hybridcx.models import Conversation, Customer, Inbox, Message
from hybridcx.nlu.embeddings import MiniLMEmbedder
from tests.support import Api, LiveServer

QUEUE = 2_000
HISTORY = 200
# A turn may do this many more statements or decryptions with the big queue or long history
# (none today; a little room for a cache that happened to expire between the two turns).
SLACK = 2


@dataclass
class Work:
    statements: int = 0
    decrypted: int = 0
    encoded: int = 0  # runs of the MiniLM model
    texts: list[str] = field(default_factory=list, repr=False)  # the statements, for a failure


@contextmanager
def counting(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Work]:
    """Count what the request handlers do (background tasks of the server are left out)."""
    work = Work()
    engine = server.runtime.engine.sync_engine

    def in_request() -> bool:
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return False
        return task is not None and "run_asgi" in task.get_coro().__qualname__  # type: ignore[union-attr]

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # BEGIN is counted by the driver on main's SQLite, where transactions began implicitly.
        if in_request() and not statement.startswith("BEGIN"):
            work.statements += 1
            work.texts.append(" ".join(statement.split())[:160])

    ring = keyring_for(engine.dialect)
    decrypt = ring.decrypt

    def counted_decrypt(value: str) -> str:
        if in_request():
            work.decrypted += 1
        return decrypt(value)

    encode_batch = MiniLMEmbedder._encode_batch

    def counted_encode(self: MiniLMEmbedder, texts: list[str]) -> Any:
        work.encoded += 1  # one model run (a batch of up to 32 texts)
        return encode_batch(self, texts)

    monkeypatch.setattr(ring, "decrypt", counted_decrypt)
    monkeypatch.setattr(MiniLMEmbedder, "_encode_batch", counted_encode)
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield work
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        monkeypatch.undo()


async def _fill_queue(server: LiveServer, n: int) -> None:
    """``n`` queued web chats from 50 customers (a fifth of them VIP), waiting for a while."""
    async with transaction(server.runtime.sessions) as session:
        inbox = (
            await session.execute(select(Inbox).where(Inbox.key == "demo-webchat"))
        ).scalar_one()
        now = utcnow()
        customers = [
            Customer(
                id=new_id(),
                workspace_id=inbox.workspace_id,
                email=f"waiting{i}@example.org",
                name=f"Waiting {i}",
                vip=i % 5 == 0,
            )
            for i in range(50)
        ]
        session.add_all(customers)
        await session.flush()
        for i in range(n):
            session.add(
                Conversation(
                    id=new_id(),
                    workspace_id=inbox.workspace_id,
                    inbox_id=inbox.id,
                    customer_id=customers[i % 50].id,
                    channel="webchat",
                    status="queued",
                    tier=2 + i % 2,
                    customer_token_hash=hash_token(new_token()),
                    routing={"reasons": ["customer_request"]},
                    handoff={"summary": f"waiting customer {i}", "transcript": []},
                    ai_state={},
                    created_at=now - timedelta(minutes=30),
                    queued_at=now - timedelta(seconds=i),
                    required_skill="general",
                )
            )


async def _add_history(server: LiveServer, conversation_id: str, n: int) -> None:
    async with transaction(server.runtime.sessions) as session:
        conv = (
            await session.execute(select(Conversation).where(Conversation.id == conversation_id))
        ).scalar_one()
        for i in range(n):
            session.add(
                Message(
                    workspace_id=conv.workspace_id,
                    conversation_id=conv.id,
                    author="customer" if i % 2 == 0 else "ai",
                    text=f"earlier message {i} about order {1000 + i}",
                    created_at=utcnow(),
                )
            )


_turns = itertools.count(1000)


def _turn(
    server: LiveServer, api: Api, monkeypatch: pytest.MonkeyPatch, conv: dict[str, Any]
) -> Work:
    # A new text each turn: the encoder remembers texts it embedded already. A question the
    # knowledge base answers, so every measured turn leaves the conversation as it found it (an
    # order the customer does not have would end in a handoff after a few turns).
    text = f"Do you ship to Canada? This is question {next(_turns)}."
    # Agent assist from the previous turn runs after its answer; it is not this turn's work.
    server.call(server.runtime.assist_debouncer.drain())
    with counting(server, monkeypatch) as work:
        r = api.say(conv, text)
        assert r.status_code == 200, r.text
    return work


def _queued(api: Api, email: str) -> dict[str, Any]:
    conv = api.start(email)
    r = api.say(conv, "agent please")
    assert r.json()["conversation"]["status"] == "queued", r.text
    return conv


def test_a_turn_costs_the_same_with_2000_conversations_queued(
    server: LiveServer, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = _queued(api, "first@example.org")
    _turn(server, api, monkeypatch, alone)  # warm the caches a first turn fills
    small = _turn(server, api, monkeypatch, alone)

    server.call(_fill_queue(server, QUEUE))
    crowded = _queued(api, "last@example.org")
    _turn(server, api, monkeypatch, crowded)
    big = _turn(server, api, monkeypatch, crowded)
    state = api.say(crowded, "still there?").json()["conversation"]
    assert state["queue_position"] == QUEUE + 2  # behind the earlier ones, tiers 2 and 3 alike

    assert big.statements <= small.statements + SLACK, (small, big)
    assert big.decrypted <= small.decrypted + SLACK, (small, big)
    assert small.encoded == big.encoded == 1, (small, big)


def test_a_turn_costs_the_same_in_a_200_message_conversation(
    server: LiveServer, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    short = api.start("short@example.org")
    _turn(server, api, monkeypatch, short)
    small = _turn(server, api, monkeypatch, short)

    long = api.start("long@example.org")
    server.call(_add_history(server, long["id"], HISTORY))
    _turn(server, api, monkeypatch, long)
    big = _turn(server, api, monkeypatch, long)
    server.call(_add_history(server, long["id"], HISTORY))
    bigger = _turn(server, api, monkeypatch, long)

    assert big.statements <= small.statements + SLACK, (small, big)
    # A turn reads the recent window: more than a 4-message conversation, never more than the
    # window, and nothing more when the conversation doubles.
    assert big.decrypted <= small.decrypted + TURN_WINDOW, (small, big)
    assert bigger.statements <= big.statements + SLACK, (big, bigger)
    assert bigger.decrypted <= big.decrypted + SLACK, (big, bigger)
    assert small.encoded == big.encoded == 1, (small, big)


def test_statements_per_turn_stay_few(
    server: LiveServer, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    conv = api.start("few@example.org")
    _turn(server, api, monkeypatch, conv)
    work = _turn(server, api, monkeypatch, conv)
    # 22 on main (December): the staff-token check, phase 1's extra conversation update, the
    # answer lease's own transaction, three workspace reads and the experiments query are gone.
    # 13 before the customer message was inserted with its answer (no UPDATE of the stored
    # response); 12 then; 9 once the conversation, its customer and the Idempotency-Key check
    # were one read and the turn's messages one INSERT; 8 with an FAQ's article kept per
    # knowledge revision; 9 with the INSERT of the turn's live events into the outbox
    # (ops.outbox). One of slack: experiments are re-read every 2 seconds.
    assert work.statements <= 10, "\n".join(work.texts)


def test_a_message_with_a_typo_is_embedded_in_one_model_run(
    server: LiveServer, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The intent model reads a repaired text ("pasword" -> "password"), the knowledge search
    the text as written: both are embedded in the turn's one batch, not in a second run."""
    conv = api.start("typo@example.org")
    _turn(server, api, monkeypatch, conv)
    classifier = server.runtime.live_model.classifier
    text = f"I forgot my pasword for order {next(_turns)}, how do I reset it?"
    assert classifier.repaired([text]) != [text]  # the model does repair this one
    server.call(server.runtime.assist_debouncer.drain())
    with counting(server, monkeypatch) as work:
        r = api.say(conv, text)
        assert r.status_code == 200, r.text
    assert work.encoded == 1, work
