"""The fake CRM and the fake shop both go down mid-conversation: the customer still gets an
honest answer and a person, the agent resolves without an error, and the ticket waits in the
sync queue (retried with backoff) until HubSpot is back."""

from __future__ import annotations

from datetime import timedelta

from hybridcx.integrations.sync import SyncWorker
from hybridcx.kit.ids import utcnow
from tests.integrations.fakes import FakeServer, HubSpotState
from tests.integrations.test_crm_outbound import attempts, connect_hubspot
from tests.integrations.test_e2e import ai_text, connect_shop, turn
from tests.support import Api, LiveServer


def test_the_crm_and_the_shop_down_mid_conversation(
    api: Api,
    server: LiveServer,
    shop: FakeServer,
    hubspot: tuple[FakeServer, HubSpotState],
) -> None:
    crm, state = hubspot
    admin = api.login("admin@example.com", "demo-admin")
    connect_shop(api, admin, shop)
    connect_hubspot(api, admin, crm, {})
    conv = api.start("alex@example.com", "Alex")
    assert "order number" in ai_text(turn(api, conv, "Where is my order?"))
    shop.stop()
    crm.stop()
    body = turn(api, conv, "It's 7001")
    said = ai_text(body)
    assert "I can't reach our systems right now" in said  # honest, not a made-up status
    assert "member of our team" in said
    assert body["conversation"]["status"] == "queued"
    assert "backend_unavailable" in body["conversation"]["routing"]["reasons"]

    agent = api.login("agent@example.com", "demo-agent")
    path = f"/api/v1/conversations/{conv['id']}"
    assert api.staff(agent, "POST", f"{path}/accept").status_code == 200
    assert api.staff(
        agent, "POST", f"{path}/replies", json={"text": "Checking by hand."}
    ).is_success
    assert api.staff(agent, "POST", f"{path}/resolve").status_code == 200  # no CRM in the way

    worker = SyncWorker(server.runtime, poll_seconds=1)
    t0 = utcnow() + timedelta(seconds=1)
    assert server.call(worker.run_once(now=t0)) == 0
    [pending] = api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs").json()["items"]
    assert (pending["action"], pending["status"], pending["attempts"]) == ("ticket", "pending", 1)
    assert attempts(api, admin)[0]["ok"] is False

    crm.start()  # back on the same port
    assert server.call(worker.run_once(now=t0 + timedelta(seconds=11))) == 1
    [ticket] = state.tickets
    assert conv["id"] in ticket["properties"]["content"]
