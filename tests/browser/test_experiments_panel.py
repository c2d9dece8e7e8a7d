"""The supervisor console's experiments panel: a rollout whose guardrail broke shows as rolled
back with its reason and metrics per arm; a running A/B test can be stopped from the panel."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.browser.test_web import sign_in
from tests.experiments.test_api import QUESTION, rollout_body
from tests.support import Api


def test_panel_shows_a_rolled_back_rollout_and_stops_an_ab_test(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    assert api.staff(sup, "POST", "/api/v1/experiments", json=rollout_body()).status_code == 201
    # Arms are drawn by hashing the (random) experiment id with the customer: 30 customers make
    # an arm with fewer than the 5 samples a guardrail needs vanishingly unlikely (16 was not).
    for i in range(30):
        conv = api.start(f"panel{i:02d}@example.com", "Shopper")
        assert api.say(conv, QUESTION).is_success
    ab = {
        "name": "thanks-copy",
        "arms": [
            {"name": "control", "share": 0.5},
            {"name": "warm", "share": 0.5, "overrides": {"smalltalk": {"thanks": "Any time!"}}},
        ],
        "guardrails": [{"metric": "csat", "max_decrease": 0.5}],
    }
    assert api.staff(sup, "POST", "/api/v1/experiments", json=ab).status_code == 201

    tab = open_tab("/supervisor")
    sign_in(tab, "supervisor@example.com", "demo-supervisor")
    page = tab.page
    rollout = page.locator('[data-experiment="touchy-sentiment"]')
    expect(rollout.locator(".exp-status")).to_have_text("rolled_back")
    expect(rollout.locator(".exp-reason")).to_contain_text("guardrail escalation_rate")
    expect(rollout.locator('tr[data-metric="escalation_rate"] td').first).to_have_text("100.0%")
    expect(rollout.locator(".exp-guardrails li")).to_contain_text("BREACHED")
    expect(rollout.get_by_role("button", name="Stop")).to_have_count(0)
    tab.shot("supervisor-experiments")

    test = page.locator('[data-experiment="thanks-copy"]')
    expect(test.locator(".exp-status")).to_have_text("running")
    test.get_by_role("button", name="Stop").click()
    expect(test.locator(".exp-status")).to_have_text("stopped")
    expect(test.locator(".exp-reason")).to_contain_text("stopped from the console")
