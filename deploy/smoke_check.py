"""What deploy/smoke.sh checks against a running hybridcx, from inside the hybridcx image.

    python smoke_check.py BASE_URL [--messages N]

Waits for /readyz, starts a web chat conversation, opens its WebSocket, sends N customer
messages over HTTP and expects the AI's answer to each both in the HTTP response and as a live
event on the socket. Behind the compose proxy the socket sits on one replica while the POSTs
alternate between both, so the events of the other replica's answers must come through Redis.
Prints one JSON line per step; exits non-zero on the first failure.
"""

import argparse
import asyncio
import json
import sys
import time
import urllib.error
import urllib.request

import websockets

# Questions the demo knowledge base (`hybridcx seed`) answers; a workspace without articles
# answers them with a fallback, and hands the conversation to a person after two of those.
QUESTIONS = [
    "What are your opening hours?",
    "How long does shipping take?",
    "Can I return an item?",
]


def call(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


def step(name, **fields):
    print(json.dumps({"step": name, **fields}), flush=True)


def wait_ready(base, seconds):
    deadline = time.monotonic() + seconds
    status, body, attempts = None, None, 0
    while time.monotonic() < deadline:
        try:
            status, body = call("GET", f"{base}/readyz")
        except OSError as err:
            status, body = None, str(err)
        if status == 200 and all(check["ok"] for check in body["checks"].values()):
            step("readyz", status=status, checks=body["checks"], attempts=attempts + 1)
            return
        attempts += 1
        time.sleep(1)
    raise SystemExit(f"not ready (every check ok) after {seconds}s: {status} {body}")


async def chat(base, messages):
    status, conv = call(
        "POST",
        f"{base}/api/v1/conversations",
        {"channel": "webchat", "customer": {"email": "smoke@example.com", "name": "Sam Smoke"}},
    )
    if status != 201:
        raise SystemExit(f"start conversation: {status} {conv}")
    step("conversation", status=status, id=conv["id"], greeting=conv["messages"][0]["text"][:60])
    ws_url = (
        base.replace("http", "ws", 1)
        + f"/ws/conversations/{conv['id']}?token={conv['customer_token']}"
    )
    auth = {"Authorization": f"Bearer {conv['customer_token']}"}
    async with websockets.connect(ws_url, open_timeout=15) as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), 15))
        if first.get("type") != "ready":
            raise SystemExit(f"websocket: expected ready, got {first}")
        step("websocket", first=first["type"])
        for n in range(messages):
            status, body = call(
                "POST",
                f"{base}/api/v1/conversations/{conv['id']}/messages",
                {"text": QUESTIONS[n % len(QUESTIONS)]},
                {**auth, "Idempotency-Key": f"smoke-{n}"},
            )
            if status != 200:
                raise SystemExit(f"message {n}: {status} {body}")
            answer = [m for m in body["messages"] if m["author"] == "ai"]
            if not answer:
                raise SystemExit(f"message {n}: no AI answer in {body}")
            want = answer[-1]["id"]
            deadline = time.monotonic() + 15
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit(f"message {n}: AI answer {want} never came on the socket")
                event = json.loads(await asyncio.wait_for(ws.recv(), left))
                if json.dumps(event).find(want) >= 0:
                    break
            step("message", n=n, status=status, ai=answer[-1]["text"][:60], on_socket=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--messages", type=int, default=1)
    parser.add_argument("--wait", type=int, default=120)
    args = parser.parse_args()
    wait_ready(args.base.rstrip("/"), args.wait)
    asyncio.run(chat(args.base.rstrip("/"), args.messages))
    step("ok")


if __name__ == "__main__":
    sys.exit(main())
