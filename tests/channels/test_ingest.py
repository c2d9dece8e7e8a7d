"""The channel core: ingest_inbound runs any channel's message through the web chat pipeline,
one customer record across channels, once per provider message id."""

from __future__ import annotations

import asyncio
from typing import Any

from hybridcx.channels.base import Capabilities, degrade, pick_option
from hybridcx.channels.ingest import InboundResult, ingest_inbound
from hybridcx.customers.repository import to_e164 as normalize_phone
from tests.support import Api, LiveServer

SMS_CAPS = Capabilities(buttons=False, attachments=False, max_length=1600)


def ingest(server: LiveServer, **kw: Any) -> InboundResult:
    return server.call(ingest_inbound(server.runtime, **kw))  # type: ignore[no-any-return]


def staff_view(api: Api, conversation_id: str) -> dict[str, Any]:
    token = api.login("supervisor@example.com", "demo-supervisor")
    r = api.staff(token, "GET", f"/api/v1/conversations/{conversation_id}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_degrade_numbers_quick_replies_and_a_number_picks_one() -> None:
    text = degrade("Shall I send it?", ["Yes", "No"], SMS_CAPS)
    assert text == "Shall I send it?\n1) Yes\n2) No\nReply with a number."
    web = Capabilities(buttons=True, attachments=False, max_length=None)
    assert degrade("Shall I send it?", ["Yes", "No"], web) == "Shall I send it?"
    # already numbered by the flow: not repeated
    listed = "Which time suits you? 1) Sat 09:00; 2) Sat 11:00"
    assert degrade(listed, ["Sat 09:00", "Sat 11:00"], SMS_CAPS) == listed
    assert pick_option(" 2 ", ["Yes", "No"]) == "No"
    assert pick_option("3", ["Yes", "No"]) == "3"
    assert pick_option("1001", ["Yes", "No"]) == "1001"
    assert pick_option("2 please", ["Yes", "No"]) == "2 please"
    assert pick_option("2", []) == "2"


def test_normalize_phone() -> None:
    assert normalize_phone("+1 (202) 555-0100") == "+12025550100"
    assert normalize_phone("(202) 555-0100", "US") == "+12025550100"
    assert normalize_phone("not a number") is None
    assert normalize_phone("") is None


def test_new_phone_customer_gets_the_pipeline_and_a_duplicate_is_stored_once(
    server: LiveServer, api: Api
) -> None:
    first = ingest(
        server,
        channel="sms",
        phone="+1 415 555 0199",
        text="What are your opening hours?",
        external_id="SM-1",
        thread_key="+14155550199",
        meta={"from": "+14155550199"},
    )
    assert not first.duplicate and first.created and first.status == "bot"
    texts = [m["text"] for m in first.ai_messages]
    assert "AI assistant" in texts[0]  # the disclosure opens every new conversation
    assert any("Monday to Friday" in t for t in texts[1:])
    again = ingest(
        server,
        channel="sms",
        phone="+14155550199",
        text="What are your opening hours?",
        external_id="SM-1",
        thread_key="+14155550199",
    )
    assert again.duplicate and again.conversation_id == first.conversation_id
    assert again.ai_messages == []
    view = staff_view(api, first.conversation_id)
    assert view["channel"] == "sms"
    customer_msgs = [m for m in view["messages"] if m["author"] == "customer"]
    assert len(customer_msgs) == 1
    assert customer_msgs[0]["channel_meta"] == {"from": "+14155550199"}
    assert view["customer"]["phone"] == "+14155550199" and view["customer"]["email"] is None
    # the next message continues the same thread
    nxt = ingest(
        server,
        channel="sms",
        phone="+14155550199",
        text="thanks",
        external_id="SM-2",
        thread_key="+14155550199",
    )
    assert not nxt.created and nxt.conversation_id == first.conversation_id


def test_concurrent_duplicates_are_processed_once(server: LiveServer, api: Api) -> None:
    async def both() -> list[InboundResult]:
        kw: dict[str, Any] = {
            "channel": "sms",
            "phone": "+14155550123",
            "text": "Where is my order?",
            "external_id": "SM-race",
            "thread_key": "+14155550123",
        }
        return list(
            await asyncio.gather(
                ingest_inbound(server.runtime, **kw), ingest_inbound(server.runtime, **kw)
            )
        )

    results = server.call(both())
    assert sorted(r.duplicate for r in results) == [False, True]
    assert results[0].conversation_id == results[1].conversation_id
    view = staff_view(api, results[0].conversation_id)
    assert [m["text"] for m in view["messages"] if m["author"] == "customer"] == [
        "Where is my order?"
    ]


def test_customer_known_by_email_is_the_same_record_by_phone(server: LiveServer, api: Api) -> None:
    # alex@example.com is seeded with the phone +12025550100
    by_mail = ingest(
        server,
        channel="email",
        email="Alex@Example.com",
        text="Hello, I have a question about my order",
        external_id="<m1@example.com>",
        thread_key="<m1@example.com>",
    )
    by_phone = ingest(
        server, channel="sms", phone="+1 (202) 555-0100", text="hi", external_id="SM-alex"
    )
    assert by_mail.customer_id == by_phone.customer_id
    # a phone-only customer who later writes from an email with that phone stays one person
    ingest(server, channel="sms", phone="+14155550177", text="hello", external_id="SM-p1")
    mail = ingest(
        server,
        channel="email",
        email="new.person@example.com",
        phone="+14155550177",
        text="hello again",
        external_id="<m2@example.com>",
    )
    sms = ingest(server, channel="sms", phone="+14155550177", text="me again", external_id="SM-p2")
    assert mail.customer_id == sms.customer_id
    assert staff_view(api, by_phone.conversation_id)["customer"]["email"] == "alex@example.com"


def test_vip_by_phone_goes_to_a_person(server: LiveServer, api: Api) -> None:
    # vip@example.com (Victoria Price) is seeded with +12025550101
    result = ingest(server, channel="sms", phone="+12025550101", text="hello", external_id="SM-vip")
    assert result.status == "queued"
    view = staff_view(api, result.conversation_id)
    assert "VIP" in view["handoff"]["summary"] and "via sms" in view["handoff"]["summary"]


def test_bad_inbound_is_a_clear_error(server: LiveServer, api: Api) -> None:
    import pytest

    from hybridcx.kit.errors import InvalidInput, NotFound

    with pytest.raises(InvalidInput):
        ingest(server, channel="sms", text="hi")
    with pytest.raises(InvalidInput):
        ingest(server, channel="sms", phone="+14155550100", text="  \x00 ")
    with pytest.raises(InvalidInput):
        ingest(server, channel="sms", phone="not a number", text="hi")
    with pytest.raises(NotFound):
        ingest(server, channel="sms", phone="+14155550100", text="hi", inbox_key="demo-email")


def test_a_customer_known_only_by_phone_gets_a_plain_answer_not_an_empty_email(
    server: LiveServer, api: Api
) -> None:
    phone = "+14155550188"
    first = ingest(server, channel="sms", phone=phone, text="I forgot my password")
    texts = " ".join(m["text"] for m in first.ai_messages)
    assert "email address" in texts and "for ." not in texts and "to ." not in texts
    view = staff_view(api, first.conversation_id)
    token = api.login("supervisor@example.com", "demo-supervisor")
    api.staff(token, "POST", f"/api/v1/conversations/{view['id']}/takeover")
    r = api.staff(
        token,
        "POST",
        f"/api/v1/conversations/{view['id']}/assist/actions",
        json={"action": "send_password_reset"},
    )
    assert r.status_code == 422 and "no email" in r.json()["detail"]
