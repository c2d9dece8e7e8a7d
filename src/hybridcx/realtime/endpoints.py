"""WebSockets: live events for a customer's conversation and for the staff desk."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from hybridcx.agents import service as agents
from hybridcx.auth import permissions
from hybridcx.auth.service import StaffPrincipal, staff_from_token
from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import message_read
from hybridcx.kit.bus import RESYNC, Subscription, customer_channel, staff_channel
from hybridcx.kit.db import transaction
from hybridcx.kit.ids import hash_token, new_id
from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.ops import outbox
from hybridcx.ops.outbox import parse_event_id
from hybridcx.queue.service import dispatch
from hybridcx.realtime.deps import RealtimeDeps

router = APIRouter(tags=["realtime"])
#: WebSocket close code 1012 "service restart": reconnect (the customer socket with ``after``).
RESTART_CODE = 1012
log = structlog.get_logger(__name__)


def _runtime(ws: WebSocket) -> RealtimeDeps:
    runtime: RealtimeDeps = ws.app.state.runtime  # app.py checks that the runtime fits
    return runtime


@router.websocket("/ws/conversations/{conversation_id}")
async def customer_socket(
    ws: WebSocket,
    conversation_id: str,
    token: str = "",
    after: str | None = None,
    since: str | None = None,
) -> None:
    """New messages and status changes of one conversation, for the customer holding its token.

    Every live event carries its ``event_id``. A client reconnecting passes
    ``since=<last event id it saw>`` and first receives the events of its conversation it
    missed (ops.outbox), then a ``replayed`` marker; ``after=<last message id it has>`` replays
    the public messages it missed from the transcript (older clients, or events past the
    outbox's retention). Clients de-duplicate by event id and message id."""
    runtime = _runtime(ws)
    if since is not None and parse_event_id(since) is None:
        await _bad_since(ws)
        return
    async with runtime.sessions() as session:
        conv = await repo.get_conversation(session, conversation_id)
    if conv is None or not token or conv.customer_token_hash != hash_token(token):
        await ws.close(code=4403, reason="unknown conversation or wrong token")
        return
    await ws.accept()
    channel = customer_channel(conversation_id)
    sub = runtime.bus.hub.subscribe([channel])
    try:
        await ws.send_json({"type": "ready", "conversation_id": conversation_id})
        if since is not None:  # subscribed first: nothing falls between replay and live
            await _replay(runtime, ws, conv.workspace_id, since, channel, conversation_id)
        if after:
            async with runtime.sessions() as session:
                missed = await repo.customer_messages_after(session, conversation_id, after)
            for msg in missed:
                await ws.send_json(
                    {
                        "type": "message.created",
                        "conversation_id": conversation_id,
                        "message": message_read(msg),
                    }
                )
        await _pump(ws, sub, on_message=_ignore, stopping=runtime.stopping)
    finally:
        sub.close()


async def _ignore(_data: dict[str, Any]) -> None:
    return None


async def _bad_since(ws: WebSocket) -> None:
    """Accepted to say why: a close before the handshake reaches the client as a bare 403."""
    await ws.accept()
    await ws.close(code=4400, reason="since must be an event id (<row>-<index>)")


async def _replay(
    runtime: RealtimeDeps,
    ws: WebSocket,
    workspace_id: str,
    since: str,
    channel: str,
    conversation_id: str | None = None,
    allow: Any = None,
) -> None:
    """The stored events of ``channel`` after ``since`` (those ``allow`` lets through), page by
    page, then ``replayed``: how many, and whether the client may trust them alone."""
    count, after_row, complete = 0, None, True
    for page in range(outbox.MAX_REPLAY_PAGES):
        async with runtime.sessions() as session:
            part = await outbox.replay(
                session, workspace_id, since, conversation_id=conversation_id, after_row=after_row
            )
        complete = complete and part.complete
        for channels, payload in part.events:
            if channel in channels and (allow is None or await allow(payload)):
                await ws.send_json(payload)
                count += 1
        after_row = part.last_row
        if not part.more:
            break
        if page == outbox.MAX_REPLAY_PAGES - 1:
            complete = False  # away too long: reload instead
    await ws.send_json({"type": "replayed", "count": count, "complete": complete})


@router.websocket("/ws/agent")
async def agent_socket(ws: WebSocket, token: str = "", since: str | None = None) -> None:
    """Queue and conversation events of the workspace. While connected the agent is *online*;
    send ``{"type": "status", "status": "available"}`` to receive conversations automatically.

    Every live event carries its ``event_id``; a desk reconnecting passes
    ``since=<last event id it saw>`` and first receives what it missed (as filtered live: its
    workspace, its teams), then a ``replayed`` marker (``complete`` false: reload the state)."""
    runtime = _runtime(ws)
    if since is not None and parse_event_id(since) is None:
        await _bad_since(ws)
        return
    async with runtime.sessions() as session:
        staff = await staff_from_token(session, token) if token else None
    if staff is None:
        await ws.close(code=4401, reason="missing or invalid staff token")
        return
    if not permissions.can(staff, permissions.Perm.CONVERSATIONS_READ):
        await ws.close(code=4403, reason=f"the {staff.role} role has no desk")
        return
    await ws.accept()
    connection_id = new_id()
    sub = runtime.bus.hub.subscribe([staff_channel(staff.workspace_id)])
    async with transaction(runtime.sessions) as session:
        await agents.connect(session, staff.agent_id, connection_id)
    heartbeat = asyncio.create_task(_heartbeat(runtime, connection_id))
    try:
        await ws.send_json(
            {
                "type": "ready",
                "agent": {"id": staff.agent_id, "name": staff.name, "role": staff.role},
            }
        )
        allow = _signed_out(ws, staff, runtime)
        if since is not None:  # subscribed first: nothing falls between replay and live
            channel = staff_channel(staff.workspace_id)
            await _replay(runtime, ws, staff.workspace_id, since, channel, allow=allow)
        await dispatch(runtime, staff.workspace_id)

        async def on_message(data: dict[str, Any]) -> None:
            await _agent_command(runtime, ws, staff, data)

        await _pump(
            ws,
            sub,
            on_message=on_message,
            allow=allow,
            stopping=runtime.stopping,
        )
    finally:
        heartbeat.cancel()
        sub.close()
        with contextlib.suppress(Exception):
            async with transaction(runtime.sessions) as session:
                await agents.disconnect(session, connection_id)


async def _agent_command(
    runtime: RealtimeDeps, ws: WebSocket, staff: StaffPrincipal, data: dict[str, Any]
) -> None:
    kind = data.get("type")
    if kind == "ping":
        await ws.send_json({"type": "pong"})
    elif kind == "status" and data.get("status") in agents.AGENT_STATUSES:
        async with transaction(runtime.sessions) as session:
            await agents.set_status(session, staff.agent_id, str(data["status"]))
        await ws.send_json({"type": "status", "status": data["status"]})
        if data["status"] == "available":
            await dispatch(runtime, staff.workspace_id)
    else:
        await ws.send_json(
            {"type": "error", "message": f"Unknown command {kind!r}; use ping or status."}
        )


async def _heartbeat(runtime: RealtimeDeps, connection_id: str) -> None:
    interval = max(1.0, runtime.presence_timeout_seconds / 3)
    while True:
        await asyncio.sleep(interval)
        try:
            async with transaction(runtime.sessions) as session:
                await agents.heartbeat(session, connection_id)
        except Exception as exc:  # the DB blinking must not drop the desk connection
            reraise_if_cancelled(exc)
            log.warning("presence.heartbeat_failed", error=str(exc))


def _signed_out(ws: WebSocket, staff: StaffPrincipal, runtime: RealtimeDeps) -> Any:
    """Close the desk socket of a staff member an admin just deactivated; then
    filter by team."""
    teams = _team_filter(runtime, staff)

    async def allow(event: dict[str, Any]) -> bool:
        if event.get("type") == "staff.signed_out":
            if event.get("agent_id") == staff.agent_id:
                await ws.close(code=4401, reason="signed out by an admin")
                raise WebSocketDisconnect(4401)
            return False
        return teams is None or bool(await teams(event))

    return allow


def _team_filter(runtime: RealtimeDeps, staff: StaffPrincipal) -> Any:
    """For an agent limited to teams: drop events of conversations of other teams."""
    if permissions.can(staff, permissions.Perm.CONVERSATIONS_SUPERVISE):
        return None
    teams: dict[str, str | None] = {}  # a conversation's team never changes

    async def allow(event: dict[str, Any]) -> bool:
        conv_id = (
            event.get("conversation_id")
            or (event.get("conversation") or {}).get("id")
            or (event.get("approval") or {}).get("conversation_id")  # approval.requested/decided
        )
        if not isinstance(conv_id, str):
            return True
        if conv_id not in teams:
            async with runtime.sessions() as session:
                conv = await repo.get_conversation(
                    session, conv_id, workspace_id=staff.workspace_id
                )
            teams[conv_id] = conv.team if conv else "\0gone"
        team = teams[conv_id]
        return team is None or team in staff.teams

    return allow


async def _pump(
    ws: WebSocket,
    sub: Subscription,
    *,
    on_message: Any,
    allow: Any = None,
    stopping: asyncio.Event | None = None,
) -> None:
    """Forward bus events to the socket and client commands to ``on_message`` until either ends,
    or until the process shuts down (``stopping``): then the socket closes with 1012 (service
    restart), the client's cue to reconnect, to another process, at once."""

    async def outbound() -> None:
        while True:
            event = await sub.get()
            if event.get("type") == RESYNC["type"]:  # live events were interrupted: catch up
                if event.get("since"):  # resume from the last event before the interruption
                    await ws.send_json({"type": "resync", "since": event["since"]})
                await ws.close(code=RESTART_CODE, reason="live events interrupted: reconnect")
                return
            if allow is None or await allow(event):
                await ws.send_json(event)

    async def inbound() -> None:
        while True:
            raw = await ws.receive_text()
            try:
                data = json.loads(raw)
            except ValueError:
                await ws.send_json({"type": "error", "message": "Send JSON objects."})
                continue
            if isinstance(data, dict):
                await on_message(data)

    async def restart(stopping: asyncio.Event) -> None:
        await stopping.wait()
        await ws.close(code=RESTART_CODE, reason="server restarting: reconnect")

    tasks = [asyncio.create_task(outbound()), asyncio.create_task(inbound())]
    if stopping is not None:
        tasks.append(asyncio.create_task(restart(stopping)))
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            exc = task.exception()
            if exc and not isinstance(exc, WebSocketDisconnect | RuntimeError):
                log.warning("ws.closed_with_error", error=str(exc))
    finally:
        for task in tasks:
            task.cancel()
