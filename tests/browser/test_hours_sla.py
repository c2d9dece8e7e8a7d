"""Business hours and SLAs in the browser: a customer who asks for a person while
the team is away is told when it opens and requests a callback; the desk queue shows the
conversation flagged after hours; an SLA breach shows in the desk queue and the conversation
view; the supervisor console edits the business hours."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import expect

from hybridcx.hours.sla import sla_sweep
from hybridcx.kit.ids import utcnow
from tests.browser.conftest import Tab
from tests.browser.test_web import sign_in, start_chat
from tests.hours.test_business_hours_e2e import closed_today
from tests.hours.test_sla_e2e import POLICIES
from tests.support import Api, LiveServer


def test_after_hours_customer_requests_a_callback_and_the_desk_sees_it(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    closed_today(api, sup)
    customer = open_tab("/chat")
    start_chat(customer, "alex@example.com", "Alex Morgan")
    page = customer.page
    page.get_by_role("button", name="Talk to a person").click()
    expect(page.locator(".msg-system").last).to_contain_text("Our team is away right now.")
    expect(page.locator(".msg-system").last).to_contain_text("We're back")
    choice = page.get_by_role("group", name="While our team is away")
    expect(choice).to_be_visible()
    expect(choice).to_contain_text("Next opening")
    choice.get_by_label("Phone number").fill("+1 415 555 0132")
    customer.shot("chat-after-hours")
    # A time when the team is closed is refused with the reason.
    when = choice.get_by_label("Call me back at")
    chosen = when.input_value()
    when.fill(chosen[:11] + "06:00")
    choice.get_by_role("button", name="Request a callback").click()
    expect(choice.get_by_role("alert")).to_contain_text("closed at that time")
    when.fill(chosen)
    choice.get_by_role("button", name="Request a callback").click()
    expect(page.locator(".msg-system").last).to_contain_text("we'll call you back")
    expect(choice).to_be_hidden()
    customer.shot("chat-after-hours-callback")

    desk = open_tab("/desk")
    sign_in(desk, "agent@example.com", "demo-agent")
    item = desk.page.locator("#queue .queue-item").first
    expect(item.locator(".badge.after-hours")).to_contain_text("After hours · callback")
    desk.shot("desk-after-hours-queue")


def test_sla_breach_shows_in_the_desk_queue_and_conversation(
    api: Api, server: LiveServer, open_tab: Callable[..., Tab]
) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    assert api.staff(sup, "PUT", "/api/v1/sla/policies", json=POLICIES).status_code == 200
    waiting = api.start("priya.patel@example.com", "Priya Patel")
    api.say(waiting, "agent")
    late = api.start("alex@example.com", "Alex Morgan")
    api.say(late, "agent")

    desk = open_tab("/desk")
    sign_in(desk, "agent@example.com", "demo-agent")
    queue = desk.page.locator("#queue")
    expect(queue.locator(".sla-timer").first).to_contain_text(
        re.compile(r"First response due in \d+m")
    )
    # Eleven minutes on, the sweep records the breach; the desk refreshes on the live event.
    server.call(sla_sweep(server.runtime, now=utcnow() + timedelta(minutes=11)))
    breached = queue.locator(".sla-timer.breached")
    expect(breached).to_have_count(2)
    expect(breached.first).to_contain_text("SLA breached")
    desk.shot("desk-sla-breach")
    queue.locator(".queue-item", has_text="Alex Morgan").get_by_role(
        "button", name="Accept"
    ).click()
    panel = desk.page.get_by_role("region", name="SLA")
    expect(panel).to_contain_text("Policy: Chat")
    expect(panel.locator(".sla-timer")).to_contain_text("SLA breached")
    desk.shot("desk-sla-breach-conversation")
    # The supervisor console: the policies and the breaches by tier, channel and team.
    console = open_tab("/supervisor")
    sign_in(console, "supervisor@example.com", "demo-supervisor")
    report = console.page.get_by_role("region", name="SLA attainment (last 7 days)")
    expect(report).to_contain_text("Chat (webchat): first response 10 min, next response 5 min")
    overall = report.get_by_role("table", name="Overall")
    expect(overall.get_by_role("row", name=re.compile("^All"))).to_contain_text("2")
    expect(report.get_by_role("table", name="Channel")).to_contain_text("webchat")
    report.scroll_into_view_if_needed()
    console.shot("supervisor-sla-attainment")


def test_supervisor_sets_business_hours_in_the_console(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    console = open_tab("/supervisor")
    sign_in(console, "supervisor@example.com", "demo-supervisor")
    section = console.page.get_by_role("region", name="Business hours")
    expect(section).to_contain_text("No hours set")
    section.get_by_label("Time zone").fill("Mars/Olympus")
    section.get_by_role("button", name="Save business hours").click()
    expect(section.get_by_role("status")).to_contain_text("Unknown time zone")
    section.get_by_label("Time zone").fill("Europe/Berlin")
    section.get_by_label("Saturday closed").check()
    section.get_by_label("Sunday closed").check()
    section.get_by_label("Holidays and exceptions").fill("2026-12-25 Christmas Day")
    section.get_by_label("Close conversations waiting on the customer after").fill("60")
    section.get_by_role("button", name="Save business hours").click()
    expect(section.get_by_role("status")).to_have_text("Business hours saved.")
    console.shot("supervisor-business-hours")
    saved = api.staff(
        api.login("agent@example.com", "demo-agent"), "GET", "/api/v1/business-hours"
    ).json()["workspace"]
    assert saved["timezone"] == "Europe/Berlin" and saved["idle_close_minutes"] == 60
    assert sorted(saved["weekly"]) == ["fri", "mon", "thu", "tue", "wed"]
    assert saved["exceptions"] == [{"date": "2026-12-25", "name": "Christmas Day", "hours": []}]
