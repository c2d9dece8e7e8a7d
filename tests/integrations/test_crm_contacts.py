"""A customer the CRM has no contact for gets one when a sync needs it (a ticket or Case at
resolve, a push): created through hubspot-api-client / simple-salesforce against fakes of
their REST APIs, its id kept as the customer's ``crm`` identity, and never made twice, even
when the attempt that made it failed afterwards or HubSpot's search has not caught up."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from hybridcx.integrations.hubspot import ContactSeed, HubSpotCrm
from hybridcx.integrations.sync import SyncWorker
from hybridcx.kit.ids import utcnow
from tests.channels.test_email_tls import Pki
from tests.integrations.fakes import (
    HUBSPOT_TOKEN,
    FakeServer,
    HubSpotState,
    SalesforceState,
)
from tests.integrations.test_crm_outbound import connect_hubspot, connect_salesforce
from tests.support import Api, LiveServer

ROBIN = "robin.quinn@example.com"


def resolve_for(api: Api, email: str, name: str) -> str:
    conv = api.start(email, name)
    api.say(conv, "agent")
    agent = api.login("agent@example.com", "demo-agent")
    path = f"/api/v1/conversations/{conv['id']}"
    assert api.staff(agent, "POST", f"{path}/accept").is_success
    assert api.staff(agent, "POST", f"{path}/resolve").is_success
    return str(conv["id"])


def crm_identities(api: Api, admin: str, conv_id: str) -> list[str]:
    view = api.staff(admin, "GET", f"/api/v1/conversations/{conv_id}").json()
    profile = api.staff(admin, "GET", f"/api/v1/customers/{view['customer']['id']}").json()
    return [i["value"] for i in profile["identities"] if i["kind"] == "crm"]


def test_a_resolve_for_a_customer_hubspot_lacks_creates_the_contact_once(
    api: Api, server: LiveServer, admin: str, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    connect_hubspot(api, admin, fake, {})
    conv_id = resolve_for(api, ROBIN, "Robin Quinn")
    state.failing_tickets = 1  # the contact is made, then the ticket fails: retried
    worker = SyncWorker(server.runtime, poll_seconds=1)
    assert server.call(worker.run_once()) == 0
    assert state.created == [{"email": ROBIN, "firstname": "Robin", "lastname": "Quinn"}]
    [made] = state.made_ids
    assert crm_identities(api, admin, conv_id) == [f"hubspot:{made}"]  # kept though it failed

    state.search_lags = True  # and HubSpot's search does not find it yet: the id is used
    assert server.call(worker.run_once(now=utcnow() + timedelta(minutes=5))) == 1
    assert len(state.created) == 1  # not made twice
    [ticket] = state.tickets
    assert ticket["associations"][0]["to"] == {"id": made}
    assert crm_identities(api, admin, conv_id) == [f"hubspot:{made}"]


def test_a_second_create_of_one_email_answers_hubspots_409_with_the_first_id(
    hubspot: tuple[FakeServer, HubSpotState],
) -> None:
    fake, state = hubspot
    state.search_lags = True  # as when an attempt made it and its answer was lost
    crm = HubSpotCrm("hubspot", HUBSPOT_TOKEN, host=fake.url)
    seed = ContactSeed("c-1", ROBIN, "Robin", None)
    first = asyncio.run(crm.ensure_contact(seed))
    again = asyncio.run(crm.ensure_contact(seed))
    assert first == (state.made_ids[0], True)
    assert again == (state.made_ids[0], True)  # HubSpot's conflict names the one contact
    assert len(state.made_ids) == 1 and len(state.created) == 2
    assert state.created[0] == {"email": ROBIN, "firstname": "", "lastname": "Robin"}


def test_a_push_for_a_customer_hubspot_lacks_creates_it_with_every_value(
    api: Api, server: LiveServer, admin: str, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    connect_hubspot(api, admin, fake, {"vip": "hybridcx_wins", "lifetime_value": "newest_wins"})
    r = api.staff(
        admin,
        "POST",
        "/api/v1/customers",
        json={"email": ROBIN, "name": "Robin Quinn", "vip": True, "lifetime_value": 80},
    )
    assert r.status_code == 201, r.text
    worker = SyncWorker(server.runtime, poll_seconds=1)
    assert server.call(worker.run_once()) == 1
    [made] = state.made_ids
    assert state.updates == [(made, {"hybridcx_vip": "true", "total_revenue": "80.0"})]
    [sync] = api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs").json()["items"]
    assert sync["external_id"] == made
    page = api.staff(admin, "GET", "/api/v1/audit?action=integration.sync_attempt").json()
    assert page["items"][0]["details"]["outcome"] == f"contact {made} created; updated"


def test_without_create_contacts_a_customer_hubspot_lacks_gets_none(
    api: Api, server: LiveServer, admin: str, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    r = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/hubspot",
        json={
            "kind": "hubspot",
            "settings": {"host": fake.url, "create_contacts": False},
            "secrets": {"access_token": HUBSPOT_TOKEN},
        },
    )
    assert r.status_code == 200, r.text
    resolve_for(api, ROBIN, "Robin Quinn")
    assert server.call(SyncWorker(server.runtime, poll_seconds=1).run_once()) == 1
    assert state.created == [] and state.tickets[0]["associations"] == []


def test_a_resolve_for_a_customer_salesforce_lacks_creates_the_contact_once(
    api: Api,
    server: LiveServer,
    admin: str,
    salesforce: tuple[FakeServer, SalesforceState],
    pki: Pki,
) -> None:
    fake, state = salesforce
    connect_salesforce(api, admin, fake, str(pki.ca))
    conv_id = resolve_for(api, ROBIN, "Robin")
    worker = SyncWorker(server.runtime, poll_seconds=1)
    assert server.call(worker.run_once()) == 1
    assert state.created == [{"FirstName": None, "LastName": "Robin", "Email": ROBIN}]
    made = state.contacts[-1]["Id"]
    [case] = state.cases
    assert case["ContactId"] == made
    assert crm_identities(api, admin, conv_id) == [f"sf:{made}"]
    # the next resolve of the same customer: the Contact is known, none made
    resolve_for(api, ROBIN, "Robin")
    assert server.call(worker.run_once()) == 1
    assert len(state.created) == 1 and len(state.cases) == 2
    assert state.cases[1]["ContactId"] == made
