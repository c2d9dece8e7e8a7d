"""Merge proposals in the desk, in a real browser: a supervisor sees customers who share a
phone number side by side, keeps one pair apart ("Not the same person"), merges the other
(one history) and undoes it (Unmerge); the API agrees at each step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.browser.test_web import sign_in
from tests.support import Api


def customer(api: Api, admin: str, email: str, name: str, phone: str) -> str:
    r = api.staff(
        admin, "POST", "/api/v1/customers", json={"email": email, "name": name, "phone": phone}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def profile(api: Api, token: str, customer_id: str) -> dict[str, Any]:
    r = api.staff(token, "GET", f"/api/v1/customers/{customer_id}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_supervisor_dismisses_merges_and_unmerges_in_the_desk(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    admin = api.login("admin@example.com", "demo-admin")
    customer(api, admin, "kim.one@example.com", "Kim One", "+14155550101")
    customer(api, admin, "kim.two@example.com", "Kim Two", "+14155550101")
    lee = customer(api, admin, "lee@example.com", "Lee Web", "+14155550202")
    lee_sms = customer(api, admin, "lee.sms@example.com", "Lee Sms", "+14155550202")
    sup = api.login("supervisor@example.com", "demo-supervisor")

    desk = open_tab("/desk")
    sign_in(desk, "supervisor@example.com", "demo-supervisor")
    panel = desk.page.get_by_role("region", name="Possible duplicates")
    kims = panel.locator(".merge-item", has_text="Kim One")
    lees = panel.locator(".merge-item", has_text="Lee Web")
    expect(kims).to_contain_text("Same phone number")
    expect(kims).to_contain_text("Kim Two")
    expect(lees).to_contain_text("Lee Sms")
    desk.shot("desk-merge-proposals")

    kims.get_by_role("button", name="Not the same person").click()
    expect(panel.get_by_role("status")).to_contain_text("Kept apart")
    expect(kims).to_have_count(0)
    proposals = api.staff(sup, "GET", "/api/v1/customers/merge-proposals").json()["items"]
    assert [p["reason"] for p in proposals] == ["same_phone"]  # only Lee's is left

    lees.get_by_role("button", name="Merge").click()
    expect(panel.get_by_role("status")).to_contain_text("Merged")
    expect(lees).to_have_count(0)
    expect(panel.locator(".merge-item.empty, .empty")).to_have_text("No customers to merge.")
    merged = profile(api, sup, lee_sms)
    assert merged["merged_into"] in (lee, lee_sms)
    survivor = merged["merged_into"]
    absorbed = lee_sms if survivor == lee else lee
    assert profile(api, sup, absorbed)["merged_into"] == survivor

    panel.get_by_role("button", name="Unmerge").click()
    expect(panel.get_by_role("status")).to_contain_text("Unmerged")
    expect(panel.get_by_role("button", name="Unmerge")).to_have_count(0)
    assert profile(api, sup, absorbed)["merged_into"] is None
    audit = api.staff(admin, "GET", "/api/v1/audit", params={"limit": 200}).json()["items"]
    actions = {a["action"] for a in audit}
    assert {"customer.merge_dismissed", "customer.merged", "customer.unmerged"} <= actions


def test_agents_have_no_merge_panel(api: Api, open_tab: Callable[..., Tab]) -> None:
    desk = open_tab("/desk")
    sign_in(desk, "agent@example.com", "demo-agent")
    expect(desk.page.locator("#merges-box")).to_be_hidden()
