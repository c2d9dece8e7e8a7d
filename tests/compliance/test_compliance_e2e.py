"""Compliance rules through the real server: disclosures in the AI's answers, human-only topics,
the compliance record, and the quality rubric's check of the disclosure."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from hybridcx.cli import app
from tests.compliance.conftest import EXAMPLES
from tests.support import Api, LiveServer

SECRET = "demo-widget-secret"


def verified(api: Api, email: str = "alex@example.com") -> dict[str, Any]:
    digest = hmac.new(SECRET.encode(), email.encode(), hashlib.sha256).hexdigest()
    return api.start(email, "Alex", inbox="demo-webchat", identity_hash=digest)


def say(api: Api, conv: dict[str, Any], text: str) -> dict[str, Any]:
    r = api.say(conv, text)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_finance_balance_answer_carries_the_disclosure_and_is_recorded(
    api: Api, workspace_policy: Callable[[str], None]
) -> None:
    workspace_policy((EXAMPLES / "finance.yaml").read_text())
    conv = verified(api)
    body = say(api, conv, "What's the status of my account?")
    [answer] = [m for m in body["messages"] if m["author"] == "ai"]
    assert "AC-1001 is active" in answer["text"]
    assert answer["text"].endswith("Balances may not include pending transactions.")

    sup = api.login("supervisor@example.com", "demo-supervisor")
    record = api.staff(sup, "GET", f"/api/v1/compliance/conversations/{conv['id']}").json()
    assert record["regulated"] and [r["name"] for r in record["rules"]] == ["balances"]
    assert record["disclosures"] == [
        {
            "rule": "balances",
            "text": "Balances may not include pending transactions.",
            "message_id": answer["id"],
        }
    ]
    assert record["verification"] == {"verified": True, "method": "identity_hash"}
    listed = api.staff(sup, "GET", "/api/v1/compliance/records").json()["records"]
    assert [r["conversation_id"] for r in listed] == [conv["id"]]

    quality = api.staff(sup, "GET", f"/api/v1/quality/conversations/{conv['id']}").json()
    [criterion] = [c for c in quality["criteria"] if c["criterion"] == "compliance"]
    assert criterion["applicable"] and criterion["score"] == 1.0
    assert criterion["evidence"] == [answer["id"]]


def test_finance_hardship_is_never_handled_by_the_ai_alone(
    api: Api, workspace_policy: Callable[[str], None]
) -> None:
    workspace_policy((EXAMPLES / "finance.yaml").read_text())
    conv = api.start()
    body = say(api, conv, "I lost my job and I can't pay my bill this month")
    state = body["conversation"]
    assert state["status"] == "queued" and state["tier"] == 3
    assert "compliance_rule" in state["routing"]["reasons"]
    admin = api.login("admin@example.com", "demo-admin")
    record = api.staff(admin, "GET", f"/api/v1/compliance/conversations/{conv['id']}").json()
    [rule] = record["rules"]
    assert rule["name"] == "financial_hardship" and not rule["ai_allowed"]
    assert "specialists" in rule["reason"]
    agent = api.login("agent@example.com", "demo-agent")
    denied = api.staff(agent, "GET", f"/api/v1/compliance/conversations/{conv['id']}")
    assert denied.status_code == 403


def test_healthcare_emergency_goes_to_a_person_with_the_emergency_disclosure(
    api: Api, workspace_policy: Callable[[str], None]
) -> None:
    workspace_policy((EXAMPLES / "healthcare.yaml").read_text())
    conv = api.start()
    body = say(api, conv, "My husband has chest pain and his arm is numb")
    assert body["conversation"]["tier"] == 3 and body["conversation"]["status"] == "queued"
    ai = [m for m in body["messages"] if m["author"] == "ai"]
    assert ai and "call 911" in ai[-1]["text"]


def test_healthcare_booking_reminds_not_to_share_health_details(
    api: Api, workspace_policy: Callable[[str], None]
) -> None:
    workspace_policy((EXAMPLES / "healthcare.yaml").read_text())
    conv = api.start()
    body = say(api, conv, "I'd like to book an appointment")
    assert body["conversation"]["status"] == "bot"
    assert "Please don't share symptoms" in body["messages"][-1]["text"]
    assert body["messages"][-1]["buttons"]  # the flow's slot buttons are kept


def test_without_rules_nothing_is_recorded(api: Api) -> None:
    conv = api.start()
    say(api, conv, "What are your opening hours?")
    sup = api.login("supervisor@example.com", "demo-supervisor")
    record = api.staff(sup, "GET", f"/api/v1/compliance/conversations/{conv['id']}").json()
    assert not record["regulated"] and record["events"] == []
    missing = api.staff(sup, "GET", "/api/v1/compliance/conversations/nope")
    assert missing.status_code == 404


def test_cli_prints_the_records_the_api_lists(
    api: Api,
    server: LiveServer,
    workspace_policy: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    workspace_policy((EXAMPLES / "finance.yaml").read_text())
    conv = api.start()
    say(api, conv, "Should I move my pension into crypto?")
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("HYBRIDCX_DATABASE_URL", server.settings.effective_database_url)
    result = CliRunner().invoke(app, ["audit", "compliance"])
    assert result.exit_code == 0, result.output
    [record] = json.loads(result.output)["records"]
    assert record["conversation_id"] == conv["id"]
    assert record["rules"][0]["name"] == "investment_information"
    assert record["disclosures"][0]["text"] == "This is not financial advice."
    sup = api.login("supervisor@example.com", "demo-supervisor")
    assert api.staff(sup, "GET", "/api/v1/compliance/records").json()["records"] == [record]
    bad = CliRunner().invoke(app, ["audit", "compliance", "--from", "yesterday"])
    assert bad.exit_code == 2
