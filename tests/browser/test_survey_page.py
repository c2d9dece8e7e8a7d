"""The survey page behind the link a resolved email conversation gets, in a real
browser: rate, recommend, comment, send; the answer is the conversation's survey event, and the
link then says it was answered."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from hybridcx.surveys.service import token_for
from tests.browser.conftest import Tab
from tests.channels.twilio_helpers import conversations_of, send_sms
from tests.support import Api, LiveServer


def test_answer_the_survey_from_its_link(
    api: Api, server: LiveServer, open_tab: Callable[..., Tab]
) -> None:
    send_sms(api, "+14155550188", "agent")
    [conv] = conversations_of(api, "sms")
    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/accept").is_success
    assert api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/resolve").is_success

    async def make_token() -> str:
        async with server.runtime.sessions() as session:
            return token_for(session, conv["id"])

    token = server.call(make_token())
    tab = open_tab(f"/survey/{token}")
    page = tab.page
    send = page.get_by_role("button", name="Send feedback")
    expect(send).to_be_visible()
    send.click()
    expect(page.get_by_role("alert")).to_have_text("Choose a rating from 1 to 5.")
    page.locator("#survey .rating:not(.nps)").get_by_role("radio", name="4").check()
    page.locator("#survey .rating.nps").get_by_role("radio", name="9").check()
    page.get_by_label("Comment").fill("Sorted in minutes")
    tab.shot("survey-page")
    send.click()
    expect(page.get_by_text("Thank you for your feedback!")).to_be_visible()

    view = api.staff(agent, "GET", f"/api/v1/conversations/{conv['id']}").json()
    [event] = [e for e in view["events"] if e["type"] == "survey.submitted"]
    assert event["data"]["rating"] == 4 and event["data"]["nps"] == 9
    assert event["data"]["comment"] == "Sorted in minutes" and event["data"]["via"] == "link"

    again = open_tab(f"/survey/{token}")
    expect(again.page.get_by_text("we already have your feedback")).to_be_visible()
    expect(again.page.get_by_role("button", name="Send feedback")).to_be_hidden()
    forged = open_tab(f"/survey/{conv['id']}.{'0' * 32}")
    expect(forged.page.locator("#survey-status")).to_have_text("This survey link is not valid.")
