"""Asking a teammate for help across two desks, contact details on /help, KPIs on the console."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.browser.test_assist_help import outbox_code
from tests.browser.test_web import sign_in
from tests.support import Api


def test_agent_asks_a_supervisor_who_answers_live_as_an_internal_note(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    conv = api.start("alex@example.com", "Alex Morgan")
    assert api.say(conv, "agent").is_success

    alice = open_tab("/desk")
    sign_in(alice, "agent@example.com", "demo-agent")
    sam = open_tab("/desk")
    sign_in(sam, "supervisor@example.com", "demo-supervisor")
    page = alice.page
    page.get_by_role("button", name="Accept").click()
    expect(page.locator(".transcript")).to_be_visible()
    team = page.locator("#team li", has_text="Sam Supervisor")
    expect(team).to_contain_text(re.compile(r"supervisor · (available|away) · \d+/\d+ chats"))

    page.get_by_role("button", name="Ask for help").click()
    ask = page.get_by_role("form", name="Ask for help")
    ask.get_by_label("Needed skill").select_option("tech")
    options = ask.get_by_label("Ask", exact=True).locator("option")
    expect(options.first).to_contain_text("Sam Supervisor · supervisor")
    expect(options).to_have_text(  # the leads, then whoever has the skill
        [
            re.compile("^Sam Supervisor"),
            re.compile("^Ada Admin · admin · offline"),
            re.compile("^Bob Tech"),
        ]
    )
    ask.get_by_label("Question", exact=True).fill("Can I refund the shipping <b>too</b>?")
    ask.get_by_role("button", name="Send question").click()
    expect(ask.get_by_role("status")).to_have_text(
        "Sent to Sam Supervisor. Their answer appears here as an internal note."
    )
    expect(page.locator(".transcript .msg-note").last).to_contain_text(
        "Question for Sam Supervisor: Can I refund the shipping <b>too</b>?"
    )
    alice.shot("desk-ask-for-help")

    question = sam.page.locator("#questions .question")
    expect(question).to_contain_text("Alice Agent asks about Alex Morgan")
    expect(question.locator(".question-text")).to_have_text("Can I refund the shipping <b>too</b>?")
    expect(sam.page).to_have_title(re.compile(r"^\(1\) "))
    sam.shot("desk-question-for-you")
    question.get_by_role("button", name="Open conversation").click()
    expect(sam.page.locator(".transcript .msg-note")).to_contain_text("Question for Sam")
    expect(sam.page.get_by_label("Internal note (whisper to Alice Agent)")).to_be_checked()
    sam.page.get_by_label("Reply", exact=True).fill("Yes, refund the shipping as well.")
    sam.page.get_by_role("button", name="Send", exact=True).click()
    expect(question).to_contain_text("Answered")

    expect(page.locator(".transcript .msg-note").last).to_contain_text(
        "Yes, refund the shipping as well."
    )
    expect(page.locator(".transcript .msg-note").last).to_contain_text("Sam Supervisor")
    seen = api.http.get(
        f"/api/v1/conversations/{conv['id']}",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    ).text
    assert "refund the shipping" not in seen


def test_help_update_contact_details_after_a_one_time_code(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab("/help")
    page = tab.page
    page.get_by_text("Update my contact details", exact=True).click()
    verify = page.get_by_role("form", name="Check it's you")
    verify.get_by_label("Email").fill("alex@example.com")
    verify.get_by_role("button", name="Send me a code").click()
    expect(verify.locator("#contact-code-sent")).to_contain_text("a•••@example.com")
    verify.get_by_label("Code").fill(outbox_code(api, "alex@example.com"))
    verify.get_by_role("button", name="Verify").click()

    details = page.get_by_role("form", name="Your contact details")
    expect(details.locator("#contact-for")).to_have_text("Contact details for alex@example.com")
    expect(details.get_by_label("Name")).to_have_value("Alex Morgan")
    phone = details.get_by_label("Phone number")
    phone.fill("415 555 0132")
    details.get_by_role("button", name="Save details").click()
    expect(details.get_by_role("alert")).to_contain_text("with its country code")
    phone.fill("+1 555 0100")  # well-formed, but no such number: the server says so
    details.get_by_role("button", name="Save details").click()
    expect(details.get_by_role("alert")).to_contain_text("That phone number is not valid")
    expect(phone).to_be_focused()
    tab.shot("help-contact-invalid")

    details.get_by_label("Name").fill("Alex J. Morgan")
    phone.fill("+1 (415) 555-0132")
    details.get_by_role("button", name="Save details").click()
    expect(details.get_by_role("status")).to_have_text(
        "Saved. We'll call you on +14155550132 if we need to."
    )
    expect(phone).to_have_value("+14155550132")
    tab.shot("help-contact-details")

    staff = api.login("agent@example.com", "demo-agent")
    found = api.staff(staff, "GET", f"/api/v1/conversations/{api.start()['id']}").json()
    assert found["customer"]["phone"] == "+14155550132"
    assert found["customer"]["name"] == "Alex J. Morgan"

    # The appointment task shares the same verified session: no second code.
    page.get_by_text("Change or cancel my appointment", exact=True).click()
    expect(page.locator("#my-appointments")).to_contain_text("Appointments for alex@example.com")


def test_supervisor_dashboard_shows_containment_and_blended_cost(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    for email, name in (("priya.patel@example.com", "Priya"), ("jordan.reed@example.com", "Jo")):
        assert api.say(api.start(email, name), "What are your opening hours?").is_success
    escalated = api.start("alex@example.com", "Alex")
    assert api.say(escalated, "agent").is_success
    sam = api.login("supervisor@example.com", "demo-supervisor")
    order = {"order_id": "W-1", "amount": 150}
    path = f"/api/v1/conversations/{escalated['id']}/orders"
    assert api.staff(sam, "POST", path, json=order).status_code == 201
    console = open_tab("/supervisor")
    sign_in(console, "supervisor@example.com", "demo-supervisor")
    kpis = console.page.get_by_role("region", name="KPIs")
    expect(kpis.locator("[data-kpi=containment] .value")).to_have_text("67%")
    expect(kpis.locator("[data-kpi=containment]")).to_contain_text("2 of 3 conversations")
    cost = kpis.locator("[data-kpi=cost]")
    expect(cost.locator(".value")).to_have_text(re.compile(r"\$2\.33"))  # (1 + 1 + 5) / 3
    expect(cost).to_contain_text(re.compile(r"vs \$10\.00 all-human · saves 77%"))
    expect(kpis.locator("[data-kpi=escalation]")).to_contain_text("asked for a person (1)")
    expect(kpis.locator("[data-kpi=asa]")).to_contain_text("0 answered · 1 waiting")
    expect(kpis.locator("[data-kpi=nps] .value")).to_have_text("—")
    expect(kpis.locator("[data-kpi=nps]")).to_contain_text("no answers yet")
    revenue = kpis.locator("[data-kpi=revenue]")
    expect(revenue.locator(".value")).to_have_text(re.compile(r"\$150\.00"))
    expect(revenue).to_contain_text("1 sales conversations · 1 orders")

    # Live: an agent picks the conversation up; the KPIs follow the event (throttled).
    alice = api.login("agent@example.com", "demo-agent")
    assert api.staff(alice, "POST", f"/api/v1/conversations/{escalated['id']}/accept").is_success
    expect(kpis.locator("[data-kpi=asa]")).to_contain_text("1 answered", timeout=15_000)
    expect(kpis.locator("[data-kpi=service-level] .value")).to_have_text("100%")
    console.page.get_by_label("Window").select_option(label="Last 7 days")
    expect(console.page.locator("#dash-title")).to_have_text("Last 7 days")
    expect(kpis.locator("[data-kpi=containment] .value")).to_have_text("67%")
    console.shot("supervisor-kpis")
