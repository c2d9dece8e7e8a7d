"""Macros in a real browser: an agent applies the Refund macro in the desk (the reply
box is filled for this conversation, the agent edits it, and on send the real refund action runs
and is held for approval, which the customer is told); a supervisor writes a macro in the
console, and a bad placeholder is refused with the server's message."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from hybridcx.macros.automation import run_once
from tests.browser.conftest import Tab
from tests.browser.test_web import sign_in
from tests.support import Api, LiveServer


def test_an_agent_applies_the_refund_macro_in_the_desk(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    conv = api.start("alex@example.com", "Alex Morgan")
    api.say(conv, "I want to cancel order 1001 and get my money back")
    api.say(conv, "agent")
    desk = open_tab("/desk")
    sign_in(desk, "agent@example.com", "demo-agent")
    desk.page.locator(".queue-item", has_text="Alex Morgan").get_by_role(
        "button", name="Accept"
    ).click()
    reply = desk.page.get_by_label("Reply", exact=True)
    expect(reply).to_be_visible()
    desk.page.get_by_label("Macros").select_option(label="Refund")
    expect(reply).to_have_value(
        "I've asked to cancel order 1001 and refund it to your original payment method. "
        "You'll see the result here in a moment: refunds above our limit are checked by a "
        "supervisor first."
    )
    expect(desk.page.locator(".macro-status")).to_contain_text("On send: run cancel and refund.")
    reply.fill("Alex, I've asked to cancel order 1001 and refund it. One moment.")
    desk.shot("desk-macro-filled")
    desk.page.get_by_role("button", name="Send", exact=True).click()
    transcript = desk.page.locator(".transcript")
    expect(transcript).to_contain_text("Alex, I've asked to cancel order 1001 and refund it.")
    expect(transcript).to_contain_text("has been sent for approval")
    expect(desk.page.locator(".macro-status")).to_have_text("")
    expect(desk.page.locator(".automation-log")).to_contain_text(
        "Macro “Refund”: backend sent for approval"
    )
    desk.shot("desk-macro-applied")

    sup = api.login("supervisor@example.com", "demo-supervisor")
    state = api.staff(sup, "GET", f"/api/v1/conversations/{conv['id']}").json()
    (event,) = [e for e in state["events"] if e["type"] == "macro.action"]
    assert event["data"]["macro"] == "Refund" and event["data"]["status"] == "pending"
    approvals = api.staff(sup, "GET", "/api/v1/approvals", params={"status": "pending"}).json()
    assert [a["conversation_id"] for a in approvals] == [conv["id"]]


def test_a_supervisor_writes_a_macro_in_the_console(api: Api, open_tab: Callable[..., Tab]) -> None:
    console = open_tab("/supervisor")
    sign_in(console, "supervisor@example.com", "demo-supervisor")
    page = console.page
    expect(page.locator("#macro-list")).to_contain_text("Refund")
    # The Macros section's own Name field (the outreach section has one too).
    page.locator("#macro-name").fill("Shipping delay")
    page.get_by_label("Macro text").fill("Sorry {{customer.nam}}, your parcel is late.")
    page.get_by_role("button", name="Save macro").click()
    expect(page.locator("#macro-status")).to_contain_text("Unknown placeholder {{customer.nam}}")
    page.get_by_label("Macro text").fill("Sorry {{customer.first_name}}, your parcel is late.")
    page.get_by_label("Macro actions (JSON list)").fill('[{"type": "set_tier", "tier": 2}]')
    page.get_by_role("button", name="Save macro").click()
    expect(page.locator("#macro-status")).to_have_text("Saved “Shipping delay”.")
    expect(page.locator("#macro-list")).to_contain_text("then set tier 2")
    console.shot("supervisor-macros")
    agent = api.login("agent@example.com", "demo-agent")
    names = [m["name"] for m in api.staff(agent, "GET", "/api/v1/macros").json()["items"]]
    assert "Shipping delay" in names


def test_a_supervisor_adds_a_rule_and_sees_its_notice_live(
    api: Api, server: LiveServer, open_tab: Callable[..., Tab]
) -> None:
    console = open_tab("/supervisor")
    sign_in(console, "supervisor@example.com", "demo-supervisor")
    page = console.page
    page.get_by_label("Rule name").fill("VIP waiting")
    page.get_by_label("When", exact=True).select_option("conversation.queued")
    page.get_by_label("Conditions (JSON object)").fill('{"vip": true}')
    page.get_by_label("Rule actions (JSON list)").fill(
        '[{"type": "notify", "text": "A VIP is waiting."}]'
    )
    page.get_by_role("button", name="Add rule").click()
    expect(page.locator("#rule-status")).to_have_text("Added “VIP waiting”.")
    expect(page.locator("#rule-list")).to_contain_text("when conversation.queued and vip true")

    conv = api.start("vip@example.com", "Vivian VIP")
    api.say(conv, "agent")
    server.call(run_once(server.runtime))
    notice = page.locator("#automation-notices li")
    expect(notice).to_contain_text("VIP waiting: A VIP is waiting.")
    console.shot("supervisor-automation-notice")
    notice.get_by_role("button", name="Open").click()
    expect(page.locator("#workspace .automation-log")).to_contain_text(
        "Rule “VIP waiting” fired on conversation.queued: notify done"
    )
