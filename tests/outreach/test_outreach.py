"""Proactive outreach over real HTTP: a late-shipment campaign texts and emails
the consenting customers only (Twilio's REST fake, a real SMTP sink), not in their quiet hours,
once per late order and within the weekly cap; a large send waits for a second supervisor; the
customer's SMS reply continues the notice's conversation and the AI answers about that order."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.channels.email_fixtures import MailSink
from tests.channels.twilio_helpers import OUR_NUMBER, sms_params, staff_get, twilio_post
from tests.fake_twilio import FakeTwilio
from tests.support import Api, LiveServer

ALEX = "alex@example.com"
ALEX_PHONE = "+12025550100"
BASE = "/api/v1/outreach"


def at(days: int, hour: int) -> str:
    """An instant relative to the frozen test clock's day (the demo seed's "today")."""
    today = datetime.now().date()
    return (
        datetime.combine(today + timedelta(days=days), datetime.min.time())
        .replace(hour=hour)
        .isoformat()
        + "Z"
    )


def customer_id(api: Api, token: str, email: str) -> str:
    r = api.staff(token, "GET", "/api/v1/customers", params={"q": email})
    assert r.status_code == 200, r.text
    [row] = [c for c in r.json()["items"] if c["email"] == email]
    return str(row["id"])


def consent(api: Api, token: str, cid: str, granted: bool) -> None:
    r = api.staff(
        token,
        "PUT",
        f"/api/v1/customers/{cid}/consents",
        json={"consents": {"outreach": granted}, "source": "test"},
    )
    assert r.status_code == 200, r.text


def campaign(api: Api, token: str, **extra: Any) -> dict[str, Any]:
    body = {
        "name": "Late shipments",
        "signal": "late_shipment",
        "channels": ["sms", "email"],
        "templates": {"sms_from": OUR_NUMBER},
        **extra,
    }
    r = api.staff(token, "POST", f"{BASE}/campaigns", json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def run(api: Api, token: str, campaign_id: str, when: str, **extra: Any) -> dict[str, Any]:
    r = api.staff(
        token, "POST", f"{BASE}/run", json={"campaign_id": campaign_id, "at": when, **extra}
    )
    assert r.status_code == 200, r.text
    [result] = r.json()["items"]
    return result  # type: ignore[no-any-return]


def test_late_shipment_notice_by_sms_and_email_to_consenting_customers_only(
    mail: Api, mail_sink: MailSink, twilio_server: FakeTwilio
) -> None:
    sam = mail.login("supervisor@example.com", "demo-supervisor")
    alex = customer_id(mail, sam, ALEX)
    consent(mail, sam, alex, True)
    late = campaign(mail, sam)
    assert late["status"] == "active" and "{order_number}" in late["templates"]["sms"]
    twilio_server.state.clear()

    # Order 1001 was promised for the seed's day + 2. The day before, nothing is late.
    early = run(mail, sam, late["id"], at(1, 12))
    assert early["found"] == 0 and early["sent"] == 0
    # Late, but 23:00 in Alex's time zone (UTC by default): quiet hours, nothing sent.
    night = run(mail, sam, late["id"], at(3, 23))
    assert night["sent"] == 0 and night["skipped"].get("quiet_hours", 0) >= 1
    assert twilio_server.state.messages() == [] and mail_sink.sent() == []

    noon = run(mail, sam, late["id"], at(3, 12))
    assert noon["status"] == "done" and noon["sent"] == 2 and noon["failed"] == 0
    # Other customers' orders are late too, but they never agreed to be notified.
    assert noon["found"] > 1 and noon["skipped"]["no_consent"] == noon["found"] - 1
    [sms] = twilio_server.state.messages()
    assert sms["To"] == ALEX_PHONE and sms["From"] == OUR_NUMBER
    assert "order 1001 is running late" in sms["Body"]
    email = mail_sink.wait_for(lambda d: "1001" in str(d.message["Subject"])).message
    assert str(email["To"]) == ALEX and "has not arrived yet" in email.get_content()
    assert [str(d.message["To"]) for d in mail_sink.sent()] == [ALEX]

    # Once per late order: the next run sends nothing again.
    again = run(mail, sam, late["id"], at(3, 13))
    assert again["sent"] == 0 and again["skipped"]["already_sent"] == 2
    assert len(twilio_server.state.messages()) == 1

    # A second campaign on the same signal: Alex had 2 notices this week (the cap).
    second = campaign(mail, sam, name="Late shipments, again")
    capped = run(mail, sam, second["id"], at(4, 12))
    assert capped["sent"] == 0 and capped["skipped"]["frequency_cap"] == 2

    # Consent withdrawn: nobody is told any more.
    consent(mail, sam, alex, False)
    third = campaign(mail, sam, name="Late shipments, third")
    assert run(mail, sam, third["id"], at(10, 12))["skipped"]["no_consent"] >= 1

    # The text's reply continues the notice's conversation, and the AI knows the order.
    # (this server's public URL is what Twilio signs)
    replies = twilio_post(
        mail,
        "/channels/sms/twilio",
        sms_params(ALEX_PHONE, "Where is my order?"),
        signed_url="https://cx.northwind.test/channels/sms/twilio",
    )
    assert replies.status_code == 200, replies.text
    view_list = staff_get(mail, "/api/v1/conversations", params={"channel": "sms"})
    items = view_list["items"] if isinstance(view_list, dict) else view_list
    [conv] = [c for c in items if c["channel"] == "sms"]
    view = staff_get(mail, f"/api/v1/conversations/{conv['id']}")
    assert view["channel_meta"]["outreach"]["order_number"] == "1001"
    assert view["channel_meta"]["outreach"]["signal"] == "late_shipment"
    texts = [(m["author"], m["text"]) for m in view["messages"]]
    assert texts[0][0] == "system" and "1001" in texts[0][1]
    assert ("customer", "Where is my order?") in texts
    answer = [t for a, t in texts if a == "ai"][-1]
    assert "1001" in answer and "order number" not in answer.lower()

    stats = mail.staff(sam, "GET", f"{BASE}/stats").json()
    sms_row = next(r for r in stats["items"] if r["channel"] == "sms")
    assert sms_row["sent"] == 1 and sms_row["replied"] == 1 and sms_row["response_rate"] == 1.0
    assert stats["sent"] == 2 and stats["replied"] == 1

    actions = [
        e["action"]
        for e in mail.staff(
            mail.login("admin@example.com", "demo-admin"), "GET", "/api/v1/audit"
        ).json()["items"]
    ]
    assert "outreach.campaign_created" in actions and "outreach.run" in actions


def test_a_large_send_waits_for_a_second_supervisor(
    mail: Api, mail_sink: MailSink, twilio_server: FakeTwilio
) -> None:
    sam = mail.login("supervisor@example.com", "demo-supervisor")
    alex = customer_id(mail, sam, ALEX)
    consent(mail, sam, alex, True)
    big = campaign(mail, sam, name="Big send", channels=["email"], approval_threshold=0)
    held = run(mail, sam, big["id"], at(3, 12))
    assert held["status"] == "awaiting_approval" and held["sent"] == 0
    assert mail_sink.sent() == []
    # The author cannot approve their own send.
    r = mail.staff(sam, "POST", f"{BASE}/campaigns/{big['id']}/approve")
    assert r.status_code == 409, r.text
    admin = mail.login("admin@example.com", "demo-admin")
    r = mail.staff(admin, "POST", f"{BASE}/campaigns/{big['id']}/approve")
    assert r.status_code == 200, r.text
    assert r.json()["approved_size"] == 1
    done = run(mail, sam, big["id"], at(3, 12))
    assert done["status"] == "done" and done["sent"] == 1


def test_bad_input_is_a_4xx_and_campaigns_are_workspace_scoped(mail: Api) -> None:
    sam = mail.login("supervisor@example.com", "demo-supervisor")
    bad = [
        {"name": "x", "signal": "telepathy", "channels": ["sms"]},
        {"name": "x", "signal": "late_shipment", "channels": ["fax"]},
        {"name": "x", "signal": "late_shipment", "channels": ["sms"], "templates": {"sms": "{"}},
        {"name": "x", "signal": "late_shipment", "channels": ["sms"], "segment": {"age": 3}},
    ]
    for body in bad:
        r = mail.staff(sam, "POST", f"{BASE}/campaigns", json=body)
        assert r.status_code == 422, (body, r.text)
    campaign(mail, sam, name="Dup")
    r = mail.staff(
        sam,
        "POST",
        f"{BASE}/campaigns",
        json={"name": "Dup", "signal": "late_shipment", "channels": ["sms"]},
    )
    assert r.status_code == 409
    assert mail.staff(sam, "GET", f"{BASE}/campaigns/nope").status_code == 404
    r = mail.staff(sam, "POST", f"{BASE}/run", json={"campaign_id": "nope"})
    assert r.status_code == 404
    agent = mail.login("agent@example.com", "demo-agent")
    assert mail.staff(agent, "GET", f"{BASE}/campaigns").status_code == 403


def test_cli_run_dry_run_says_who_would_be_told(
    mail: Api, email_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    from hybridcx.cli import app

    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(email_server.settings.data_dir))
    monkeypatch.setenv("HYBRIDCX_DATABASE_URL", email_server.settings.effective_database_url)
    sam = mail.login("supervisor@example.com", "demo-supervisor")
    consent(mail, sam, customer_id(mail, sam, ALEX), True)
    late = campaign(mail, sam, channels=["email"])
    result = CliRunner().invoke(
        app, ["outreach", "run", "--campaign", late["id"], "--at", at(3, 12), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    [line] = [json.loads(x) for x in result.output.splitlines() if x.startswith("{")]
    assert line["status"] == "dry_run" and line["recipients"] == 1 and line["sent"] == 0
    bad = CliRunner().invoke(app, ["outreach", "run", "--at", "yesterday"])
    assert bad.exit_code == 2 and "ISO 8601" in bad.output
    assert mail.staff(sam, "GET", f"{BASE}/stats").json()["sent"] == 0


def test_a_control_group_is_held_out_and_measures_the_contacts_avoided(
    mail: Api, email_server: LiveServer, mail_sink: MailSink
) -> None:
    from sqlalchemy import select

    from hybridcx.models import DemoOrder, OutreachSend

    sam = mail.login("supervisor@example.com", "demo-supervisor")
    when = at(3, 12)
    day = datetime.fromisoformat(when.removesuffix("Z")).date()

    async def late_customers() -> list[str]:
        async with email_server.runtime.sessions() as s:
            stmt = select(DemoOrder.customer_id).where(
                DemoOrder.status.in_(("processing", "shipped")), DemoOrder.expected_delivery < day
            )
            return sorted({r[0] for r in (await s.execute(stmt)).all()})

    everyone = email_server.call(late_customers())
    assert len(everyone) >= 4
    for cid in everyone:
        consent(mail, sam, cid, True)
    half = campaign(
        mail, sam, name="Half held out", channels=["email"], holdout=0.5, approval_threshold=1000
    )
    result = run(mail, sam, half["id"], when)
    # Every eligible customer is in exactly one group; the control group gets nothing.
    assert result["recipients"] + result["held_out"] == len(everyone)
    assert len(mail_sink.sent()) == result["sent"] >= result["recipients"]
    # Groups are stable: a second run neither notifies nor holds out anyone again.
    again = run(mail, sam, half["id"], at(3, 14))
    assert again["sent"] == 0 and again["held_out"] == 0

    async def groups() -> dict[str, list[str]]:
        async with email_server.runtime.sessions() as s:
            rows = (await s.execute(select(OutreachSend))).scalars()
            out: dict[str, list[str]] = {"sent": [], "held_out": []}
            for r in rows:
                out[r.status].append(r.customer_id)
            return out

    g = email_server.call(groups())
    assert sorted(set(g["sent"]) | set(g["held_out"])) == everyone
    assert not set(g["sent"]) & set(g["held_out"])
    stats = mail.staff(sam, "GET", f"{BASE}/stats").json()
    [prevention] = stats["prevention"]
    assert prevention["notified"] == len(set(g["sent"]))
    assert prevention["control"] == len(set(g["held_out"]))
    if g["sent"] and g["held_out"]:
        # Nobody contacted us yet: both rates 0, nothing avoided (and nothing invented).
        assert prevention["notified_contact_rate"] == prevention["control_contact_rate"] == 0
        assert prevention["contacts_avoided"] == 0
        # One held-out customer writes in (a web chat): the control group contacts more.
        from hybridcx.models import Customer

        async def email_of(cid: str) -> str:
            async with email_server.runtime.sessions() as s:
                return str((await s.get(Customer, cid)).email)

        control = sorted(set(g["held_out"]))
        mail.start(email_server.call(email_of(control[0])), "Held out")
        [prevention] = mail.staff(sam, "GET", f"{BASE}/stats").json()["prevention"]
        notified = len(set(g["sent"]))
        assert prevention["control_contact_rate"] == round(1 / len(control), 3)
        assert prevention["contacts_avoided"] == round(notified / len(control), 2)
        # The KPI report carries the same figures ("the KPIs report contacts avoided").
        kpis = mail.staff(sam, "GET", "/api/v1/analytics/kpis")
        assert kpis.status_code == 200, kpis.text
        [in_kpis] = kpis.json()["business"]["outreach"]["prevention"]
        assert in_kpis == prevention
    else:
        assert prevention["contacts_avoided"] is None


def test_a_customer_who_contacted_twice_about_the_same_issue_is_found(
    mail: Api, mail_sink: MailSink
) -> None:
    sam = mail.login("supervisor@example.com", "demo-supervisor")
    consent(mail, sam, customer_id(mail, sam, ALEX), True)
    repeat = campaign(mail, sam, name="Twice", signal="repeat_contact", channels=["email"])
    for _ in range(2):
        conv = mail.start(ALEX, "Alex Morgan")
        assert mail.say(conv, "How do I reset my password?").status_code == 200
    # Another customer asked once: not found.
    once = mail.start("sam.lee@example.com", "Sam Lee")
    assert mail.say(once, "How do I reset my password?").status_code == 200
    now = (datetime.now() + timedelta(minutes=1)).replace(microsecond=0).isoformat() + "Z"
    result = run(mail, sam, repeat["id"], now)
    assert result["found"] == 1 and result["sent"] == 1
    sent = mail_sink.wait_for(lambda d: str(d.message["To"]) == ALEX).message
    assert str(sent["Subject"]) == "Can we help?"  # a notice opens the thread: no "Re: "
    # The notice is not a contact of the customer's: the next run finds the same two, once.
    assert run(mail, sam, repeat["id"], now)["skipped"] == {"already_sent": 1}


def test_an_email_reply_continues_the_notice_conversation(
    mail: Api, email_server: LiveServer, mail_sink: MailSink
) -> None:
    from tests.channels.test_email_smtp import make_mail, smtp_send

    sam = mail.login("supervisor@example.com", "demo-supervisor")
    consent(mail, sam, customer_id(mail, sam, ALEX), True)
    late = campaign(mail, sam, channels=["email"])
    assert run(mail, sam, late["id"], at(3, 12))["sent"] == 1
    notice = mail_sink.wait_for(lambda d: "1001" in str(d.message["Subject"])).message
    reply = make_mail(
        "Thanks. Can you tell me more?",
        subject=f"Re: {notice['Subject']}",
        in_reply_to=str(notice["Message-ID"]),
    )
    smtp_send(email_server, reply)
    items = staff_get(mail, "/api/v1/conversations", params={"channel": "email"})
    convs = items["items"] if isinstance(items, dict) else items
    [conv] = [c for c in convs if c["channel"] == "email"]  # the notice's, not a new one
    view = staff_get(mail, f"/api/v1/conversations/{conv['id']}")
    assert view["channel_meta"]["outreach"]["order_number"] == "1001"
    authors = [m["author"] for m in view["messages"]]
    assert authors[0] == "system" and "customer" in authors
