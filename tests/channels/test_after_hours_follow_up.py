"""After hours "leave a message", through the real mail protocol: a web chat customer
who left a message while the team was away gets the person's reply by email when someone picks
the conversation up (typed or a macro's), the queue item shows the chosen contact method, the
delivery is recorded on the message, and internal notes, AI messages and conversations without
that choice are not mailed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.channels.email_fixtures import MailSink
from tests.channels.test_email_smtp import mail  # noqa: F401 (fixture)
from tests.hours.test_business_hours_e2e import closed_today, escalate
from tests.support import Api

pytestmark = pytest.mark.calendar


def _reply(api: Api, token: str, conv: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
    r = api.staff(
        token,
        "POST",
        f"/api/v1/conversations/{conv['id']}/replies",
        json={"text": text, **extra},
    )
    assert r.status_code in (200, 201), r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_left_message_is_followed_up_by_email_when_an_agent_picks_it_up(
    mail: Api,  # noqa: F811
    mail_sink: MailSink,
) -> None:
    sup = mail.login("supervisor@example.com", "demo-supervisor")
    agent = mail.login("agent@example.com", "demo-agent")
    closed_today(mail, sup)
    conv = escalate(mail, "alex@example.com", "Alex")
    r = mail.http.post(
        f"/api/v1/conversations/{conv['id']}/after-hours",
        json={"choice": "message"},
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code == 200, r.text
    # The queue shows the chosen contact method for the next shift.
    items = {
        i["conversation_id"]: i for i in mail.staff(agent, "GET", "/api/v1/queue").json()["items"]
    }
    assert items[conv["id"]]["after_hours"]["choice"] == "message"
    assert items[conv["id"]]["after_hours"]["contact"] == "email"
    mail_sink.clear()

    # The next shift: an agent picks it up and answers; the reply goes out by email too.
    assert mail.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/accept").is_success
    sent = _reply(mail, agent, conv, "Hi Alex, Alice here: your refund is on its way.")
    assert sent["channel_meta"]["delivery"]["status"] == "sent"
    assert sent["channel_meta"]["delivery"]["via"] == "email"
    delivered = mail_sink.wait_for(lambda d: "your refund is on its way" in d.message.get_content())
    assert delivered.rcpt_tos == ["alex@example.com"]
    body = delivered.message.get_content()
    assert "reply to this email to continue" in body
    assert delivered.message["Subject"] == "Re: Your message"
    # It is still in the chat for the customer too.
    mine = mail.http.get(
        f"/api/v1/conversations/{conv['id']}",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    ).json()
    assert "Hi Alex, Alice here: your refund is on its way." in [
        m["text"] for m in mine["messages"]
    ]

    # An internal note is never mailed; a macro's reply is.
    _reply(mail, agent, conv, "note: refund approved by Sam", internal=True)
    macro = mail.staff(
        sup, "POST", "/api/v1/macros", json={"name": "Follow-up", "text": "Anything else?"}
    ).json()
    r = mail.staff(
        agent,
        "POST",
        f"/api/v1/macros/{macro['id']}/apply",
        json={"conversation_id": conv["id"], "text": "Anything else I can help with, Alex?"},
    )
    assert r.status_code == 200, r.text
    mail_sink.wait_for(lambda d: "Anything else I can help with" in d.message.get_content())
    texts = [d.message.get_content() for d in mail_sink.sent()]
    assert not any("refund approved by Sam" in t for t in texts)
    assert len(texts) == 2

    # The stored message records the delivery, as the desk sees it.
    view = mail.staff(agent, "GET", f"/api/v1/conversations/{conv['id']}").json()
    [stored] = [m for m in view["messages"] if m["text"].startswith("Hi Alex, Alice here")]
    assert stored["channel_meta"]["delivery"]["via"] == "email"


def test_without_a_left_message_replies_stay_in_the_chat(
    mail: Api,  # noqa: F811
    mail_sink: MailSink,
) -> None:
    sup = mail.login("supervisor@example.com", "demo-supervisor")
    agent = mail.login("agent@example.com", "demo-agent")
    closed_today(mail, sup)
    conv = escalate(mail, "alex@example.com", "Alex")  # away, but no choice made
    mail_sink.clear()
    assert mail.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/accept").is_success
    sent = _reply(mail, agent, conv, "Hello Alex, are you still there?")
    assert "delivery" not in sent["channel_meta"]
    assert mail_sink.sent() == []
