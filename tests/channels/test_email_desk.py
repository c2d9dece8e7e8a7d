"""The desk's email drafts panel in a real Chromium: the AI's draft for an email waits for the
agent, who edits it and approves it; the email goes out with the edited text."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Tab, _unavailable
from tests.channels.email_fixtures import MailSink
from tests.channels.test_email_smtp import make_mail, smtp_send
from tests.support import LiveServer


@pytest.fixture
def email_tab(email_server: LiveServer, mail_sink: MailSink) -> Iterator[Callable[[str], Tab]]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[test]'")
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    email_server.reset()
    mail_sink.clear()
    tabs: list[Tab] = []
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def make(path: str) -> Tab:
            context = chromium.new_context(
                viewport={"width": 1280, "height": 900}, base_url=email_server.url
            )
            context.set_default_timeout(10_000)
            tab = Tab(context.new_page())
            tab.page.on("pageerror", lambda exc: tab.errors.append(str(exc)))
            tabs.append(tab)
            tab.page.goto(path)
            return tab

        yield make
        chromium.close()
    for tab in tabs:
        assert tab.errors == [], f"uncaught errors in the page: {tab.errors}"


def test_agent_edits_and_approves_the_ai_draft_in_the_desk(
    email_server: LiveServer, mail_sink: MailSink, email_tab: Callable[[str], Any]
) -> None:
    from playwright.sync_api import expect

    complaint = make_mail("I want to make a complaint about my delivery.", subject="Late delivery")
    complaint.add_attachment(
        b"%PDF-1.4 label", maintype="application", subtype="pdf", filename="label.pdf"
    )
    complaint.add_attachment(b"x" * 60_000, maintype="image", subtype="png", filename="huge.png")
    smtp_send(email_server, complaint)
    assert mail_sink.sent() == []
    desk = email_tab("/desk")
    page = desk.page
    page.get_by_label("Email").fill("agent@example.com")
    page.get_by_label("Password").fill("demo-agent")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#connection")).to_have_text("Live")
    page.get_by_role("button", name="Accept").click()
    # The handoff notice was never mailed, and the desk says so.
    expect(page.locator(".transcript .msg-ai").last).to_contain_text("not sent")
    files = page.get_by_role("list", name="Attachments")
    expect(files).to_contain_text("huge.png (60 kB): not kept, over the 50000-byte limit")
    with page.expect_download() as download:
        files.get_by_role("button", name="label.pdf (14 B)").click()
    assert download.value.suggested_filename == "label.pdf"
    assert Path(download.value.path()).read_bytes() == b"%PDF-1.4 label"
    drafts = page.get_by_role("region", name="Email drafts")
    box = drafts.get_by_label("AI draft, waiting for your approval")
    expect(box).not_to_have_value("")
    assert box.input_value().startswith("Hi Alex")
    box.fill("Hi Alex, I'm sorry your delivery was late. I've refunded the shipping fee.")
    desk.shot("desk-email-draft")
    drafts.get_by_role("button", name="Approve & send").click()
    expect(page.locator(".transcript .msg-agent").last).to_contain_text("refunded the shipping fee")
    expect(drafts).to_contain_text("No draft waiting")
    sent = mail_sink.wait_for().message
    assert "refunded the shipping fee" in sent.get_content()
    assert str(sent["Subject"]) == "Re: Late delivery"
