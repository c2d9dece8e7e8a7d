"""What the README says, checked against the running server: the claims it once got wrong
(a flow ignoring an order number in its first message; who may call which endpoint; the
post-contact summary's shape), and that every setting, command, link and API path it names
exists."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from hybridcx.cli import app as cli_app
from hybridcx.config import Settings
from tests.support import Api, LiveServer

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_an_order_number_in_the_first_message_is_used_at_once(api: Api) -> None:
    assert "It does not take slot values from the message that starts a flow" not in README
    assert '"Where is my order 1001?" gets\nthe status straight away.' in README
    conv = api.start("alex@example.com", "Alex Morgan")
    r = api.say(conv, "Where is my order 1001?")
    [answer] = [m["text"] for m in r.json()["messages"] if m["author"] == "ai"]
    assert answer.startswith("Order 1001 is shipped with UPS (tracking number 1Z999AA10123456784)")
    # someone else's order number is not used: the flow asks for the number
    other = api.start("jordan.reed@example.com", "Jordan Reed")
    r = api.say(other, "Where is my order 1001?")
    [asked] = [m["text"] for m in r.json()["messages"] if m["author"] == "ai"]
    assert "What's your order number?" in asked and "1Z999AA10123456784" not in asked


def test_who_may_call_what_is_as_the_api_table_says(api: Api) -> None:
    agent = api.login("agent@example.com", "demo-agent")
    sup = api.login("supervisor@example.com", "demo-supervisor")
    auditor = api.login("auditor@example.com", "demo-auditor")
    assert "| `GET /api/v1/agents` | staff |" in README
    assert api.staff(agent, "GET", "/api/v1/agents").status_code == 200
    assert "| `GET /api/v1/dashboard?hours=` | supervisor, admin, auditor |" in README
    assert api.staff(auditor, "GET", "/api/v1/dashboard").status_code == 200
    assert "| `GET /api/v1/quality/agents?from=&to=` | supervisor, admin, auditor |" in README
    assert api.staff(auditor, "GET", "/api/v1/quality/agents").status_code == 200
    assert api.staff(auditor, "GET", "/api/v1/routing/status").status_code == 200
    assert api.staff(agent, "GET", "/api/v1/routing/status").status_code == 403
    # predictive routing is not in use here (longest idle): nothing to alert about
    status = api.staff(sup, "GET", "/api/v1/routing/status").json()
    assert status["strategy"] == "longest_idle" and status["in_use"] is False
    assert status["alert"] is None and status["retrain_every_hours"] is None
    # export and erasure are the admins'; supervisors record consents
    assert "Admins export a customer's data" in README
    conv = api.start("alex@example.com", "Alex Morgan")
    customer_id = api.staff(sup, "GET", f"/api/v1/conversations/{conv['id']}").json()["customer"][
        "id"
    ]
    assert api.staff(sup, "GET", f"/api/v1/customers/{customer_id}/export").status_code == 403
    assert api.staff(sup, "GET", f"/api/v1/customers/{customer_id}/consents").status_code == 200


def test_the_assist_walk_through_gives_what_the_readme_shows(api: Api) -> None:
    conv = api.start("alex@example.com", "Alex Morgan")
    api.say(conv, "I can't log in, I forgot my password")
    api.say(conv, "agent")
    token = api.login("agent@example.com", "demo-agent")
    path = f"/api/v1/conversations/{conv['id']}"
    assert api.staff(token, "POST", f"{path}/accept").status_code == 200
    assist = api.staff(token, "GET", f"{path}/assist").json()
    assert assist["knowledge"] == [] and assist["draft"]["grounded"] is False
    assert f'"summary": {_json(assist["summary"])}' in README
    api.staff(token, "POST", f"{path}/assist/actions", json={"action": "send_password_reset"})
    reply = (
        "The link is valid for 30 minutes; check your spam folder if it does not arrive, "
        "alex@example.com."
    )
    api.staff(token, "POST", f"{path}/replies", json={"text": reply, "internal": False})
    assert api.staff(token, "POST", f"{path}/resolve").status_code == 200
    events = api.staff(token, "GET", path).json()["events"]
    [resolved] = [e["data"] for e in events if e["type"] == "conversation.resolved"]
    assert f'"summary": {_json(resolved["summary"])}' in README
    assert resolved["category"] == "Account"


def _json(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def test_every_setting_command_link_and_path_the_readme_names_exists(server: LiveServer) -> None:
    fields = set(Settings.model_fields)
    named = set(re.findall(r"HYBRIDCX_([A-Z0-9_]*[A-Z0-9])\b", README)) - {"ROUTING"}
    assert sorted(n for n in named if n.lower() not in fields) == []

    groups: dict[str, object] = typer.main.get_command(cli_app).commands  # type: ignore[attr-defined]
    unknown = []
    for group, sub in re.findall(
        r"(?:\.venv/bin/|`)hybridcx ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", README
    ):
        cmd = groups.get(group)
        subs = getattr(cmd, "commands", None)
        if cmd is None or (subs is not None and sub and sub not in subs):
            unknown.append(f"{group} {sub}".strip())
    assert unknown == []

    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README)
    assert [x for x in links if not x.startswith("http") and not (ROOT / x).exists()] == []

    paths = _api_paths(server)
    named_paths = set(re.findall(r"`(?:GET|POST|PUT|PATCH|DELETE) (/api/v1/[^` ?]*)", README))
    named_paths = {p for p in named_paths if not p.endswith("...")}  # a family, not a path
    patterns = [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$") for p in paths]
    missing = [
        p for p in named_paths if not any(x.match(re.sub(r"\{[^}]+\}", "x", p)) for x in patterns)
    ]
    assert missing == []


def _api_paths(server: LiveServer) -> list[str]:
    import httpx

    return list(httpx.get(f"{server.url}/openapi.json", timeout=30).json()["paths"])
