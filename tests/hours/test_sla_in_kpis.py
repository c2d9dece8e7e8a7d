"""SLA attainment inside the KPI report over real HTTP: ``/api/v1/analytics/kpis``
carries ``operations.sla`` (overall and by tier, channel and team) for the conversations the
report selects, so its filters (channel, tag) apply to it too. The sweep runs at instants moved
forward from the test clock."""

from __future__ import annotations

import pytest

from tests.hours.test_sla_e2e import POLICIES, sweep
from tests.support import Api, LiveServer

pytestmark = pytest.mark.calendar

KPIS = "/api/v1/analytics/kpis"


def test_kpis_carry_sla_attainment_by_tier_channel_and_team_under_the_filters(
    api: Api, server: LiveServer
) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(sup, "PUT", "/api/v1/sla/policies", json=POLICIES).status_code == 200
    assert api.staff(sup, "POST", "/api/v1/tags", json={"name": "late"}).status_code == 201
    late = api.start("alex@example.com", "Alex")
    assert api.say(late, "agent").json()["conversation"]["status"] == "queued"
    assert sweep(server, 11) >= 1  # breached (first response: 10 minutes)
    assert api.staff(agent, "POST", f"/api/v1/conversations/{late['id']}/accept").status_code == 200
    r = api.staff(
        agent, "POST", f"/api/v1/conversations/{late['id']}/replies", json={"text": "Sorry!"}
    )
    assert r.status_code in (200, 201), r.text
    assert sweep(server, 12) == 1  # the late first response: completed, not met
    r = api.staff(sup, "PUT", f"/api/v1/conversations/{late['id']}/tags/late")
    assert r.status_code == 200, r.text

    report = api.staff(sup, "GET", KPIS)
    assert report.status_code == 200, report.text
    sla = report.json()["operations"]["sla"]
    assert sla["overall"] == {"responses": 1, "met": 0, "breaches": 1, "attainment": 0.0}
    assert sla["by_tier"]["2"]["breaches"] == 1
    assert sla["by_channel"] == {
        "webchat": {"responses": 1, "met": 0, "breaches": 1, "attainment": 0.0}
    }
    assert len(sla["by_team"]) == 1
    # The same numbers as the SLA report for the same conversations.
    assert api.staff(sup, "GET", "/api/v1/sla/attainment").json()["overall"] == sla["overall"]

    # The report's filters apply: by tag, and a channel with no conversations.
    tagged = api.staff(sup, "GET", KPIS, params={"tag": "late"}).json()["operations"]["sla"]
    assert tagged["overall"]["breaches"] == 1
    other = api.staff(sup, "GET", KPIS, params={"tag": "refund"}).json()["operations"]["sla"]
    assert other["overall"] == {"responses": 0, "met": 0, "breaches": 0, "attainment": None}
    assert other["by_channel"] == {}
    email = api.staff(sup, "GET", KPIS, params={"channel": "email"}).json()["operations"]["sla"]
    assert email["overall"]["responses"] == 0
    # Agents do not read analytics.
    assert api.staff(agent, "GET", KPIS).status_code == 403
