"""Answer leases tied to the process heartbeat: a dead process's lease is taken over at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from hybridcx.auth.service import CustomerPrincipal
from hybridcx.conversations import repository as repo
from hybridcx.conversations.turns import CustomerTurns
from hybridcx.kit.db import transaction
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.models import Message, ServerProcess
from hybridcx.ops.heartbeat import DEAD_AFTER_SECONDS, Heartbeat
from tests.support import Api, LiveServer


def _store_unanswered(server: LiveServer, conv: dict[str, Any], text: str, key: str) -> str:
    """Phase 1 only: the message stored with its answer lease taken, as a process that died
    before answering leaves it."""
    svc = CustomerTurns(server.runtime)
    message_id, done, leased = server.call(
        svc._accept_customer_message(
            conv["id"], CustomerPrincipal(token=conv["customer_token"]), text, key
        )
    )
    assert done is None and leased
    return str(message_id)


def _set_lease(server: LiveServer, message_id: str, *, by: str | None, age: float) -> None:
    async def run() -> None:
        async with transaction(server.runtime.sessions) as session:
            await session.execute(
                update(Message)
                .where(Message.id == message_id)
                .values(answering_by=by, answering_at=utcnow() - timedelta(seconds=age))
            )

    server.call(run())


def _add_process(server: LiveServer, *, beat_age: float) -> str:
    async def run() -> str:
        now = utcnow()
        process = ServerProcess(
            host="elsewhere", pid=1, started_at=now, beat_at=now - timedelta(seconds=beat_age)
        )
        async with transaction(server.runtime.sessions) as session:
            session.add(process)
            await session.flush()
            return process.id

    return str(server.call(run()))


def _ai_replies(server: LiveServer, conversation_id: str) -> int:
    async def run() -> int:
        async with server.runtime.sessions() as session:
            stmt = select(func.count()).where(
                Message.conversation_id == conversation_id, Message.author == "ai"
            )
            return int((await session.execute(stmt)).scalar_one())

    return int(server.call(run()))


def test_the_server_beats_and_names_itself_on_its_leases(server: LiveServer, api: Api) -> None:
    process_id = server.runtime.process_id
    assert process_id is not None

    async def row() -> ServerProcess | None:
        async with server.runtime.sessions() as session:
            return await session.get(ServerProcess, process_id)

    process = server.call(row())
    assert process is not None and process.host and process.pid > 0

    conv = api.start()
    message_id = _store_unanswered(server, conv, "where is my order", "k-1")

    async def holder() -> str | None:
        async with server.runtime.sessions() as session:
            msg = await repo.get_message(session, message_id)
            return msg.answering_by

    assert server.call(holder()) == process_id
    # Answered: the lease no longer names anyone (the index of held leases stays small).
    r = api.say(conv, "where is my order", **{"Idempotency-Key": "k-1"})
    assert r.status_code == 200, r.text
    assert server.call(holder()) is None


def test_a_retry_takes_over_a_dead_processes_lease_at_once(server: LiveServer, api: Api) -> None:
    conv = api.start()
    message_id = _store_unanswered(server, conv, "what are your opening hours", "k-dead")
    dead = _add_process(server, beat_age=DEAD_AFTER_SECONDS + 4)
    _set_lease(server, message_id, by=dead, age=1)  # fresh by the clock, but its holder is gone

    r = api.say(conv, "what are your opening hours", **{"Idempotency-Key": "k-dead"})
    assert r.status_code == 200, r.text
    assert r.json()["messages"][0]["id"] == message_id
    assert _ai_replies(server, conv["id"]) >= 1
    replies = _ai_replies(server, conv["id"])
    again = api.say(conv, "what are your opening hours", **{"Idempotency-Key": "k-dead"})
    assert again.json() == r.json()  # answered once: a second retry gets the same answer
    assert _ai_replies(server, conv["id"]) == replies


def test_who_may_take_a_lease(server: LiveServer, api: Api) -> None:
    conv = api.start()
    message_id = _store_unanswered(server, conv, "hello", "k-who")
    alive = _add_process(server, beat_age=1)
    silent = _add_process(server, beat_age=DEAD_AFTER_SECONDS + 1)

    def take() -> bool:
        async def run() -> bool:
            now = utcnow()
            async with transaction(server.runtime.sessions) as session:
                return await repo.take_answer_lease(
                    session,
                    message_id,
                    holder="me",
                    stale_before=now - timedelta(seconds=30),
                    dead_before=now - timedelta(seconds=DEAD_AFTER_SECONDS),
                )

        return bool(server.call(run()))

    _set_lease(server, message_id, by=alive, age=1)
    assert not take()  # a live process is answering it
    _set_lease(server, message_id, by=silent, age=1)
    assert take()  # its process stopped beating
    _set_lease(server, message_id, by=new_id(), age=1)
    assert take()  # its process exited (no row)
    _set_lease(server, message_id, by=None, age=1)
    assert not take()  # names no process: only the fixed timeout frees it
    _set_lease(server, message_id, by=None, age=31)
    assert take()


def test_a_beat_hands_back_leases_its_process_no_longer_works_on(
    server: LiveServer, api: Api
) -> None:
    conv = api.start()
    held = _store_unanswered(server, conv, "first", "k-held")
    orphan = _store_unanswered(server, conv, "second", "k-orphan")
    young = _store_unanswered(server, conv, "third", "k-young")
    beat = Heartbeat(server.runtime.sessions, answering=lambda: [held])
    server.call(beat.beat())
    _set_lease(server, held, by=beat.id, age=60)
    _set_lease(server, orphan, by=beat.id, age=60)  # its turn failed; the release did not land
    _set_lease(server, young, by=beat.id, age=0)  # a turn about to mark itself

    server.call(beat.beat())

    async def holders() -> dict[str, str | None]:
        async with server.runtime.sessions() as session:
            rows = await session.execute(
                select(Message.id, Message.answering_by).where(
                    Message.id.in_([held, orphan, young])
                )
            )
            return {str(i): b for i, b in rows.all()}

    assert server.call(holders()) == {held: beat.id, orphan: None, young: beat.id}
    server.call(beat.stop())

    async def row() -> ServerProcess | None:
        async with server.runtime.sessions() as session:
            return await session.get(ServerProcess, beat.id)

    assert server.call(row()) is None  # a clean exit frees its leases at once
