"""The web experience in a real browser: customer chat, agent desk, supervisor console, help."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.support import Api

XSS = "<img src=x onerror=alert(1)>"


def start_chat(tab: Tab, email: str, name: str) -> None:
    page = tab.page
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Start chat").click()
    expect(page.locator(".msg-ai").first).to_contain_text("AI assistant")


def say(tab: Tab, text: str) -> None:
    tab.page.get_by_label("Message").fill(text)
    tab.page.get_by_role("button", name="Send", exact=True).click()


def sign_in(tab: Tab, email: str, password: str) -> None:
    tab.page.get_by_label("Email").fill(email)
    tab.page.get_by_label("Password").fill(password)
    tab.page.get_by_role("button", name="Sign in").click()
    expect(tab.page.locator("#connection")).to_have_text("Live")


def test_customer_gets_ai_answer_then_a_person_who_replies_live(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    customer = open_tab("/chat")
    start_chat(customer, "alex@example.com", "Alex Morgan")
    expect(customer.page.get_by_text("You're chatting with an AI assistant")).to_be_visible()
    say(customer, "What are your opening hours?")
    expect(customer.page.locator(".msg-ai").last).to_contain_text("Monday to Friday")
    expect(customer.page.locator(".msg-ai a[href='/help/articles/opening-hours']")).to_be_visible()
    customer.shot("chat-ai-answer")

    customer.page.get_by_role("button", name="Talk to a person").click()
    expect(customer.page.locator("#chat-status")).to_contain_text("number 1 in line")
    expect(customer.page.get_by_role("button", name="Talk to a person")).to_be_hidden()
    customer.shot("chat-queued")

    desk = open_tab("/desk")
    sign_in(desk, "agent@example.com", "demo-agent")
    item = desk.page.locator(".queue-item", has_text="Alex Morgan")
    expect(item).to_contain_text("asked for a person")
    desk.page.get_by_role("button", name="Accept").click()
    expect(desk.page.locator(".handoff")).to_contain_text("the customer asked for a person")
    expect(desk.page.locator(".customer-360")).to_contain_text("#1001")
    # the profile's preferences, consents and segment (GET /api/v1/customers/{id})
    expect(desk.page.locator(".customer-360 .customer-preferences")).to_contain_text("Any time")
    expect(desk.page.locator(".customer-360 .customer-consents")).to_contain_text(
        "marketing: not granted"
    )
    expect(desk.page.locator(".customer-360 .customer-segment")).to_contain_text("standard")
    desk.page.get_by_label("Reply", exact=True).fill(
        "Hi Alex, Alice here. Your order 1001 is on its way."
    )
    desk.page.get_by_role("button", name="Send", exact=True).click()
    desk.page.get_by_label("Internal note").check()
    desk.page.get_by_label("Reply", exact=True).fill("Checked UPS tracking.")
    desk.page.get_by_role("button", name="Send", exact=True).click()
    expect(desk.page.locator(".msg-note")).to_contain_text("Checked UPS tracking.")
    desk.shot("desk-conversation")

    expect(customer.page.locator(".msg-agent")).to_contain_text("Alice here")
    expect(customer.page.locator("#chat-status")).to_have_text("You're chatting with Alice Agent.")
    expect(customer.page.get_by_text("Checked UPS tracking.")).to_have_count(0)
    customer.shot("chat-agent-reply")

    desk.page.get_by_role("button", name="Resolve").click()
    expect(customer.page.get_by_text("How did we do?")).to_be_visible()
    # The CSAT question's 5 (the NPS question below it has a 5 too).
    customer.page.locator("#survey .rating:not(.nps)").get_by_role("radio", name="5").check()
    customer.page.locator("#survey .rating.nps").get_by_role("radio", name="9").check()
    customer.page.get_by_label("Comment").fill("Quick and friendly")
    customer.page.get_by_role("button", name="Send feedback").click()
    expect(customer.page.get_by_text("Thank you for your feedback!")).to_be_visible()
    customer.shot("chat-survey-done")
    sam = api.login("supervisor@example.com", "demo-supervisor")
    cx = api.staff(sam, "GET", "/api/v1/analytics/kpis").json()["customer_experience"]
    assert cx["csat"]["distribution"] == {"5": 1}
    assert cx["nps"]["responses"] == 1 and cx["nps"]["promoters"] == 1


def test_customer_chat_resumes_after_reload_and_a_dropped_socket(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    customer = open_tab("/chat")
    start_chat(customer, "jordan.reed@example.com", "Jordan Reed")
    say(customer, "agent")
    expect(customer.page.locator("#chat-status")).to_contain_text("in line")
    customer.page.reload()
    expect(customer.page.locator(".msg-customer")).to_have_text(re.compile("agent"))
    expect(customer.page.locator("#chat-status")).to_contain_text("number 1 in line")
    expect(customer.page.locator("body")).to_have_attribute("data-socket", "open")

    token = api.login("agent@example.com", "demo-agent")
    conv_id = api.staff(token, "GET", "/api/v1/queue").json()["items"][0]["conversation_id"]
    assert api.staff(token, "POST", f"/api/v1/conversations/{conv_id}/accept").status_code == 200
    customer.page.evaluate("window.hybridcxChat.drop()")
    reply = {"text": "Sent while your connection was down.", "internal": False}
    assert api.staff(
        token, "POST", f"/api/v1/conversations/{conv_id}/replies", json=reply
    ).is_success
    expect(customer.page.locator(".msg-agent")).to_contain_text("Sent while your connection")
    expect(customer.page.locator(".msg-agent")).to_have_count(1)


def test_supervisor_takes_over_a_conversation_the_ai_is_handling(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    conv = api.start("priya.patel@example.com", "Priya Patel")
    assert api.say(conv, "What are your opening hours?").status_code == 200
    queued = api.start("vip@example.com", "Victoria Price")

    console = open_tab("/supervisor")
    sign_in(console, "supervisor@example.com", "demo-supervisor")
    row = console.page.locator("tr", has_text="Priya Patel")
    expect(row).to_contain_text("AI")
    expect(console.page.locator("tr", has_text="Victoria Price")).to_contain_text("VIP")
    expect(console.page.locator("#tiles")).to_contain_text("In queue")
    console.shot("supervisor-console")

    row.get_by_role("button", name="Take over").click()
    expect(console.page.locator(".transcript")).to_contain_text(
        "Sam Supervisor has joined the conversation."
    )
    console.page.get_by_label("Reply", exact=True).fill("Hi Priya, Sam here from the team.")
    console.page.get_by_role("button", name="Send", exact=True).click()
    seen = api.http.get(
        f"/api/v1/conversations/{conv['id']}",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    ).json()
    assert seen["status"] == "assigned" and seen["agent"]["name"] == "Sam Supervisor"
    expect(console.page.locator(".transcript .msg-agent")).to_contain_text("Sam here")
    expect(console.page.locator("tr", has_text="Priya Patel")).to_contain_text("Sam Supervisor")
    console.shot("supervisor-takeover")

    alice = api.login("agent@example.com", "demo-agent")
    assert api.staff(alice, "POST", f"/api/v1/conversations/{queued['id']}/accept").is_success
    victoria = console.page.locator("tr", has_text="Victoria Price")
    expect(victoria).to_contain_text("Alice Agent")
    victoria.get_by_role("button", name="Open").click()
    whisper = console.page.get_by_label("Internal note (whisper to Alice Agent)")
    expect(whisper).to_be_checked()
    console.page.get_by_label("Reply", exact=True).fill("Offer her the express replacement.")
    console.page.get_by_role("button", name="Send", exact=True).click()
    expect(console.page.locator(".transcript .msg-note")).to_contain_text("express replacement")
    staff_view = api.staff(alice, "GET", f"/api/v1/conversations/{queued['id']}").json()
    [note] = [m for m in staff_view["messages"] if "express replacement" in m["text"]]
    assert note["internal"] is True and note["agent_name"] == "Sam Supervisor"


def test_markup_in_a_message_is_shown_as_text_in_chat_and_desk(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    customer = open_tab("/chat")
    start_chat(customer, "alex@example.com", XSS)
    say(customer, XSS)
    expect(customer.page.locator(".msg-customer").first).to_have_text(re.compile(re.escape(XSS)))
    say(customer, "agent")
    expect(customer.page.locator("#chat-status")).to_contain_text("in line")

    desk = open_tab("/desk")
    sign_in(desk, "agent@example.com", "demo-agent")
    desk.page.get_by_role("button", name="Accept").click()
    expect(desk.page.locator(".transcript .msg-customer").first).to_contain_text(XSS)
    desk.page.get_by_label("Reply", exact=True).fill(f"You wrote {XSS}")
    desk.page.get_by_role("button", name="Send", exact=True).click()
    expect(customer.page.locator(".msg-agent")).to_contain_text(f"You wrote {XSS}")
    desk.shot("desk-xss-inert")
    customer.shot("chat-xss-inert")
    for tab in (customer, desk):
        assert tab.page.locator("main img").count() == 0
        tab.page.wait_for_timeout(200)
        assert tab.dialogs == []


@pytest.fixture
def host_site(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """A plain HTML page on another origin, as a customer's own web site would be."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def publish(html: str) -> str:
        (tmp_path / "index.html").write_text(html)
        return f"http://127.0.0.1:{httpd.server_address[1]}/index.html"

    yield publish
    httpd.shutdown()


def test_widget_works_embedded_in_a_plain_page(
    api: Api, open_tab: Callable[..., Tab], host_site: Callable[[str], str], server: object
) -> None:
    url = host_site(
        "<!doctype html><html><head><title>Northwind shop</title></head><body>"
        "<h1>Northwind shop</h1><p>Hiking gear.</p>"
        f'<script src="{server.url}/widget.js" data-inbox="demo-webchat"></script>'  # type: ignore[attr-defined]
        "</body></html>"
    )
    tab = open_tab(url)
    tab.page.get_by_role("button", name="Chat with us").click()
    chat = tab.page.frame_locator("iframe[title='Chat with us']")
    chat.get_by_label("Email").fill("sofia.rossi@example.com")
    chat.get_by_label("Name").fill("Sofia")
    chat.get_by_role("button", name="Start chat").click()
    expect(chat.locator(".msg-ai").first).to_contain_text("AI assistant")
    chat.get_by_label("Message").fill("What are your opening hours?")
    chat.get_by_role("button", name="Send", exact=True).click()
    expect(chat.locator(".msg-ai").last).to_contain_text("Monday to Friday")
    tab.shot("widget-embedded")
    tab.page.keyboard.press("Escape")
    expect(tab.page.locator("iframe")).to_be_hidden()


def test_help_portal_search_article_and_chat(api: Api, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab("/help")
    tab.page.get_by_label("Search help articles").fill("refund")
    tab.page.get_by_role("button", name="Search").click()
    result = tab.page.locator(".result", has_text="Returns policy")
    expect(result.locator("mark").first).to_have_text(re.compile("refund", re.I))
    tab.shot("help-search")
    result.get_by_role("link").click()
    expect(tab.page.get_by_role("heading", name="Returns policy")).to_be_visible()
    expect(tab.page.locator(".article-body")).to_contain_text("30 days")
    expect(tab.page.get_by_role("button", name="Chat with us")).to_be_visible()
    tab.page.goto("/help/articles/agent-refund-authority")
    expect(tab.page.get_by_role("heading", name="Article not found")).to_be_visible()


def test_keyboard_only_and_360px_wide(api: Api, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab("/chat", width=360, height=740)
    page = tab.page
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("noah.kim@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("Noah")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Message")).to_be_focused()
    page.keyboard.type("What are your opening hours?")
    page.keyboard.press("Enter")
    expect(page.locator(".msg-ai").last).to_contain_text("Monday to Friday")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    tab.shot("chat-360px")

    # The desk on a phone: the whole job (take a conversation, read it, reply, resolve) works
    # at 360 px, and nothing the agent needs is cut off at the right edge.
    api.say(api.start("mia.novak@example.com", "Mia Novak"), "agent")
    desk = open_tab("/desk", width=360, height=740)
    sign_in(desk, "agent@example.com", "demo-agent")
    item = desk.page.locator(".queue-item", has_text="Mia Novak")
    expect(item).to_contain_text("asked for a person")
    assert_fits(desk, 360)
    item.get_by_role("button", name="Accept").click()
    expect(desk.page.locator(".handoff")).to_contain_text("the customer asked for a person")
    reply = desk.page.get_by_label("Reply", exact=True)
    reply.fill("Hi Mia, Alice here. How can I help?")
    desk.page.get_by_role("button", name="Send", exact=True).click()
    expect(desk.page.locator(".msg-agent").last).to_contain_text("Alice here")
    assert_fits(desk, 360)
    desk.shot("desk-360px")
    desk.page.get_by_role("button", name="Resolve").click()
    expect(desk.page.locator(".queue-item", has_text="Mia Novak")).to_have_count(0)


def assert_fits(tab: Tab, width: int) -> None:
    """No horizontal scrolling, and every visible control and text block lies within the
    viewport's width (a control pushed past the edge is as lost as one overflowing). A skip
    link sits off-screen until it has the focus, by design."""
    page = tab.page
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    outside = page.evaluate(
        """(width) => [...document.querySelectorAll(
            'button, input, textarea, select, a, label, .msg, .queue-item, .handoff')]
          .filter(el => el.offsetParent !== null && !el.matches('.skip-link:not(:focus)'))
          .map(el => [el.tagName + '.' + el.className + ' ' + (el.textContent || '').trim()
                      .slice(0, 40), el.getBoundingClientRect()])
          .filter(([, r]) => r.width > 0 && (r.left < -1 || r.right > width + 1))
          .map(([name, r]) => name + ' ' + Math.round(r.left) + '..' + Math.round(r.right))""",
        width,
    )
    assert outside == []
    # what the agent types into is usable, not squeezed to nothing
    for box in page.locator("textarea:visible, input[type=text]:visible").all():
        bound = box.bounding_box()
        assert bound is not None and bound["width"] >= 200, bound


def test_quick_reply_buttons_answer_a_flow_question(api: Api, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab("/chat")
    start_chat(tab, "alex@example.com", "Alex")
    say(tab, "I forgot my password")
    replies = tab.page.get_by_role("group", name="Quick replies")
    expect(replies.get_by_role("button")).to_have_text(["Yes", "No"])
    tab.shot("chat-quick-replies")
    replies.get_by_role("button", name="Yes").click()
    expect(tab.page.locator(".msg-ai").last).to_contain_text("reset link is on its way")
    expect(replies.get_by_role("button")).to_have_count(0)


def test_desk_gets_new_conversations_live_and_by_presence_then_transfers(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    desk = open_tab("/desk")
    sign_in(desk, "bob@example.com", "demo-agent")
    page = desk.page
    expect(page.locator("#queue")).to_contain_text("Nobody is waiting")
    assert api.say(api.start("jordan.reed@example.com", "Jordan Reed"), "agent").is_success
    expect(page.locator(".queue-item")).to_contain_text("Jordan Reed")
    expect(page).to_have_title(re.compile(r"^\(1\) "))

    page.get_by_role("switch", name="Available").check()
    expect(page.locator("#mine")).to_contain_text("Jordan Reed")
    expect(page.locator("#queue")).to_contain_text("Nobody is waiting")
    page.locator("#mine").get_by_role("button").click()
    page.get_by_role("button", name="Transfer").click()
    page.get_by_label("Transfer to").select_option("queue")
    page.get_by_label("Note for the next person").fill("Needs the orders team.")
    page.get_by_role("button", name="Confirm transfer").click()
    expect(page.locator(".queue-item")).to_contain_text("Jordan Reed")
    expect(page.locator(".transcript .msg-note")).to_contain_text("Needs the orders team.")
    desk.shot("desk-after-transfer")
