"""A terminal chat client for customers: REST to send, WebSocket to receive live messages."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import Any

import httpx
import websockets

LABELS = {"ai": "AI", "agent": "Agent", "system": "System", "customer": "You"}


def render(message: dict[str, Any]) -> str:
    who = message.get("agent_name") or LABELS.get(message.get("author", ""), "?")
    line = f"[{who}] {message.get('text', '')}"
    buttons = message.get("buttons") or []
    if buttons:
        line += "\n    options: " + " | ".join(buttons) + "  (type one)"
    return line


async def run_chat(url: str, *, email: str, name: str = "", inbox: str | None = None) -> None:
    url = url.rstrip("/")
    body: dict[str, Any] = {"channel": "webchat", "customer": {"email": email, "name": name}}
    if inbox:
        body["inbox"] = inbox
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        try:
            r = await http.post("/api/v1/conversations", json=body)
        except httpx.HTTPError as exc:
            sys.exit(f"Cannot reach {url}: {exc}. Is the server running (make demo)?")
        if r.status_code != 201:
            sys.exit(f"Could not start a chat: {r.status_code} {r.text}")
        conv = r.json()
        seen: set[str] = set()
        for m in conv["messages"]:
            seen.add(m["id"])
            print(render(m))
        token = conv["customer_token"]
        ws_url = url.replace("http", "ws", 1) + f"/ws/conversations/{conv['id']}?token={token}"
        last = [conv["messages"][-1]["id"]] if conv["messages"] else []
        listener = asyncio.create_task(_listen(ws_url, seen, last))
        try:
            await _type_loop(http, conv["id"], token, seen)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener


async def _type_loop(http: httpx.AsyncClient, conv_id: str, token: str, seen: set[str]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line or line.strip() in ("/quit", "/exit"):
            return
        if not line.strip():
            continue
        r = await http.post(
            f"/api/v1/conversations/{conv_id}/messages",
            json={"text": line.rstrip("\n")},
            headers={"Authorization": f"Bearer {token}"},
        )
        if r.status_code != 200:
            print(f"! {r.json().get('detail', r.text)}")
            continue
        for m in r.json()["messages"]:
            if m["id"] not in seen and m["author"] != "customer":
                seen.add(m["id"])
                print(render(m))


async def _listen(ws_url: str, seen: set[str], last: list[str]) -> None:
    """Print live messages; after a network drop, reconnect and replay what was missed."""
    while True:
        try:
            url = f"{ws_url}&after={last[-1]}" if last else ws_url
            async with websockets.connect(url) as ws:
                async for raw in ws:
                    event = json.loads(raw)
                    if event.get("type") == "message.created":
                        m = event["message"]
                        last.append(m["id"])
                        if m["id"] not in seen and m["author"] != "customer":
                            seen.add(m["id"])
                            print(render(m))
                    elif event.get("type") == "conversation.updated":
                        c = event["conversation"]
                        if c.get("queue_position"):
                            print(
                                f"(waiting for a person: you are number {c['queue_position']} in line)"
                            )
        except (OSError, websockets.WebSocketException):
            await asyncio.sleep(2)  # reconnect after a network drop
