"""The chat page when the server is busy: a 503 (turned away before anything was stored) is
sent again by the page, and only a server that stays busy reaches the customer, in plain words.
The 503s are the server's own overload answer, played by Playwright in front of the real
server so the page meets them exactly when the test says."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.browser.test_web import say, start_chat
from tests.support import Api

BUSY = {
    "status": 503,
    "headers": {"Retry-After": "1"},
    "content_type": "application/json",
    "body": json.dumps(
        {
            "detail": "The server is busy (1 conversations are being answered and 0 are "
            "waiting). Nothing you sent was stored. Retry in 1 s with the same Idempotency-Key.",
            "code": "overloaded",
            "retry_after": 1,
        }
    ),
}


def _busy_for(times: int | None) -> tuple[Callable[[Any], None], list[str]]:
    """A route handler that answers 503 the first ``times`` times (None: always)."""
    seen: list[str] = []

    def handle(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        seen.append(route.request.headers.get("idempotency-key", ""))
        if times is None or len(seen) <= times:
            route.fulfill(**BUSY)
        else:
            route.continue_()

    return handle, seen


def test_the_page_sends_again_after_a_503_and_the_message_is_stored_once(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    customer = open_tab("/chat")
    starts, started = _busy_for(1)
    customer.page.route("**/api/v1/conversations", starts)
    start_chat(customer, "alex@example.com", "Alex Morgan")
    assert len(started) == 2  # turned away once, then started

    messages, sent = _busy_for(2)
    customer.page.route("**/api/v1/conversations/*/messages", messages)
    say(customer, "What are your opening hours?")
    expect(customer.page.locator(".msg-ai").last).to_contain_text("Monday to Friday")
    assert len(sent) == 3 and len(set(sent)) == 1  # the same Idempotency-Key each time
    expect(customer.page.locator(".msg-customer")).to_have_count(1)
    expect(customer.page.locator("#send-error")).to_have_text("")

    token = api.login("supervisor@example.com", "demo-supervisor")
    conv_id = api.staff(token, "GET", "/api/v1/conversations").json()["items"][0]["id"]
    conv = api.staff(token, "GET", f"/api/v1/conversations/{conv_id}").json()
    customer_texts = [m["text"] for m in conv["messages"] if m["author"] == "customer"]
    assert customer_texts == ["What are your opening hours?"]


def test_a_server_that_stays_busy_is_explained_and_the_text_kept(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    customer = open_tab("/chat")
    start_chat(customer, "alex@example.com", "Alex Morgan")
    messages, sent = _busy_for(None)
    customer.page.route("**/api/v1/conversations/*/messages", messages)
    say(customer, "Where is my order?")
    expect(customer.page.locator("#send-error")).to_contain_text(
        "We're very busy right now", timeout=30_000
    )
    assert len(sent) == 5  # the first try and four more
    expect(customer.page.get_by_label("Message")).to_have_value("Where is my order?")
    expect(customer.page.locator("#send-error")).not_to_contain_text("Idempotency-Key")
