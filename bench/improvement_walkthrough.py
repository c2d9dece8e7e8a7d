"""The worked example of docs/improvement.md, against a running demo server.

Start the demo with predictive routing and no experiment timer, then run this:

    export HYBRIDCX_DATA_DIR=/tmp/hcx-improve HYBRIDCX_PORT=8811
    export HYBRIDCX_ASSIGNMENT_STRATEGY=predictive HYBRIDCX_EXPERIMENTS_CHECK_SECONDS=0
    .venv/bin/hybridcx demo &
    .venv/bin/python bench/improvement_walkthrough.py

1. History: Alice and Bob take 40 escalated conversations (damaged items and order
   cancellations) and resolve them; each customer answers the survey. The script plays the
   customers: Bob's damaged-item customers say "resolved" 9 times in 10 and Alice's 4 in 10;
   for cancellations it is the other way round.
2. `hybridcx routing train` learns the outcome model from that event log.
3. A new damaged-item conversation is assigned by the model; its `assignment.decided` event
   is printed.
4. `hybridcx experiments rollout` starts a rollout of a touchier sentiment threshold at 10%
   with an escalation guardrail; 100 customers ask a question; `hybridcx experiments show`
   evaluates it: the guardrail breaks and the rollout is rolled back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import httpx
from websockets.sync.client import connect

BASE = f"http://127.0.0.1:{os.environ.get('HYBRIDCX_PORT', '8811')}"
CLI = [sys.executable, "-m", "hybridcx.cli"]
DAMAGED = "My parcel arrived and the item inside is broken"
CANCEL = "I want to cancel my order"
# (agent, intent) -> every 10 customers, how many say their issue was resolved.
RESOLVED_OF_10 = {
    ("Bob Tech", "damaged"): 9,
    ("Alice Agent", "damaged"): 4,
    ("Bob Tech", "cancel"): 4,
    ("Alice Agent", "cancel"): 9,
}

http = httpx.Client(base_url=BASE, timeout=30)


def login(email: str, password: str) -> str:
    r = http.post("/api/v1/auth/token", json={"email": email, "password": password})
    r.raise_for_status()
    return str(r.json()["access_token"])


def staff(token: str, method: str, path: str, **kw: Any) -> httpx.Response:
    r = http.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)
    r.raise_for_status()
    return r


def start(email: str) -> dict[str, Any]:
    body = {"channel": "webchat", "customer": {"email": email, "name": email.split("@")[0]}}
    r = http.post("/api/v1/conversations", json=body)
    r.raise_for_status()
    return dict(r.json())


def say(conv: dict[str, Any], text: str) -> dict[str, Any]:
    r = http.post(
        f"/api/v1/conversations/{conv['id']}/messages",
        json={"text": text},
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    r.raise_for_status()
    return dict(r.json())


def cli(*args: str) -> str:
    out = subprocess.run([*CLI, *args], capture_output=True, text=True, check=True)
    return out.stdout


def history(sup: str, tokens: dict[str, str]) -> None:
    seen: dict[tuple[str, str], int] = {}
    # Two of a kind in a row, so that longest-idle routing gives each agent both kinds.
    for i in range(40):
        kind = "damaged" if i % 4 < 2 else "cancel"
        conv = start(f"history{i:02d}@example.com")
        say(conv, DAMAGED if kind == "damaged" else CANCEL)
        read = staff(sup, "GET", f"/api/v1/conversations/{conv['id']}").json()
        agent = read["agent"]["name"]
        token = tokens[agent]
        staff(token, "POST", f"/api/v1/conversations/{conv['id']}/replies", json={"text": "On it."})
        staff(token, "POST", f"/api/v1/conversations/{conv['id']}/resolve")
        n = seen[(agent, kind)] = seen.get((agent, kind), 0) + 1
        resolved = (n - 1) % 10 < RESOLVED_OF_10[(agent, kind)]
        http.post(
            f"/api/v1/conversations/{conv['id']}/survey",
            json={"rating": 5 if resolved else 2, "resolved": resolved},
            headers={"Authorization": f"Bearer {conv['customer_token']}"},
        ).raise_for_status()
    print("history:", json.dumps({f"{a} / {k}": n for (a, k), n in sorted(seen.items())}))


def main() -> None:
    cli("seed")
    sup = login("supervisor@example.com", "demo-supervisor")
    tokens = {
        "Alice Agent": login("agent@example.com", "demo-agent"),
        "Bob Tech": login("bob@example.com", "demo-agent"),
    }
    with (
        connect(f"{BASE.replace('http', 'ws')}/ws/agent?token={tokens['Alice Agent']}"),
        connect(f"{BASE.replace('http', 'ws')}/ws/agent?token={tokens['Bob Tech']}"),
    ):
        for t in tokens.values():
            staff(t, "PUT", "/api/v1/agents/me/status", json={"status": "available"})
        time.sleep(0.5)
        print("$ hybridcx routing show  (before any history)")
        r = subprocess.run([*CLI, "routing", "show"], capture_output=True, text=True)
        print(r.stderr.strip())
        history(sup, tokens)
        print("$ hybridcx routing train")
        print(cli("routing", "train"))
        conv = start("new.customer@example.com")
        say(conv, DAMAGED)
        read = staff(sup, "GET", f"/api/v1/conversations/{conv['id']}").json()
        [decision] = [e for e in read["events"] if e["type"] == "assignment.decided"]
        print("assigned to:", read["agent"]["name"])
        print("assignment.decided:", json.dumps(decision["data"], indent=2))

    print("$ hybridcx experiments rollout touchy-sentiment ...")
    print(
        cli(
            "experiments",
            "rollout",
            "touchy-sentiment",
            "--treatment",
            '{"sentiment": {"negative_below": 0.5}}',
            "--steps",
            "0.1,0.5,1",
            "--guardrail",
            "escalation_rate:+0.1",
            "--min-samples",
            "5",
            "--step-samples",
            "5",
            "--step-minutes",
            "0",
        )  # fmt: skip
    )
    statuses: dict[str, int] = {}
    for i in range(100):
        conv = start(f"shopper{i:02d}@example.com")
        status = say(conv, "What are your opening hours?")["conversation"]["status"]
        statuses[status] = statuses.get(status, 0) + 1
    print("100 customers asked about opening hours:", statuses)
    print("$ hybridcx experiments show touchy-sentiment")
    shown = json.loads(cli("experiments", "show", "touchy-sentiment"))
    ev = shown["evaluation"]
    print(
        json.dumps(
            {
                "status": shown["status"],
                "treatment_share": shown["treatment_share"],
                "stop_reason": shown["stop_reason"],
                "arms": ev["arms"],
                "escalation_rate test": ev["comparisons"]["treatment"]["escalation_rate"],
                "guardrails": ev["guardrails"],
            },
            indent=2,
        )
    )
    print("$ hybridcx experiments list")
    print(cli("experiments", "list"))


if __name__ == "__main__":
    main()
