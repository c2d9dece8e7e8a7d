"""Many customers and agents at once: no request fails and every message is stored once.

The embedded SQLite default used to answer 500 ("database is locked") under this load: a
deferred transaction that read and then wrote lost the race to another writer."""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support import Api, LiveServer

CUSTOMERS = 32
FOLLOW_UPS = 4
AGENTS = (
    ("supervisor@example.com", "demo-supervisor"),
    ("agent@example.com", "demo-agent"),
    ("carmen@example.com", "demo-agent"),
    ("diego@example.com", "demo-agent"),
)
AGENT_REPLIES = 2
FOLLOW_UP_TEXTS = (
    "where is my order {n}?",
    "can I change the delivery address for order {n}",
    "what is your returns policy",
    "thanks, one more thing about order {n}",
)


@dataclass
class Run:
    """What every client did, and every answer that was not a success."""

    errors: list[str] = field(default_factory=list)
    sent: dict[str, list[str]] = field(default_factory=dict)  # conversation id -> customer texts
    replies: dict[str, list[str]] = field(default_factory=dict)  # conversation id -> agent texts
    escalated: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    lock: threading.Lock = field(default_factory=threading.Lock)
    customers_done: threading.Event = field(default_factory=threading.Event)

    def check(self, r: httpx.Response, what: str, ok: int = 200) -> bool:
        if r.status_code != ok:
            with self.lock:
                self.errors.append(f"{what}: {r.status_code} {r.text[:200]}")
            return False
        return True


def _customer(base_url: str, run: Run, i: int) -> None:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        r = http.post(
            "/api/v1/conversations",
            json={"channel": "webchat", "customer": {"email": f"crowd{i}@example.org"}},
        )
        if not run.check(r, f"start {i}", 201):
            return
        conv = r.json()
        auth = {"Authorization": f"Bearer {conv['customer_token']}"}
        texts = (["agent please"] if i % 2 == 0 else []) + [
            f"{FOLLOW_UP_TEXTS[k].format(n=1000 + i)} (customer {i}, message {k})"
            for k in range(FOLLOW_UPS)
        ]
        run.sent[conv["id"]] = texts
        for k, text in enumerate(texts):
            r = http.post(
                f"/api/v1/conversations/{conv['id']}/messages",
                json={"text": text},
                headers={**auth, "Idempotency-Key": f"c{i}-m{k}"},
            )
            if not run.check(r, f"customer {i} message {k}"):
                return
            if k == 0 and i % 2 == 0:
                status = r.json()["conversation"]["status"]
                if status != "queued":
                    run.errors.append(f"customer {i}: 'agent please' left it {status}")
                run.escalated.put(conv)


def _agent(base_url: str, run: Run, email: str, password: str) -> None:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        r = http.post("/api/v1/auth/token", json={"email": email, "password": password})
        if not run.check(r, f"login {email}"):
            return
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        while True:
            try:
                conv = run.escalated.get(timeout=0.2)
            except queue.Empty:
                if run.customers_done.is_set():
                    return  # every escalation is in the queue before customers are done
                continue
            r = http.post(f"/api/v1/conversations/{conv['id']}/accept", headers=auth)
            if not run.check(r, f"{email} accepts {conv['id']}"):
                return
            for n in range(AGENT_REPLIES):
                text = f"{email} here, reply {n} on {conv['id']}"
                r = http.post(
                    f"/api/v1/conversations/{conv['id']}/replies",
                    json={"text": text},
                    headers=auth,
                )
                if not run.check(r, f"{email} replies on {conv['id']}"):
                    return
                with run.lock:
                    run.replies.setdefault(conv["id"], []).append(text)


def test_customers_and_agents_at_once_lose_and_duplicate_nothing(
    server: LiveServer, api: Api
) -> None:
    run = Run()
    escalations = CUSTOMERS // 2
    with ThreadPoolExecutor(max_workers=CUSTOMERS + len(AGENTS)) as pool:
        agents = [
            pool.submit(_agent, server.url, run, email, password) for email, password in AGENTS
        ]
        customers = [pool.submit(_customer, server.url, run, i) for i in range(CUSTOMERS)]
        try:
            for f in customers:
                f.result(timeout=100)
        finally:
            run.customers_done.set()
        for f in agents:
            f.result(timeout=100)

    assert run.errors == []
    assert len(run.sent) == CUSTOMERS
    assert len(run.replies) == escalations
    token = api.login("supervisor@example.com", "demo-supervisor")
    for conversation_id, texts in run.sent.items():
        r = api.staff(token, "GET", f"/api/v1/conversations/{conversation_id}")
        assert r.status_code == 200, r.text
        read = r.json()
        customer = [m["text"] for m in read["messages"] if m["author"] == "customer"]
        assert customer == texts, conversation_id
        agent = [m["text"] for m in read["messages"] if m["author"] == "agent"]
        assert sorted(agent) == sorted(run.replies.get(conversation_id, [])), conversation_id
        ids = [m["id"] for m in read["messages"]]
        assert len(ids) == len(set(ids))
        # Every customer message was answered exactly once (one routing decision per turn).
        decided = [e for e in read["events"] if e["type"] == "routing.decided"]
        assert len(decided) == len(texts) + 1, conversation_id  # + the opening turn
