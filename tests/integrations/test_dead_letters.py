"""The dead-letter list: a CRM that stays down leaves a dead sync, which an admin
discards (audited, never sent again) or retries."""

from __future__ import annotations

from datetime import timedelta

from hybridcx.integrations.sync import SyncPolicy, SyncWorker
from hybridcx.kit.ids import utcnow
from tests.integrations.fakes import FakeServer, HubSpotState
from tests.integrations.test_hubspot import _connect, _resolved_conversation
from tests.support import Api, LiveServer


def dead_syncs(api: Api, server: LiveServer, fake: FakeServer, count: int) -> list[str]:
    """``count`` resolved conversations whose tickets failed every attempt."""
    admin = api.login("admin@example.com", "demo-admin")
    _connect(api, admin, fake)
    conversations = [_resolved_conversation(api) for _ in range(count)]
    fake.stop()
    worker = SyncWorker(server.runtime, poll_seconds=1, policy=SyncPolicy(max_attempts=2))
    later = utcnow() + timedelta(seconds=1)
    for _ in range(2):
        server.call(worker.run_once(now=later))
        later += timedelta(hours=2)
    dead = api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs?status=dead").json()
    assert sorted(i["conversation_id"] for i in dead["items"]) == sorted(conversations)
    return [i["id"] for i in dead["items"]]


def test_a_dead_sync_is_discarded_and_never_sent(
    api: Api, server: LiveServer, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    [sync_id] = dead_syncs(api, server, fake, 1)
    admin = api.login("admin@example.com", "demo-admin")
    path = f"/api/v1/integrations/hubspot/syncs/{sync_id}/discard"
    r = api.staff(admin, "POST", path)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "discarded"
    assert api.staff(admin, "POST", path).status_code == 422  # only a dead one
    unknown = api.staff(admin, "POST", "/api/v1/integrations/hubspot/syncs/nope/discard")
    assert unknown.status_code == 404
    dead = api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs?status=dead").json()
    assert dead["items"] == []
    gone = api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs?status=discarded").json()
    assert [i["id"] for i in gone["items"]] == [sync_id]
    fake.start()
    worker = SyncWorker(server.runtime, poll_seconds=1)
    assert server.call(worker.run_once(now=utcnow() + timedelta(days=1))) == 0
    assert state.tickets == []
    audit = api.staff(admin, "GET", "/api/v1/audit?action=integration.sync_discarded").json()
    assert [a["details"]["sync_id"] for a in audit["items"]] == [sync_id]
    supervisor = api.login("supervisor@example.com", "demo-supervisor")
    assert api.staff(supervisor, "POST", path).status_code == 403
