"""What reaches the CRM after the ticket or Case: an event on the HubSpot contact's timeline
(through hubspot-api-client's timeline events API), the survey answer in the Salesforce Case's
fields (through simple-salesforce), and the Case's Status or the ticket's stage following its
conversation when it is reopened and resolved again, all against the fakes of their REST
APIs."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from hybridcx.flows.backend import BackendUnavailable
from hybridcx.hours.service import idle_sweep
from hybridcx.integrations.hubspot import HubSpotCrm, TimelineEntry
from hybridcx.integrations.sync import SyncWorker
from hybridcx.kit.ids import utcnow
from tests.channels.test_email_tls import Pki
from tests.integrations.fakes import (
    HUBSPOT_TOKEN,
    SALESFORCE_TOKEN,
    FakeServer,
    HubSpotState,
    SalesforceState,
)
from tests.support import Api, LiveServer

TEMPLATE = "1001298"  # the fake portal's event template


def connect(api: Api, admin: str, name: str, kind: str, settings: dict[str, Any]) -> None:
    token = HUBSPOT_TOKEN if kind == "hubspot" else SALESFORCE_TOKEN
    r = api.staff(
        admin,
        "PUT",
        f"/api/v1/integrations/{name}",
        json={"kind": kind, "settings": settings, "secrets": {"access_token": token}},
    )
    assert r.status_code == 200, r.text


def resolve_with_survey(api: Api, *, rating: int | None = None) -> str:
    conv = api.start("alex@example.com", "Alex")
    api.say(conv, "My parcel arrived damaged and the jacket is torn")
    api.say(conv, "agent")
    agent = api.login("agent@example.com", "demo-agent")
    path = f"/api/v1/conversations/{conv['id']}"
    assert api.staff(agent, "POST", f"{path}/accept").is_success
    assert api.staff(agent, "POST", f"{path}/resolve").is_success
    if rating is not None:
        r = api.http.post(
            f"{path}/survey",
            json={"rating": rating, "nps": 9},
            headers={"Authorization": f"Bearer {conv['customer_token']}"},
        )
        assert r.status_code == 201, r.text
    return str(conv["id"])


def syncs(api: Api, admin: str, name: str) -> list[tuple[str, str, str | None]]:
    items = api.staff(admin, "GET", f"/api/v1/integrations/{name}/syncs").json()["items"]
    return sorted((s["action"], s["status"], s["external_id"]) for s in items)


# ---- HubSpot timeline events ---------------------------------------------------------------------


def test_a_resolved_conversation_is_an_event_on_the_hubspot_contacts_timeline(
    api: Api, server: LiveServer, admin: str, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    settings = {
        "host": fake.url,
        "link_base": "https://cx.example.com",
        "timeline_event_template_id": TEMPLATE,
    }
    connect(api, admin, "hubspot", "hubspot", settings)
    conv_id = resolve_with_survey(api, rating=4)  # answered before the worker ran: known
    worker = SyncWorker(server.runtime, poll_seconds=1)
    server.call(worker.run_once())  # the ticket, the timeline event, the survey note
    later = utcnow() + timedelta(minutes=5)  # the note, had it gone before the ticket
    server.call(worker.run_once(now=later))
    assert server.call(worker.run_once(now=later + timedelta(hours=2))) == 0  # once
    [event] = state.timeline
    assert event["eventTemplateId"] == TEMPLATE
    assert event["objectId"] == "51"  # the contact found by the customer's email
    assert event["id"].startswith("hybridcx-")
    tokens = event["tokens"]
    assert tokens["channel"] == "webchat"
    assert tokens["csat"] == "4/5"
    assert tokens["link"] == f"https://cx.example.com/desk?conversation={conv_id}"
    assert tokens["summary"] and tokens["category"]
    assert event["timestamp"].startswith(str(utcnow().year))
    # the SDK spoke the timeline events API
    assert ("POST", "/integrators/timeline/v3/events") in [
        (m, p.split("?")[0]) for m, p, _ in fake.requests
    ]
    assert syncs(api, admin, "hubspot") == [
        ("csat", "done", state.notes[0]["id"]),
        ("ticket", "done", state.tickets[0]["id"]),
        ("timeline", "done", event["id"]),
    ]


def test_without_a_template_no_timeline_event_is_sent(
    api: Api, server: LiveServer, admin: str, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    connect(api, admin, "hubspot", "hubspot", {"host": fake.url})
    resolve_with_survey(api)
    assert server.call(SyncWorker(server.runtime, poll_seconds=1).run_once()) == 1
    assert state.timeline == [] and len(state.tickets) == 1
    assert [a for a, _, _ in syncs(api, admin, "hubspot")] == ["ticket"]
    bad = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/hubspot",
        json={"kind": "hubspot", "settings": {"host": fake.url, "timeline_event_template_id": "x"}},
    )
    assert bad.status_code == 422 and "timeline_event_template_id" in bad.text


def test_a_timeline_event_is_sent_once_even_when_retried(
    hubspot: tuple[FakeServer, HubSpotState],
) -> None:
    fake, state = hubspot
    client = HubSpotCrm("hubspot", HUBSPOT_TOKEN, host=fake.url, timeout_seconds=3)
    entry = TimelineEntry(
        event_id="hybridcx-0f8c2a4e",
        template_id=TEMPLATE,
        email="alex@example.com",
        tokens={"channel": "sms", "summary": "Tracking sent."},
        at=datetime(2026, 12, 8, 10, 0),
    )
    assert asyncio.run(client.add_timeline_event(entry)) == "hybridcx-0f8c2a4e"
    # an attempt whose answer was lost: HubSpot has the id already (409), nothing new
    assert asyncio.run(client.add_timeline_event(entry)) == "hybridcx-0f8c2a4e"
    assert len(state.timeline) == 1
    unknown = TimelineEntry(**{**entry.__dict__, "email": "nobody@example.com"})
    assert asyncio.run(client.add_timeline_event(unknown)) is None  # no contact is created
    wrong = TimelineEntry(**{**entry.__dict__, "template_id": "42", "event_id": "other"})
    with pytest.raises(BackendUnavailable, match="HTTP 404"):
        asyncio.run(client.add_timeline_event(wrong))


# ---- Salesforce: the Case follows ------------------------------------------------------------------


def test_the_survey_answer_goes_into_the_cases_fields(
    api: Api,
    server: LiveServer,
    admin: str,
    salesforce: tuple[FakeServer, SalesforceState],
    pki: Pki,
) -> None:
    fake, state = salesforce
    settings = {
        "instance_url": fake.url,
        "ca_file": str(pki.ca),
        "csat_field": "CSAT__c",
        "nps_field": "NPS__c",
    }
    connect(api, admin, "sf", "salesforce", settings)
    resolve_with_survey(api, rating=4)
    worker = SyncWorker(server.runtime, poll_seconds=1)
    server.call(worker.run_once())  # the Case; the answer waits for it
    server.call(worker.run_once(now=utcnow() + timedelta(minutes=5)))
    [case] = state.cases
    assert state.case_updates == [(case["Id"], {"CSAT__c": 4, "NPS__c": 9})]
    assert (case["CSAT__c"], case["NPS__c"]) == (4, 9)
    [comment] = state.comments  # and the CaseComment, as before
    assert comment["ParentId"] == case["Id"]
    assert ("PATCH", f"/services/data/v59.0/sobjects/Case/{case['Id']}") in [
        (m, p) for m, p, _ in fake.requests
    ]
    bad = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/sf",
        json={"kind": "salesforce", "settings": {**settings, "csat_field": "CSAT__c; DROP"}},
    )
    assert bad.status_code == 422 and "csat_field" in bad.text


def _sweep(server: LiveServer) -> int:
    return int(server.call(idle_sweep(server.runtime, now=utcnow() + timedelta(minutes=31))))


class Reopening:
    """A conversation the idle sweep resolves, the customer reopens and an agent resolves
    again, with the sync worker run after each step."""

    def __init__(self, api: Api, server: LiveServer) -> None:
        self.api, self.server = api, server
        self.worker = SyncWorker(server.runtime, poll_seconds=1)
        sup = api.login("supervisor@example.com", "demo-supervisor")
        hours = {"timezone": "UTC", "weekly": {}, "idle_close_minutes": 30}
        assert api.staff(sup, "PUT", "/api/v1/business-hours", json=hours).status_code == 200
        self.conv = api.start("alex@example.com", "Alex")

    def sync(self) -> int:
        return int(self.server.call(self.worker.run_once()))

    def idle_close(self) -> None:
        assert _sweep(self.server) == 1  # idle: resolved by the system

    def reopen(self) -> None:
        assert self.api.say(self.conv, "Actually, one more thing").status_code == 200

    def resolve_again(self) -> None:
        self.api.say(self.conv, "agent")  # by an agent this time
        agent = self.api.login("agent@example.com", "demo-agent")
        path = f"/api/v1/conversations/{self.conv['id']}"
        assert self.api.staff(agent, "POST", f"{path}/accept").is_success
        assert self.api.staff(agent, "POST", f"{path}/resolve").is_success


def test_a_reopened_and_resolved_again_conversation_moves_its_case_status(
    api: Api,
    server: LiveServer,
    admin: str,
    salesforce: tuple[FakeServer, SalesforceState],
    pki: Pki,
) -> None:
    fake, state = salesforce
    settings = {"instance_url": fake.url, "ca_file": str(pki.ca), "reopened_status": "Escalated"}
    connect(api, admin, "sf", "salesforce", settings)
    flow = Reopening(api, server)
    flow.idle_close()
    assert flow.sync() == 1
    [case] = state.cases
    assert case["Status"] == "Closed"
    flow.reopen()
    assert flow.sync() == 1
    assert state.case_updates == [(case["Id"], {"Status": "Escalated"})]
    flow.resolve_again()
    assert flow.sync() == 1
    assert flow.sync() == 0  # once each
    assert len(state.cases) == 1  # no second Case
    assert state.case_updates[1:] == [(case["Id"], {"Status": "Closed"})]
    assert case["Status"] == "Closed"
    assert syncs(api, admin, "sf") == [
        ("status", "done", case["Id"]),
        ("ticket", "done", case["Id"]),
        ("ticket", "done", case["Id"]),
    ]
    # the second resolve's summary is a private comment on the Case (the first is its
    # Description; a reopen adds none)
    [comment] = state.comments
    assert (comment["ParentId"], comment["IsPublished"]) == (case["Id"], False)
    assert comment["CommentBody"].startswith("Resolved again (hybridcx):\n")
    assert f"hybridcx conversation: {flow.conv['id']}" in comment["CommentBody"]


def test_a_reopened_and_resolved_again_conversation_moves_its_hubspot_ticket(
    api: Api, server: LiveServer, admin: str, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    connect(api, admin, "hubspot", "hubspot", {"host": fake.url, "reopened_stage": "3"})
    flow = Reopening(api, server)
    flow.idle_close()
    flow.sync()
    flow.reopen()
    flow.sync()
    flow.resolve_again()
    flow.sync()
    [ticket] = state.tickets  # one ticket, its stage moved back and forth
    assert state.ticket_updates == [
        (ticket["id"], {"hs_pipeline_stage": "3"}),
        (ticket["id"], {"hs_pipeline_stage": "4"}),
    ]
    assert ticket["properties"]["hs_pipeline_stage"] == "4"
    assert ("PATCH", f"/crm/v3/objects/tickets/{ticket['id']}") in [
        (m, p.split("?")[0]) for m, p, _ in fake.requests
    ]
    assert [a for a, _, _ in syncs(api, admin, "hubspot")] == ["status", "ticket", "ticket"]
    [note] = state.notes  # the second resolve's summary, on the ticket
    assert note["properties"]["hs_note_body"].startswith("Resolved again (hybridcx):\n")
    assert note["associations"][0]["to"]["id"] == ticket["id"]
    assert note["associations"][0]["types"][0]["associationTypeId"] == 228


def test_a_second_summary_is_added_once_when_the_first_answer_was_lost(
    api: Api,
    server: LiveServer,
    admin: str,
    hubspot: tuple[FakeServer, HubSpotState],
    salesforce: tuple[FakeServer, SalesforceState],
    pki: Pki,
) -> None:
    hub, hub_state = hubspot
    sf, sf_state = salesforce
    connect(api, admin, "hubspot", "hubspot", {"host": hub.url})
    connect(api, admin, "sf", "salesforce", {"instance_url": sf.url, "ca_file": str(pki.ca)})
    flow = Reopening(api, server)
    flow.idle_close()
    flow.sync()
    flow.reopen()
    flow.sync()
    flow.resolve_again()
    hub_state.lost_note_answers = sf_state.lost_comment_answers = 1
    assert flow.sync() == 0  # both made, neither answer came back: retried
    later = utcnow() + timedelta(minutes=5)
    assert server.call(flow.worker.run_once(now=later)) == 2
    assert len(hub_state.notes) == 1 and len(sf_state.comments) == 1  # found, not made again
    marker = hub_state.notes[0]["properties"]["hs_note_body"].rsplit("\n", 1)[1]
    assert marker.startswith("hybridcx resolve ")
    assert sf_state.comments[0]["CommentBody"].endswith(marker)  # the same resolve event
    assert [a for a, s, _ in syncs(api, admin, "hubspot") if s != "done"] == []
