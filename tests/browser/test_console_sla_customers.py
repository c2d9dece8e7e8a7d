"""Issue 19 gaps in a real browser: the supervisor console edits the SLA policies (a clear
error for two policies on the same conversations), sets and removes a team's own business
hours, and shows SLA attainment in the KPIs and a report by tag with attainment by tier,
channel and team; the desk finds a customer (escaped), lists their conversations and opens one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import expect

from hybridcx.hours.sla import sla_sweep
from hybridcx.kit.ids import utcnow
from tests.browser.conftest import Tab
from tests.browser.test_web import sign_in
from tests.support import Api, LiveServer


def test_supervisor_edits_sla_policies_team_hours_and_reads_kpis_by_tag(
    api: Api, server: LiveServer, open_tab: Callable[..., Tab]
) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    assert api.staff(sup, "POST", "/api/v1/tags", json={"name": "late"}).status_code == 201
    console = open_tab("/supervisor")
    sign_in(console, "supervisor@example.com", "demo-supervisor")
    page = console.page

    # SLA policies: two rows on the same conversations are refused, then one is saved.
    policies = page.get_by_role("region", name="SLA policies")
    policies.get_by_role("button", name="Add policy").click()
    policies.get_by_label("Policy 1", exact=True).fill("Chat")
    policies.get_by_label("Policy 1 channel").select_option("webchat")
    policies.get_by_label("Policy 1 first response minutes").fill("10")
    policies.get_by_label("Policy 1 counts business hours only").uncheck()
    policies.get_by_role("button", name="Add policy").click()
    policies.get_by_label("Policy 2", exact=True).fill("Chat again")
    policies.get_by_label("Policy 2 channel").select_option("webchat")
    policies.get_by_role("button", name="Save SLA policies").click()
    expect(policies.get_by_role("status")).to_contain_text("same conversations")
    policies.get_by_role("button", name="Remove policy 2").click()
    policies.get_by_role("button", name="Save SLA policies").click()
    expect(policies.get_by_role("status")).to_have_text("SLA policies saved.")
    saved = api.staff(sup, "GET", "/api/v1/sla/policies").json()["items"]
    assert [(p["name"], p["channel"], p["first_response_minutes"]) for p in saved] == [
        ("Chat", "webchat", 10)
    ]
    assert saved[0]["business_hours"] is False
    # The attainment section lists the saved policy.
    report = page.get_by_role("region", name="SLA attainment (last 7 days)")
    expect(report).to_contain_text("Chat (webchat): first response 10 min")

    # A team's own hours: saved, listed, removed.
    teams = page.get_by_role("region", name="Hours per team")
    expect(teams).to_contain_text("No team has hours of its own")
    teams.get_by_label("Team", exact=True).fill("premium")
    teams.get_by_label("Team time zone").fill("Mars/Olympus")
    teams.get_by_role("button", name="Save team hours").click()
    expect(teams.get_by_role("status")).to_contain_text("Unknown time zone")
    teams.get_by_label("Team time zone").fill("America/New_York")
    teams.get_by_label("Team Sunday closed").check()
    teams.get_by_role("button", name="Save team hours").click()
    expect(teams.get_by_role("status")).to_have_text("Team premium hours saved.")
    expect(teams.locator("li[data-team=premium]")).to_contain_text("America/New_York")
    hours = api.staff(sup, "GET", "/api/v1/business-hours").json()["teams"]
    assert [(t["team"], t["timezone"]) for t in hours] == [("premium", "America/New_York")]
    assert "sun" not in hours[0]["weekly"] and hours[0]["weekly"]["mon"] == [
        {"open": "09:00", "close": "17:00"}
    ]
    teams.get_by_role("button", name="Remove premium hours").click()
    expect(teams.get_by_role("status")).to_contain_text("follows the workspace's hours again")
    expect(teams).to_contain_text("No team has hours of its own")

    # A breached conversation, tagged: the KPIs and the report by tag show the attainment.
    agent = api.login("agent@example.com", "demo-agent")
    conv = api.start("alex@example.com", "Alex Morgan")
    assert api.say(conv, "agent").json()["conversation"]["status"] == "queued"
    server.call(sla_sweep(server.runtime, now=utcnow() + timedelta(minutes=11)))
    assert api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code == 200
    r = api.staff(
        agent, "POST", f"/api/v1/conversations/{conv['id']}/replies", json={"text": "Sorry!"}
    )
    assert r.status_code in (200, 201)
    server.call(sla_sweep(server.runtime, now=utcnow() + timedelta(minutes=12)))
    assert api.staff(sup, "PUT", f"/api/v1/conversations/{conv['id']}/tags/late").is_success

    page.get_by_label("Window").select_option(label="Last 7 days")
    kpis = page.get_by_role("region", name="KPIs")
    expect(kpis.locator("[data-kpi=sla] .value")).to_have_text("0%", timeout=15_000)
    expect(kpis.locator("[data-kpi=sla]")).to_contain_text("0 of 1 responses in time · 1 breaches")
    by_tag = page.get_by_role("region", name="Report by tag")
    by_tag.get_by_label("Tag").select_option("late")
    expect(by_tag.locator("[data-kpi=tag-volume] .value")).to_have_text("1")
    expect(by_tag.locator("[data-kpi=tag-sla]")).to_contain_text("1 breaches")
    expect(by_tag.get_by_role("table", name="SLA by channel")).to_contain_text("webchat")
    expect(by_tag.get_by_role("table", name="SLA by tier")).to_contain_text("2")
    by_tag.scroll_into_view_if_needed()
    console.shot("supervisor-kpis-by-tag")


def test_an_agent_finds_a_customer_and_opens_their_conversation(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    conv = api.start("kim@example.org", "Kim <b>Park</b>")  # escaped, never markup
    assert api.say(conv, "agent").is_success
    for i in range(21):
        api.start(f"many{i}@example.org", f"Many {i}")
    desk = open_tab("/desk")
    sign_in(desk, "agent@example.com", "demo-agent")
    page = desk.page
    box = page.get_by_role("region", name="Find customers")
    box.get_by_label("Find a customer").fill("kim@example.org")
    box.get_by_role("button", name="Find customers").click()
    results = box.locator("#customer-results .customer-item")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Kim <b>Park</b>")
    expect(results.first.locator("b")).to_have_count(0)
    results.first.get_by_role("button", name="Kim <b>Park</b>").click()
    opened = results.first.locator(".customer-conversations button")
    expect(opened).to_have_count(1)
    expect(opened).to_contain_text("queued · webchat")
    opened.click()
    expect(page.locator("#workspace")).to_contain_text("Kim <b>Park</b>")

    # Everyone, 20 at a time, then the rest.
    box.get_by_label("Find a customer").fill("")
    box.get_by_role("button", name="Find customers").click()
    expect(results).to_have_count(20)
    box.get_by_role("button", name="More customers").click()
    expect(results.nth(20)).to_be_visible()
    expect(box.get_by_role("button", name="More customers")).to_be_hidden()
    box.get_by_label("Find a customer").fill("nobody-like-this")
    box.get_by_role("button", name="Find customers").click()
    expect(box.locator("#customer-results")).to_contain_text("No customer found.")
    desk.shot("desk-customer-search")
