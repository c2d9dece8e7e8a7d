"""The transactional outbox of live events: written with the state change, relayed when the
writer died, replayed to a WebSocket that reconnects (ops.outbox), on both databases."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from hybridcx.kit.bus import customer_channel, staff_channel
from hybridcx.kit.db import transaction
from hybridcx.kit.events import Published
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.models import Conversation, EventOutboxRow, ServerProcess
from hybridcx.ops.outbox import cleanup, relay_once
from tests.support import Api, LiveServer, is_message, read_events_until, recv, recv_until


def _rows(server: LiveServer, conversation_id: str | None = None) -> list[EventOutboxRow]:
    async def run() -> list[EventOutboxRow]:
        query = select(EventOutboxRow).order_by(EventOutboxRow.id)
        if conversation_id is not None:
            query = query.where(EventOutboxRow.conversation_id == conversation_id)
        async with server.runtime.sessions() as session:
            return list((await session.execute(query)).scalars())

    return list(server.call(run()))


def _workspace(server: LiveServer, conversation_id: str) -> str:
    async def run() -> str:
        async with server.runtime.sessions() as session:
            conv = await session.get(Conversation, conversation_id)
            assert conv is not None
            return conv.workspace_id

    return str(server.call(run()))


def _reconnect(api: Api, conv: dict[str, Any], since: str) -> Any:
    ws = connect(
        f"{api.ws_base}/ws/conversations/{conv['id']}?token={conv['customer_token']}&since={since}"
    )
    assert recv(ws)["type"] == "ready"
    return ws


def test_events_are_written_in_the_transaction_and_carry_their_id(
    api: Api, server: LiveServer
) -> None:
    conv = api.start()
    with api.customer_ws(conv) as ws:
        assert api.say(conv, "where is my order?").status_code == 200
        event = recv_until(ws, is_message("where is my order?"))
    assert isinstance(event.get("event_id"), str)
    row_id = int(event["event_id"].split("-")[0])
    rows = {row.id: row for row in _rows(server, conv["id"])}
    assert row_id in rows
    stored = rows[row_id]
    assert stored.process_id == server.runtime.process_id
    index = int(event["event_id"].split("-")[1])
    assert stored.events[index]["payload"]["message"]["text"] == "where is my order?"
    assert customer_channel(conv["id"]) in stored.events[index]["channels"]


def test_a_rollback_writes_no_event_and_a_commit_writes_one_row(server: LiveServer) -> None:
    marker = f"marker-{new_id()}"

    async def run(fail: bool) -> Outbox:
        outbox = Outbox()
        try:
            async with transaction(server.runtime.sessions):
                outbox.emit(Published(staff_channel("w-" + marker), {"type": marker}))
                outbox.emit(Published(staff_channel("w-" + marker), {"type": marker, "n": 2}))
                if fail:
                    raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        return outbox

    def count() -> int:
        return sum(1 for row in _rows(server) if row.events[0]["payload"]["type"] == marker)

    before = count()
    failed = server.call(run(True))
    assert count() == before
    assert failed.ids == {}
    committed = server.call(run(False))
    assert count() == before + 1  # one row for the transaction's two events
    assert [committed.ids[0].split("-")[1], committed.ids[1].split("-")[1]] == ["0", "1"]


def test_the_heartbeat_marks_published_rows_delivered(api: Api, server: LiveServer) -> None:
    conv = api.start()
    assert api.say(conv, "hello there").status_code == 200
    deadline = time.monotonic() + 15
    while True:
        rows = _rows(server, conv["id"])
        if rows and all(row.delivered for row in rows):
            break
        assert time.monotonic() < deadline, [(r.id, r.delivered) for r in rows]
        time.sleep(0.3)


def test_customer_socket_resumes_without_gap_or_duplicate(api: Api, server: LiveServer) -> None:
    conv = api.start()
    with api.customer_ws(conv) as ws:
        assert api.say(conv, "first question").status_code == 200
        seen = read_events_until(ws, is_message("first question"))
    seen_ids = [e["event_id"] for e in seen if "event_id" in e]
    last = seen_ids[-1]
    # While the customer is away: another message and its answer.
    assert api.say(conv, "second question").status_code == 200
    with _reconnect(api, conv, last) as again:
        replayed = read_events_until(again, lambda e: e["type"] == "replayed")
    done = replayed.pop()
    assert done["complete"] is True and done["count"] == len(replayed)
    ids = [e["event_id"] for e in replayed]
    assert len(ids) == len(set(ids))
    after = [i for i in ids if _key(i) > _key(last)]
    texts = [e["message"]["text"] for e in replayed if e["event_id"] in after and "message" in e]
    assert "second question" in texts
    # No gap: every stored event of this customer's channel after `last` was replayed, in order.
    expected = [
        f"{row.id}-{i}"
        for row in _rows(server)
        for i, item in enumerate(row.events)
        if customer_channel(conv["id"]) in item["channels"] and (row.id, i) > _key(last)
    ]
    assert after == expected
    # No duplicate: on SQLite nothing seen comes again; PostgreSQL also replays the few seconds
    # before the last seen event (a smaller id may commit later), which clients drop by id.
    if server.runtime.engine.dialect.name == "sqlite":
        assert ids == after
    assert not set(after) & set(seen_ids)


def _key(event_id: str) -> tuple[int, int]:
    row, index = event_id.split("-")
    return int(row), int(index)


def test_replay_is_scoped_to_the_conversation(api: Api, server: LiveServer) -> None:
    mine = api.start(email="mine@example.com")
    other = api.start(email="other@example.com")
    with api.customer_ws(mine) as ws:
        assert api.say(mine, "my question").status_code == 200
        first = recv_until(ws, is_message("my question"))
    assert api.say(other, "a secret of someone else").status_code == 200
    assert api.say(mine, "my second question").status_code == 200
    with _reconnect(api, mine, first["event_id"]) as again:
        replayed = read_events_until(again, lambda e: e["type"] == "replayed")
    assert any(is_message("my second question")(e) for e in replayed)
    for event in replayed[:-1]:
        assert event.get("conversation_id", event.get("conversation", {}).get("id")) == mine["id"]
        assert "secret" not in str(event)
    # Another conversation's token replays nothing: the socket is refused.
    with pytest.raises(InvalidStatus):
        connect(
            f"{api.ws_base}/ws/conversations/{other['id']}?token={mine['customer_token']}"
            f"&since={first['event_id']}"
        )


def test_a_bad_since_is_refused_with_a_message(api: Api) -> None:
    conv = api.start()
    with (
        connect(
            f"{api.ws_base}/ws/conversations/{conv['id']}?token={conv['customer_token']}&since=x"
        ) as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        recv(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400


def test_desk_resumes_with_what_it_missed(api: Api, server: LiveServer) -> None:
    token = api.login("agent@example.com", "demo-agent")
    conv = api.start()
    with api.agent_ws(token) as desk:
        assert api.say(conv, "hello desk").status_code == 200
        first = recv_until(desk, lambda e: "event_id" in e)
    assert api.say(conv, "I want a human").status_code == 200  # escalates while the desk is away
    with connect(f"{api.ws_base}/ws/agent?token={token}&since={first['event_id']}") as desk:
        assert recv(desk)["type"] == "ready"
        replayed = read_events_until(desk, lambda e: e["type"] == "replayed")
    assert replayed[-1]["complete"] is True
    events = replayed[:-1]
    assert events and all(e["event_id"] != first["event_id"] for e in events)
    assert any(e["type"] == "message.created" and "human" in e["message"]["text"] for e in events)


def _write_row(
    server: LiveServer, *, process_id: str | None, workspace_id: str, payload: dict[str, Any]
) -> int:
    async def run() -> int:
        row = EventOutboxRow(
            workspace_id=workspace_id,
            process_id=process_id,
            delivered=False,
            created_at=utcnow(),
            events=[{"channels": [staff_channel(workspace_id)], "payload": payload}],
        )
        async with transaction(server.runtime.sessions) as session:
            session.add(row)
            await session.flush()
            return row.id

    return int(server.call(run()))


def _add_live_process(server: LiveServer) -> str:
    """Another process, beating now (its rows are its own to publish)."""

    async def run() -> str:
        # Its beat dated ahead: alive for the whole test however slow the machine.
        beat = utcnow() + timedelta(minutes=5)
        process = ServerProcess(host="elsewhere", pid=1, started_at=utcnow(), beat_at=beat)
        async with transaction(server.runtime.sessions) as session:
            session.add(process)
            await session.flush()
            return process.id

    return str(server.call(run()))


def test_the_relay_delivers_what_a_dead_process_left(api: Api, server: LiveServer) -> None:
    token = api.login("agent@example.com", "demo-agent")
    conv = api.start()
    workspace = _workspace(server, conv["id"])
    dead = new_id()  # no heartbeat row: a process that died
    live_payload = {"type": "queue.updated", "marker": "live process"}
    live = _add_live_process(server)
    live_row = _write_row(server, process_id=live, workspace_id=workspace, payload=live_payload)
    payload = {"type": "queue.updated", "marker": "dead process"}
    with api.agent_ws(token) as desk:
        row_id = _write_row(server, process_id=dead, workspace_id=workspace, payload=payload)
        # The server's own relay loop finds it within a round or two.
        event = recv_until(desk, lambda e: e.get("marker") == "dead process", timeout=15)
    assert event["event_id"] == f"{row_id}-0"
    deadline = time.monotonic() + 10  # marked right after it is published
    while not {row.id: row for row in _rows(server)}[row_id].delivered:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    # A live process's row is its own to publish: the relay leaves it alone.
    assert server.call(relay_once(server.runtime.sessions, server.runtime.bus.publish)) == 0
    assert not {row.id: row for row in _rows(server)}[live_row].delivered


def test_retention_deletes_old_rows_in_one_sweep(server: LiveServer) -> None:
    workspace = new_id()
    old = _write_row(server, process_id=None, workspace_id=workspace, payload={"type": "old"})
    new = _write_row(server, process_id=None, workspace_id=workspace, payload={"type": "new"})

    async def age() -> None:
        async with transaction(server.runtime.sessions) as session:
            await session.execute(
                update(EventOutboxRow)
                .where(EventOutboxRow.id == old)
                .values(created_at=utcnow() - timedelta(hours=1))
            )

    server.call(age())
    assert server.call(cleanup(server.runtime.sessions, 900)) >= 1

    async def left() -> list[int]:
        async with server.runtime.sessions() as session:
            return list(
                (
                    await session.execute(
                        select(EventOutboxRow.id).where(EventOutboxRow.workspace_id == workspace)
                    )
                ).scalars()
            )

    assert server.call(left()) == [new]
