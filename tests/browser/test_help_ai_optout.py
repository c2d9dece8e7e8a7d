"""The help centre's "Chat with people only" toggle in a real browser: after the
one-time code a customer opts out of the AI, and their next chat goes straight to people; then
they opt back in."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.browser.test_assist_help import outbox_code
from tests.browser.test_web import say
from tests.support import Api


def test_opt_out_of_the_ai_in_the_help_centre_and_back(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab("/help")
    page = tab.page
    page.get_by_text("Chat with people only, not our AI", exact=True).click()
    verify = page.get_by_role("form", name="Verify your email for the AI preference")
    verify.get_by_label("Email").fill("alex@example.com")
    verify.get_by_role("button", name="Send me a code").click()
    expect(verify.locator("#ai-code-sent")).to_contain_text("a•••@example.com")
    verify.get_by_label("Code").fill(outbox_code(api, "alex@example.com"))
    verify.get_by_role("button", name="Verify").click()

    form = page.get_by_role("form", name="Your AI preference")
    expect(form.locator("#ai-for")).to_have_text("Preference for alex@example.com")
    toggle = form.get_by_label("Only people answer me: never the AI assistant")
    expect(toggle).not_to_be_checked()
    toggle.check()
    form.get_by_role("button", name="Save preference").click()
    expect(form.get_by_role("status")).to_contain_text("only people will answer you")
    tab.shot("help-ai-opt-out")

    chat = open_tab("/chat")
    chat.page.get_by_label("Email").fill("alex@example.com")
    chat.page.get_by_label("Name").fill("Alex Morgan")
    chat.page.get_by_role("button", name="Start chat").click()
    expect(chat.page.locator(".msg-system").first).to_contain_text("served by our team only")
    say(chat, "What are your opening hours?")
    expect(chat.page.locator("#chat-status")).to_contain_text("in line")
    expect(chat.page.locator(".msg-ai")).to_have_count(0)
    chat.shot("chat-human-only")

    toggle.uncheck()
    form.get_by_role("button", name="Save preference").click()
    expect(form.get_by_role("status")).to_contain_text("Our AI assistant can help you again")
    admin = api.login("admin@example.com", "demo-admin")
    actions = [
        a["action"]
        for a in api.staff(admin, "GET", "/api/v1/audit").json()["items"]
        if a["action"].startswith("customer.ai_")
    ]
    assert sorted(actions) == ["customer.ai_opt_in", "customer.ai_opt_out"]
