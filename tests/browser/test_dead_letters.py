"""The dead-letter list in the supervisor console: admins list, retry and discard the
CRM syncs that failed every attempt; supervisors do not see the section."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.browser.test_web import sign_in
from tests.integrations.fakes import FakeServer, HubSpotState, fake_hubspot
from tests.integrations.test_dead_letters import dead_syncs
from tests.support import Api, LiveServer


@pytest.fixture
def hubspot() -> Iterator[tuple[FakeServer, HubSpotState]]:
    fake, state = fake_hubspot()
    fake.start()
    yield fake, state
    fake.stop()


def test_the_console_lists_retries_and_discards_dead_letters(
    api: Api,
    server: LiveServer,
    hubspot: tuple[FakeServer, HubSpotState],
    open_tab: Callable[..., Tab],
) -> None:
    fake, _state = hubspot
    first, second = dead_syncs(api, server, fake, 2)
    fake.start()
    tab = open_tab("/supervisor")
    sign_in(tab, "admin@example.com", "demo-admin")
    page = tab.page
    section = page.get_by_role("region", name="Dead letters")
    expect(section.locator("tbody tr")).to_have_count(2)
    expect(section.locator(f"tr[data-sync='{first}'] td").nth(0)).to_have_text("hubspot")
    tab.shot("dead-letters")
    section.locator(f"tr[data-sync='{first}']").get_by_role("button", name="Retry").click()
    expect(section.locator("#dead-letters-status")).to_contain_text("Sent back to the queue")
    expect(section.locator("tbody tr[data-sync]")).to_have_count(1)
    section.locator(f"tr[data-sync='{second}']").get_by_role("button", name="Discard").click()
    expect(section.locator("#dead-letters-status")).to_have_text("Discarded: it will not be sent.")
    expect(section.get_by_text("Nothing in the dead-letter list.")).to_be_visible()
    admin = api.login("admin@example.com", "demo-admin")
    syncs = api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs").json()["items"]
    assert {s["id"]: s["status"] for s in syncs} == {first: "pending", second: "discarded"}


def test_supervisors_do_not_see_the_section(
    api: Api, server: LiveServer, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab("/supervisor")
    sign_in(tab, "supervisor@example.com", "demo-supervisor")
    expect(tab.page.locator("#dead-letters")).to_be_hidden()
