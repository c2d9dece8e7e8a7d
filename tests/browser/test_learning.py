"""Learning from human resolutions in the browser: an agent corrects the AI's intent in the desk
with one pick; an admin accepts a discovered intent in the supervisor console."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.browser.test_web import sign_in
from tests.improvement.test_discovery import BLOG
from tests.support import Api


def test_agent_corrects_the_ai_intent_in_the_desk(api: Api, open_tab: Callable[..., Tab]) -> None:
    conv = api.start("jordan.reed@example.com", "Jordan Reed")
    # Delivery-address changes go to people: the conversation is queued with the AI's intent.
    assert (
        api.say(conv, "I need my order sent to a different address").json()["conversation"][
            "status"
        ]
        == "queued"
    )
    alice = api.login("agent@example.com", "demo-agent")
    assert api.staff(alice, "POST", f"/api/v1/conversations/{conv['id']}/accept").is_success

    desk = open_tab("/desk")
    sign_in(desk, "agent@example.com", "demo-agent")
    desk.page.locator("#mine").get_by_role("button", name="Jordan Reed").click()
    panel = desk.page.locator(".panel.intent")
    expect(panel).to_contain_text("AI understood: change delivery address")
    picker = desk.page.get_by_label("Intent of this conversation")
    expect(picker).to_have_value("change_delivery_address")
    picker.select_option("complaint")
    expect(panel.get_by_role("status")).to_have_text("Corrected to complaint")
    desk.shot("desk-intent-corrected")

    events = api.staff(alice, "GET", f"/api/v1/conversations/{conv['id']}").json()["events"]
    [event] = [e for e in events if e["type"] == "intent.corrected"]
    assert event["data"] == {
        "from": "change_delivery_address",
        "to": "complaint",
        "confirmed": False,
    }


def test_admin_accepts_a_discovered_intent_in_the_console(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    for text in BLOG:
        conv = api.start("priya.patel@example.com", "Priya Patel")
        api.say(conv, text)

    console = open_tab("/supervisor")
    sign_in(console, "admin@example.com", "demo-admin")
    page = console.page
    expect(page.locator("#learning")).to_contain_text("Learning from resolutions")
    page.get_by_role("button", name="Find new intents").click()
    cluster = page.locator("li.cluster").filter(has_text="blog")
    expect(cluster).to_contain_text("Suggestion: a new intent")
    expect(cluster.locator(".cluster-examples li").first).to_contain_text("blog")
    console.shot("supervisor-intent-discovery")
    cluster.get_by_label("Intent name").fill("partnerships")
    cluster.get_by_role("button", name="Accept").click()
    expect(page.locator("#learning [role=status]").first).to_contain_text("to partnerships")
    expect(page.locator("li.cluster")).to_have_count(0)

    admin = api.login("admin@example.com", "demo-admin")
    accepted = api.staff(admin, "GET", "/api/v1/improvement/examples?status=accepted").json()
    assert accepted["items"] and {e["intent"] for e in accepted["items"]} == {"partnerships"}
