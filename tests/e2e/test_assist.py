"""Agent assist for a conversation a person is handling, and past cases from resolutions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hybridcx.assist.llm_summary import LLMSummaryWriter
from hybridcx.knowledge.engine.openai_compat import OpenAICompatibleProvider
from tests.fake_openai import ChatServer
from tests.support import Api, LiveServer, recv_until


def _escalated(api: Api, first: str, email: str = "alex@example.com") -> tuple[dict, str]:  # type: ignore[type-arg]
    conv = api.start(email, "Alex")
    api.say(conv, first)
    api.say(conv, "agent")
    token = api.login("agent@example.com", "demo-agent")
    assert api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code == 200
    return conv, token


def test_assist_suggests_knowledge_a_draft_actions_and_a_summary(api: Api) -> None:
    conv, token = _escalated(api, "I forgot my password and cannot log in")
    r = api.staff(token, "GET", f"/api/v1/conversations/{conv['id']}/assist")
    assert r.status_code == 200, r.text
    assist = r.json()
    assert assist["next_best_actions"][0]["action"] == "send_password_reset"
    assert "Alex" in assist["summary"] and "customer asked for a person" in assist["summary"]
    assert assist["draft"]["text"].startswith("Hi Alex")
    run = api.staff(
        token,
        "POST",
        f"/api/v1/conversations/{conv['id']}/assist/actions",
        json={"action": "send_password_reset"},
    )
    assert run.status_code == 200 and "a•••@example.com" in run.json()["sent_to_customer"]
    customer_view = api.http.get(
        f"/api/v1/conversations/{conv['id']}",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    ).json()
    assert any(
        "password reset link" in m["text"]
        for m in customer_view["messages"]
        if m["author"] == "agent"
    )
    assert not any(m["internal"] for m in customer_view["messages"])


def test_assist_cites_policy_knowledge_and_pushes_on_new_messages(api: Api) -> None:
    conv, token = _escalated(api, "My order 1001 is late")
    desk = api.agent_ws(token)
    try:
        api.say(conv, "Can I return an item if I change my mind?")
        event = recv_until(
            desk, lambda e: e["type"] == "assist.updated" and e["conversation_id"] == conv["id"]
        )
    finally:
        desk.close()
    assist = event["assist"]
    assert "Returns policy" in [k["title"] for k in assist["knowledge"]]
    assert (
        assist["draft"]["grounded"] and assist["draft"]["sources"][0]["title"] == "Returns policy"
    )
    assert "30 days" in assist["draft"]["text"]


def test_resolved_conversations_become_masked_past_cases(api: Api) -> None:
    conv, token = _escalated(
        api, "My parcel arrived damaged and the jacket is torn, please call me on +1 415 555 0134"
    )
    api.say(conv, "You can also mail me at alex@example.com")
    api.staff(
        token,
        "POST",
        f"/api/v1/conversations/{conv['id']}/replies",
        json={"text": "Sorry about that! I've sent a free replacement by express delivery."},
    )
    done = api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/resolve").json()
    assert done["status"] == "resolved"
    events = api.staff(token, "GET", f"/api/v1/conversations/{conv['id']}").json()["events"]
    resolved = [e for e in events if e["type"] == "conversation.resolved"][0]["data"]
    assert resolved["category"] == "Orders" and resolved["summary"].endswith("Resolved.")
    # the issue (PII masked), what was done, and that nothing is pending
    assert resolved["summary"].startswith(
        'Alex Morgan contacted us about orders: "My parcel arrived damaged and the jacket is torn,'
    )
    assert "I've sent a free replacement" in resolved["summary"].split("Done: ")[1]
    assert "Pending: nothing." in resolved["summary"] and "415" not in resolved["summary"]
    other, token = _escalated(
        api, "The box came damaged and the bottle is broken", "jordan.reed@example.com"
    )
    cases = api.staff(token, "GET", f"/api/v1/conversations/{other['id']}/assist").json()[
        "similar_cases"
    ]
    assert cases, "the resolved conversation should be offered as a similar case"
    assert "free replacement" in cases[0]["resolution"]
    assert "415" not in cases[0]["question"] and "alex@example.com" not in cases[0]["question"]
    assert "damaged" in cases[0]["question"]
    assert "[PHONE]" in cases[0]["question"] and "[EMAIL]" in cases[0]["question"]


def test_assist_is_scoped_and_checked(api: Api) -> None:
    conv, token = _escalated(api, "hello")
    assert api.http.get(f"/api/v1/conversations/{conv['id']}/assist").status_code == 401
    r = api.http.get(
        f"/api/v1/conversations/{conv['id']}/assist",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code == 401
    assert api.staff(token, "GET", "/api/v1/conversations/nope/assist").status_code == 404
    bad = api.staff(
        token,
        "POST",
        f"/api/v1/conversations/{conv['id']}/assist/actions",
        json={"action": "rm -rf"},
    )
    assert bad.status_code == 422


@pytest.fixture
def llm_summaries(server: LiveServer, chat_server: str) -> Iterator[None]:
    """The shared server writes post-contact summaries with the fake LLM for one test."""
    before = server.runtime.summary_writer
    server.runtime.summary_writer = LLMSummaryWriter(
        OpenAICompatibleProvider(chat_server, "sk-test", "small-model"), timeout_seconds=5
    )
    yield
    server.runtime.summary_writer = before


def test_with_an_llm_the_resolved_summary_and_category_are_the_models(
    api: Api, llm_summaries: None
) -> None:
    conv, token = _escalated(api, "My order 1001 is late, reach me at alex@example.com")
    path = f"/api/v1/conversations/{conv['id']}"
    api.staff(token, "POST", f"{path}/replies", json={"text": "I've chased the courier for you."})
    ChatServer.requests = []
    assert api.staff(token, "POST", f"{path}/resolve").status_code == 200
    events = api.staff(token, "GET", path).json()["events"]
    [resolved] = [e["data"] for e in events if e["type"] == "conversation.resolved"]
    assert resolved["category"] == "Account"  # the fake model's pick, not the intent table's
    assert resolved["summary"].startswith("The customer wrote: My order 1001 is late")
    [request] = ChatServer.requests
    assert "alex@example.com" not in str(request["body"])
    assert "I've chased the courier for you." in request["body"]["messages"][1]["content"]
