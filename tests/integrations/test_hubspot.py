"""HubSpot through the official hubspot-api-client, pointed at a fake speaking CRM v3: a resolved
conversation becomes a ticket with the summary, once; failures are retried and end in the
dead-letter list, from which an admin sends them again."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest

from hybridcx.customers.repository import find_customer_by_email
from hybridcx.flows.backend import BackendUnavailable
from hybridcx.integrations.hubspot import HubSpotCrm, ResolvedCase, verify_signature_v3
from hybridcx.integrations.sync import SyncPolicy, SyncWorker
from hybridcx.kit.ids import utcnow
from tests.integrations.fakes import HUBSPOT_TOKEN, FakeServer, HubSpotState
from tests.integrations.test_e2e import _connector_id
from tests.support import Api, LiveServer

CASE = ResolvedCase(
    conversation_id="0f8c2a4e-1111-4222-8333-444455556666",
    email="alex@example.com",
    customer_name="Alex",
    channel="webchat",
    summary="Alex's parcel arrived damaged. A replacement was sent. Resolved.",
    category="Orders",
    intent="damaged_item",
    link="https://cx.example.com/desk?conversation=0f8c2a4e-1111-4222-8333-444455556666",
)


def crm(fake: FakeServer, token: str = HUBSPOT_TOKEN) -> HubSpotCrm:
    return HubSpotCrm("hubspot", token, host=fake.url, timeout_seconds=3)


def test_a_ticket_is_created_with_the_summary_and_tied_to_the_contact(
    hubspot: tuple[FakeServer, HubSpotState],
) -> None:
    fake, state = hubspot
    ticket_id = asyncio.run(crm(fake).create_ticket(CASE))
    assert ticket_id == "9000"
    [ticket] = state.tickets
    props = ticket["properties"]
    assert props["subject"] == "Orders (webchat, conversation 0f8c2a4e)"
    assert props["content"].startswith("Alex's parcel arrived damaged.")
    assert "hybridcx conversation: https://cx.example.com/desk?conversation=" in props["content"]
    assert (props["hs_pipeline"], props["hs_pipeline_stage"]) == ("0", "4")
    assert ticket["associations"] == [
        {
            "to": {"id": "51"},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 16}],
        }
    ]
    # the SDK spoke HubSpot's wire format: the search, then the create, with the bearer token
    assert [(m, p) for m, p, _ in fake.requests] == [
        ("POST", "/crm/v3/objects/contacts/search"),
        ("POST", "/crm/v3/objects/tickets"),
    ]
    assert fake.requests[0][2]["authorization"] == f"Bearer {HUBSPOT_TOKEN}"


def test_no_contact_means_a_ticket_without_association(
    hubspot: tuple[FakeServer, HubSpotState],
) -> None:
    fake, state = hubspot
    case = ResolvedCase(**{**CASE.__dict__, "email": "nobody@example.com"})
    asyncio.run(crm(fake).create_ticket(case))
    assert state.tickets[0]["associations"] == []


def test_a_bad_token_or_a_dead_host_is_unavailable_without_the_token(
    hubspot: tuple[FakeServer, HubSpotState],
) -> None:
    fake, _ = hubspot
    with pytest.raises(BackendUnavailable) as caught:
        asyncio.run(crm(fake, "pat-wrong").create_ticket(CASE))
    assert "HTTP 401" in str(caught.value) and "pat-wrong" not in str(caught.value)
    fake.stop()
    with pytest.raises(BackendUnavailable):
        asyncio.run(crm(fake).create_ticket(CASE))


# ---- through the live server ---------------------------------------------------------------------


def _connect(api: Api, admin: str, fake: FakeServer) -> None:
    r = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/hubspot",
        json={
            "kind": "hubspot",
            "settings": {"host": fake.url, "link_base": "https://cx.example.com"},
            "secrets": {"access_token": HUBSPOT_TOKEN},
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["serves_flows"] is False


def _resolved_conversation(api: Api) -> str:
    conv = api.start("alex@example.com", "Alex")
    api.say(conv, "My parcel arrived damaged and the jacket is torn")
    api.say(conv, "agent")
    agent = api.login("agent@example.com", "demo-agent")
    path = f"/api/v1/conversations/{conv['id']}"
    assert api.staff(agent, "POST", f"{path}/accept").status_code == 200
    api.staff(agent, "POST", f"{path}/replies", json={"text": "I've sent a replacement."})
    assert api.staff(agent, "POST", f"{path}/resolve").status_code == 200
    return str(conv["id"])


def test_a_resolved_conversation_becomes_one_hubspot_ticket(
    api: Api, server: LiveServer, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    admin = api.login("admin@example.com", "demo-admin")
    _connect(api, admin, fake)
    conv_id = _resolved_conversation(api)
    worker = SyncWorker(server.runtime, poll_seconds=1)
    assert server.call(worker.run_once()) == 1
    [ticket] = state.tickets
    content = ticket["properties"]["content"]
    assert "Resolved." in content and "Category: Orders" in content
    assert f"https://cx.example.com/desk?conversation={conv_id}" in content
    assert ticket["associations"][0]["to"] == {"id": "51"}
    # idempotent: another round (or another server process) sends nothing again
    assert server.call(worker.run_once()) == 0
    assert len(state.tickets) == 1
    syncs = api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs").json()["items"]
    assert [(s["conversation_id"], s["status"], s["external_id"]) for s in syncs] == [
        (conv_id, "done", "9000")
    ]
    check = api.staff(admin, "POST", "/api/v1/integrations/hubspot/test").json()
    assert check["ok"] is True


def test_a_crm_that_stays_down_fills_the_dead_letter_list_and_a_retry_sends_it(
    api: Api, server: LiveServer, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    admin = api.login("admin@example.com", "demo-admin")
    _connect(api, admin, fake)
    conv_id = _resolved_conversation(api)
    fake.stop()
    worker = SyncWorker(server.runtime, poll_seconds=1, policy=SyncPolicy(max_attempts=3))
    later = utcnow() + timedelta(seconds=1)  # after the rows are enqueued
    for _ in range(3):
        assert server.call(worker.run_once(now=later)) == 0
        later += timedelta(hours=2)  # past any backoff
    dead = api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs?status=dead").json()
    [item] = dead["items"]
    assert item["conversation_id"] == conv_id and item["attempts"] == 3
    assert item["last_error"] and HUBSPOT_TOKEN not in str(dead)
    assert (
        api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs?status=nope").status_code == 422
    )
    path = f"/api/v1/integrations/hubspot/syncs/{item['id']}/retry"
    fake.start()
    r = api.staff(admin, "POST", path)
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert api.staff(admin, "POST", path).status_code == 422  # only a dead one
    assert server.call(worker.run_once(now=utcnow() + timedelta(seconds=1))) == 1
    assert len(state.tickets) == 1
    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(agent, "GET", "/api/v1/integrations/hubspot/syncs").status_code == 403


# ---- inbound: HubSpot's webhooks, signature v3 ----------------------------------------------------

CLIENT_SECRET = "hubspot-app-client-secret"


def _v3(method: str, uri: str, body: bytes, timestamp: str, secret: str = CLIENT_SECRET) -> str:
    source = method.encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()


def test_signature_v3_is_hubspots() -> None:
    uri = "https://cx.example.com/hooks?x=a%3Ab"
    body = b'[{"objectId":1}]'
    now = 1_765_000_000_000
    signature = _v3("POST", "https://cx.example.com/hooks?x=a:b", body, str(now))  # %3A decoded
    check = dict(method="POST", uri=uri, body=body, now_ms=now)
    assert verify_signature_v3(CLIENT_SECRET, timestamp=str(now), signature=signature, **check)
    assert not verify_signature_v3("other", timestamp=str(now), signature=signature, **check)
    assert not verify_signature_v3(
        CLIENT_SECRET, timestamp=str(now), signature=signature, **{**check, "body": body + b" "}
    )
    stale = now - 6 * 60 * 1000
    old = _v3("POST", "https://cx.example.com/hooks?x=a:b", body, str(stale))
    assert not verify_signature_v3(CLIENT_SECRET, timestamp=str(stale), signature=old, **check)
    assert not verify_signature_v3(CLIENT_SECRET, timestamp=None, signature=signature, **check)


def test_a_contact_changed_in_hubspot_changes_the_hybridcx_customer(
    api: Api, server: LiveServer, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    admin = api.login("admin@example.com", "demo-admin")
    r = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/hubspot",
        json={
            "kind": "hubspot",
            "settings": {"host": fake.url},
            "secrets": {"access_token": HUBSPOT_TOKEN, "client_secret": CLIENT_SECRET},
        },
    )
    assert r.status_code == 200, r.text
    contact = state.contacts[0]["properties"]
    contact.update(firstname="Alexandra", lastname="Hub", phone="+1 613 555 0100")
    path = f"/api/v1/integrations/hooks/{_connector_id(server)}/hubspot"
    body = json.dumps(
        [
            {
                "eventId": 100,
                "subscriptionId": 2100,
                "portalId": 62515,
                "appId": 1160452,
                "occurredAt": int(time.time() * 1000),
                "subscriptionType": "contact.propertyChange",
                "attemptNumber": 0,
                "objectId": 51,
                "propertyName": "firstname",
                "propertyValue": "Alexandra",
                "changeSource": "CRM",
            }
        ]
    ).encode()
    now = str(int(time.time() * 1000))
    signed = _v3("POST", f"{server.url}{path}", body, now)
    headers = {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": now}
    bad = api.http.post(path, content=body, headers={**headers, "X-HubSpot-Signature-v3": "x"})
    assert bad.status_code == 401
    r = api.http.post(path, content=body, headers={**headers, "X-HubSpot-Signature-v3": signed})
    assert r.status_code == 200, r.text
    assert r.json()["customers_updated"] == 1

    async def customer() -> tuple[str, str | None]:
        from sqlalchemy import text

        async with server.runtime.sessions() as session:
            ws = (
                await session.execute(text("SELECT id FROM workspaces WHERE is_default"))
            ).scalar_one()
            found = await find_customer_by_email(session, str(ws), "alex@example.com")
            assert found is not None
            return found.name, found.phone

    assert server.call(customer()) == ("Alexandra Hub", "+16135550100")
    # the same delivery again changes nothing (idempotent)
    again = api.http.post(path, content=body, headers={**headers, "X-HubSpot-Signature-v3": signed})
    assert again.status_code == 200 and again.json()["customers_updated"] == 0
