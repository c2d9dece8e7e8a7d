"""Agent assist in the desk, and the help centre's AI search, guided forms and suggestions."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import expect

from hybridcx.demo.seed import DEMO_INBOX_SECRET
from hybridcx.kit.security import identity_hash
from tests.browser.conftest import Tab
from tests.browser.test_web import sign_in
from tests.support import Api


def test_agent_sees_assist_inserts_a_grounded_draft_and_runs_an_action(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    conv = api.start("alex@example.com", "Alex Morgan")
    for text in ("Where is my order?", "1001", "Can I return an item I bought last week?", "agent"):
        assert api.say(conv, text).is_success

    desk = open_tab("/desk")
    sign_in(desk, "agent@example.com", "demo-agent")
    page = desk.page
    page.get_by_role("button", name="Accept").click()
    assist = page.get_by_role("region", name="AI assist")
    expect(assist.locator(".assist-draft")).to_contain_text("within 30 days")
    expect(assist.locator(".draft-grounding")).to_contain_text("Grounded in Returns policy")
    expect(assist.locator(".assist-knowledge li").first).to_contain_text("Returns policy")
    expect(assist.locator(".assist-summary")).to_contain_text("Alex Morgan")

    assist.get_by_role("button", name="Insert draft").click()
    reply = page.get_by_label("Reply", exact=True)
    expect(reply).to_have_value(re.compile(r"^Hi Alex, You can return unused items"))
    expect(reply).to_be_focused()
    reply.press("End")
    reply.type(" Anything else?")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".transcript .msg-agent").last).to_contain_text("Anything else?")

    assist.get_by_role("button", name="Look up the customer's orders").click()
    expect(assist.locator(".assist-result")).to_contain_text("Order 1001 is shipped")
    expect(page.locator(".transcript .msg-note").last).to_contain_text("Order 1001")

    # Live: a new customer message refreshes the panel through assist.updated.
    assert api.say(conv, "What are your opening hours on Saturday?").is_success
    expect(assist.locator(".assist-knowledge li").first).to_contain_text("Opening hours")
    expect(assist.locator(".assist-draft")).to_contain_text("Saturday 10:00-18:00")
    desk.shot("desk-assist")


def test_help_search_finds_a_paraphrase_with_highlights_and_no_internal_article(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab("/help")
    page = tab.page
    page.get_by_label("Search help articles").fill("can I send back an item?")
    page.get_by_role("button", name="Search").click()
    first = page.locator(".result").first
    expect(first.get_by_role("link")).to_have_text("Returns policy")
    expect(first.locator("mark").first).to_have_text(re.compile("^items?$", re.I))
    expect(page.locator("#answer")).to_contain_text("chat with us")

    page.get_by_label("Search help articles").fill("how do refunds work?")
    page.get_by_role("button", name="Search").click()
    answer = page.get_by_role("region", name="Answer")
    expect(answer.locator(".answer-text")).to_contain_text("30 days")
    expect(answer.locator(".answer-text mark").first).to_have_text(re.compile("refund", re.I))
    expect(answer.get_by_role("link", name="Returns policy")).to_have_attribute(
        "href", "/help/articles/returns-policy"
    )
    tab.shot("help-ai-answer")

    page.get_by_label("Search help articles").fill("refund authority for agents")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#search-status")).to_contain_text("found for “refund authority")
    expect(page.locator(".result").first).to_contain_text("Returns policy")
    for private in ("Refund authority for agents", "Agents may refund"):
        expect(page.locator("#search-view")).not_to_contain_text(private, ignore_case=False)


def outbox_code(api: Api, email: str) -> str:
    supervisor = api.login("supervisor@example.com", "demo-supervisor")
    items = api.staff(supervisor, "GET", "/api/v1/demo/outbox", params={"to": email}).json()
    body = next(i["body"] for i in items["items"] if i["kind"] == "verification_code")
    return str(re.search(r"\b(\d{6})\b", body).group(1))  # type: ignore[union-attr]


def test_help_guided_forms_book_then_change_and_cancel(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab("/help")
    page = tab.page
    page.get_by_text("Book an appointment", exact=True).click()
    book = page.get_by_role("form", name="Book an appointment")
    book.get_by_role("button", name="Book appointment").click()
    expect(book.get_by_role("alert")).to_have_text("Choose a time.")

    radios = book.get_by_role("radio")
    expect(radios).to_have_count(6)
    taken_label = book.locator(".slot label").first.inner_text()
    radios.first.check()
    book.get_by_label("Email").fill("not-an-email")
    book.get_by_role("button", name="Book appointment").click()
    expect(book.get_by_role("alert")).to_have_text("Enter a valid email address.")

    # Someone else books that time first: a clear error and fresh times without it.
    slot_id = radios.first.get_attribute("value")
    other = {"slot_id": slot_id, "email": "jordan.reed@example.com"}
    assert api.http.post("/api/v1/help/appointments", json=other).status_code == 201
    book.get_by_label("Email").fill("alex@example.com")
    book.get_by_role("button", name="Book appointment").click()
    expect(book.get_by_role("alert")).to_contain_text("was just taken")
    expect(book.locator(".slot label").first).not_to_have_text(taken_label)
    chosen = book.locator(".slot label").first.inner_text()
    radios.first.check()
    book.get_by_role("button", name="Book appointment").click()
    expect(book.locator("#book-done")).to_have_text(f"You're booked for {chosen}. See you then!")
    tab.shot("help-book-appointment")

    page.get_by_text("Change or cancel my appointment", exact=True).click()
    verify = page.get_by_role("form", name="Verify your email")
    verify.get_by_label("Email").fill("alex@example.com")
    verify.get_by_role("button", name="Send me a code").click()
    expect(verify.locator("#code-sent")).to_contain_text("a•••@example.com")
    verify.get_by_label("Code").fill("12")
    verify.get_by_role("button", name="Verify").click()
    expect(verify.get_by_role("alert")).to_have_text("Enter the 6 digits from the email.")
    verify.get_by_label("Code").fill(outbox_code(api, "alex@example.com"))
    verify.get_by_role("button", name="Verify").click()

    mine = page.locator("#my-appointments")
    expect(mine.locator(".appointment-label")).to_have_text(chosen)
    new_time = mine.get_by_label("Move to").locator("option").nth(1).inner_text()
    mine.get_by_label("Move to").select_option(label=new_time)
    mine.get_by_role("button", name="Move appointment").click()
    expect(mine.get_by_role("status")).to_have_text(f"Done: your appointment moved to {new_time}.")
    expect(mine.locator(".appointment-label")).to_have_text(new_time)
    tab.shot("help-change-appointment")
    mine.get_by_role("button", name="Cancel appointment").click()
    expect(mine).to_contain_text("You have no upcoming appointments.")


def test_track_order_suggestion_for_a_verified_customer_only(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    stranger = open_tab("/help?email=alex%40example.com")
    stranger.page.get_by_label("Search help articles").fill("refund")
    stranger.page.get_by_role("button", name="Search").click()
    expect(stranger.page.locator(".result").first).to_be_visible()
    expect(stranger.page.get_by_text("Track your recent order")).to_have_count(0)
    chat = open_tab("/chat")
    chat.page.get_by_label("Email").fill("alex@example.com")
    chat.page.get_by_label("Name").fill("Alex")
    chat.page.get_by_role("button", name="Start chat").click()
    expect(chat.page.locator(".msg-ai").first).to_contain_text("AI assistant")
    chat.page.wait_for_timeout(300)
    expect(chat.page.get_by_text("Track your recent order")).to_have_count(0)

    signed = identity_hash(DEMO_INBOX_SECRET, "alex@example.com")
    tab = open_tab(f"/help?email=alex%40example.com&name=Alex&identity_hash={signed}")
    page = tab.page
    suggestion = page.get_by_role("link", name="Track your recent order #1001")
    expect(suggestion).to_be_visible()
    assert "identity_hash" not in page.url
    tab.shot("help-suggestion")
    suggestion.click()
    expect(page).to_have_url(re.compile(r"/chat\?ask="))
    expect(page.get_by_label("Email")).to_have_value("alex@example.com")
    page.get_by_role("button", name="Start chat").click()
    expect(page.locator(".msg-customer").first).to_have_text(re.compile("Where is my order 1001?"))
    expect(page.locator(".msg-ai").last).to_contain_text("Order 1001 is shipped")
