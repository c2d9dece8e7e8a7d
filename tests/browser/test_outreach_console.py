"""Proactive outreach in the supervisor console: a supervisor adds a campaign,
previews who it would notify, and sees it listed; customer text never becomes markup."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.browser.test_web import sign_in
from tests.support import Api


def test_supervisor_adds_and_previews_a_campaign(api: Api, open_tab: Callable[..., Tab]) -> None:
    console = open_tab("/supervisor")
    sign_in(console, "supervisor@example.com", "demo-supervisor")
    section = console.page.get_by_role("region", name="Proactive outreach")
    expect(section).to_contain_text("No campaigns yet.")
    section.get_by_label("Name").fill("<b>Late</b> shipments")
    section.get_by_label("Signal").select_option("late_shipment")
    section.get_by_label("Email").uncheck()
    section.get_by_role("button", name="Add campaign").click()
    expect(section.get_by_role("status")).to_have_text("Campaign <b>Late</b> shipments added.")
    row = section.locator("tr[data-campaign]")
    expect(row).to_contain_text("<b>Late</b> shipments")  # shown as text, not markup
    expect(row).to_contain_text("late shipment")
    expect(row).to_contain_text("sms")
    row.get_by_role("button", name="Preview").click()
    expect(section.get_by_role("status")).to_contain_text("would notify 0 customers")
    console.shot("supervisor-outreach")
    sup = api.login("supervisor@example.com", "demo-supervisor")
    [saved] = api.staff(sup, "GET", "/api/v1/outreach/campaigns").json()["items"]
    assert saved["channels"] == ["sms"] and saved["holdout"] == 0.1
