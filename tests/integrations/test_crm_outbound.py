"""hybridcx's customer changes pushed to the CRM (HubSpot through hubspot-api-client, Salesforce
through simple-salesforce, both against fakes of their REST APIs): only the fields whose
conflict rule lets hybridcx win, idempotent, retried with backoff into the dead-letter list,
every attempt an audit entry; and an erasure reaching the CRM."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hybridcx.integrations.sync import SyncPolicy, SyncWorker
from hybridcx.kit.ids import utcnow
from tests.channels.test_email_tls import Pki
from tests.compliance.conftest import workspace_policy  # noqa: F401  (fixture)
from tests.integrations.fakes import (
    HUBSPOT_TOKEN,
    SALESFORCE_TOKEN,
    FakeServer,
    HubSpotState,
    SalesforceState,
)
from tests.integrations.test_hubspot import CLIENT_SECRET
from tests.profiles.test_field_sync import alex_id
from tests.support import Api, LiveServer

RULES = {
    "name": "hybridcx_wins",
    "vip": "hybridcx_wins",
    "lifetime_value": "newest_wins",
    "phone": "crm_wins",
}


def connect_hubspot(api: Api, admin: str, fake: FakeServer, rules: dict[str, str]) -> None:
    r = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/hubspot",
        json={
            "kind": "hubspot",
            "settings": {"host": fake.url, "field_rules": rules},
            "secrets": {"access_token": HUBSPOT_TOKEN},
        },
    )
    assert r.status_code == 200, r.text


def connect_salesforce(api: Api, admin: str, fake: FakeServer, ca: str, **settings: Any) -> None:
    r = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/sf",
        json={
            "kind": "salesforce",
            "settings": {"instance_url": fake.url, "ca_file": ca, **settings},
            "secrets": {"access_token": SALESFORCE_TOKEN},
        },
    )
    assert r.status_code == 200, r.text


def update_alex(api: Api, admin: str, **fields: Any) -> None:
    r = api.staff(admin, "POST", "/api/v1/customers", json={"email": "alex@example.com", **fields})
    assert r.status_code == 200, r.text


def attempts(api: Api, admin: str) -> list[dict[str, Any]]:
    page = api.staff(admin, "GET", "/api/v1/audit?action=integration.sync_attempt").json()
    return sorted((a["details"] for a in page["items"]), key=lambda d: d["attempt"])


def test_a_customer_change_goes_to_hubspot_by_the_field_rules(
    api: Api, server: LiveServer, admin: str, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    connect_hubspot(api, admin, fake, RULES)
    state.contacts[0]["updatedAt"] = "2020-01-01T00:00:00.000Z"  # older than the change
    update_alex(api, admin, name="Alex Newname", vip=True, phone="+16135550199")
    update_alex(api, admin, lifetime_value=500)  # before the worker runs: one push carries both
    syncs = api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs").json()["items"]
    assert [(s["action"], s["status"], s["customer_id"]) for s in syncs] == [
        ("contact", "pending", alex_id(server))
    ]

    worker = SyncWorker(server.runtime, poll_seconds=1)
    assert server.call(worker.run_once()) == 1
    assert server.call(worker.run_once()) == 0  # sent once
    # hybridcx_wins and newest_wins fields went out, through the SDK's PATCH; the phone is
    # the CRM's (crm_wins), so it did not
    assert state.updates == [
        (
            "51",
            {
                "firstname": "Alex",
                "lastname": "Newname",
                "hybridcx_vip": "true",
                "total_revenue": "500.0",
            },
        )
    ]
    # the first sync of a customer finds its contact by email (and keeps its id); the push
    # reads it by that id (its updatedAt, for newest_wins) and updates it
    assert [(m, p.split("?")[0]) for m, p, _ in fake.requests] == [
        ("POST", "/crm/v3/objects/contacts/search"),
        ("GET", "/crm/v3/objects/contacts/51"),
        ("PATCH", "/crm/v3/objects/contacts/51"),
    ]
    assert state.created == []  # HubSpot had the contact: none made
    [done] = api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs").json()["items"]
    assert (done["status"], done["external_id"], done["conversation_id"]) == ("done", "51", None)
    assert attempts(api, admin) == [
        {
            "action": "contact",
            "attempt": 1,
            "ok": True,
            "status": "done",
            "outcome": "updated",
            "error": None,
            "next_attempt_at": None,
        }
    ]

    # the contact changed in HubSpot after hybridcx's next change: newest_wins keeps HubSpot's
    state.contacts[0]["updatedAt"] = "2099-01-01T00:00:00.000Z"
    update_alex(api, admin, lifetime_value=750, vip=False)
    server.call(worker.run_once())
    assert state.updates[-1] == ("51", {"hybridcx_vip": "false"})  # what changed, no more

    # with every field the CRM's (crm_wins), a change in hybridcx sends nothing
    only_crm = {k: "crm_wins" for k in RULES}
    connect_hubspot(api, admin, fake, only_crm)
    update_alex(api, admin, name="Nobody Pushes")
    syncs = api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs?status=pending").json()
    assert syncs["items"] == []  # every field is the CRM's: nothing to send


def test_a_push_is_retried_with_backoff_then_dead_then_retried_by_an_admin(
    api: Api, server: LiveServer, admin: str, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    connect_hubspot(api, admin, fake, RULES)
    update_alex(api, admin, vip=True)
    fake.stop()
    worker = SyncWorker(server.runtime, poll_seconds=1, policy=SyncPolicy(max_attempts=3))
    t0 = utcnow() + timedelta(seconds=1)
    assert server.call(worker.run_once(now=t0)) == 0
    # not due again before its backoff (10 s, then 20 s)
    assert server.call(worker.run_once(now=t0 + timedelta(seconds=5))) == 0
    assert len(attempts(api, admin)) == 1
    server.call(worker.run_once(now=t0 + timedelta(seconds=11)))
    server.call(worker.run_once(now=t0 + timedelta(seconds=40)))
    tried = attempts(api, admin)
    assert [(a["attempt"], a["ok"], a["status"]) for a in tried] == [
        (1, False, "pending"),
        (2, False, "pending"),
        (3, False, "dead"),
    ]
    assert all("contact search" in a["error"] for a in tried)
    [dead] = api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs?status=dead").json()[
        "items"
    ]
    assert (dead["action"], dead["attempts"]) == ("contact", 3)

    fake.start()
    r = api.staff(admin, "POST", f"/api/v1/integrations/hubspot/syncs/{dead['id']}/retry")
    assert r.status_code == 200, r.text
    assert server.call(worker.run_once(now=t0 + timedelta(minutes=5))) == 1
    assert state.updates[-1][1]["hybridcx_vip"] == "true"


def test_a_customer_change_goes_to_the_salesforce_contact(
    api: Api,
    server: LiveServer,
    admin: str,
    salesforce: tuple[FakeServer, SalesforceState],
    pki: Pki,
) -> None:
    fake, state = salesforce
    connect_salesforce(
        api,
        admin,
        fake,
        str(pki.ca),
        field_rules={"name": "hybridcx_wins", "vip": "hybridcx_wins", "phone": "hybridcx_wins"},
        properties={"vip": "HybridCX_VIP__c"},
    )
    bad = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/sf2",
        json={
            "kind": "salesforce",
            "settings": {"instance_url": fake.url, "properties": {"vip": "X, Name FROM User"}},
        },
    )
    assert bad.status_code == 422 and "properties" in bad.text  # never into SOQL
    update_alex(api, admin, name="Alex Force-Smith", vip=True, phone="+16135550142")
    worker = SyncWorker(server.runtime, poll_seconds=1)
    assert server.call(worker.run_once()) == 1
    assert state.updates == [
        (
            "0035g00000AbCdEAAZ",
            {
                "FirstName": "Alex",
                "LastName": "Force-Smith",
                "HybridCX_VIP__c": True,
                "Phone": "+16135550142",
            },
        )
    ]
    [(_, patched, _)] = [r for r in fake.requests if r[0] == "PATCH"]
    assert patched == "/services/data/v59.0/sobjects/Contact/0035g00000AbCdEAAZ"


def wait_erased(api: Api, admin: str, request_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        state = api.staff(admin, "GET", f"/api/v1/privacy/erasures/{request_id}").json()
        if state["status"] != "pending":
            return state  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError("the erasure did not finish")


def test_an_erasure_reaches_hubspot_and_salesforce(
    api: Api,
    server: LiveServer,
    admin: str,
    hubspot: tuple[FakeServer, HubSpotState],
    salesforce: tuple[FakeServer, SalesforceState],
    pki: Pki,
) -> None:
    hub, hub_state = hubspot
    sf, sf_state = salesforce
    connect_hubspot(api, admin, hub, RULES)
    connect_salesforce(api, admin, sf, str(pki.ca), properties={"vip": "HybridCX_VIP__c"})
    cid = alex_id(server)
    update_alex(api, admin, vip=True)  # a push still pending when the erasure comes
    r = api.staff(admin, "DELETE", f"/api/v1/customers/{cid}")
    assert r.status_code == 202, r.text
    erased = wait_erased(api, admin, r.json()["id"])
    assert erased["status"] == "completed", erased
    assert {s["step"]: s["count"] for s in erased["steps"]}["integration_syncs"] == 2

    worker = SyncWorker(server.runtime, poll_seconds=1)
    assert server.call(worker.run_once()) == 2
    assert hub_state.gdpr_deleted == ["alex@example.com"]  # HubSpot's GDPR delete, by email
    assert hub_state.contacts == [] and hub_state.updates == []  # the push was dropped
    [contact] = sf_state.contacts
    assert (contact["LastName"], contact["FirstName"], contact["Email"], contact["Phone"]) == (
        "Erased",
        None,
        None,
        None,
    )
    assert contact["HybridCX_VIP__c"] is None  # mapped fields emptied too
    for name in ("hubspot", "sf"):
        syncs = api.staff(admin, "GET", f"/api/v1/integrations/{name}/syncs").json()["items"]
        by_action = {s["action"]: s for s in syncs}
        assert by_action["erase"]["status"] == "done"
        assert by_action["erase"]["customer_id"] != cid  # re-pointed at the tombstone
    outcomes = {a["outcome"] for a in attempts(api, admin)}
    assert outcomes == {"gdpr-deleted 1 of 1", "anonymised 1 contact(s)"}
    # the emails are not kept once the CRMs were told
    rows = server.call(_payloads(server))
    assert rows == [None, None]


async def _payloads(server: LiveServer) -> list[Any]:
    from sqlalchemy import select

    from hybridcx.models import IntegrationSync

    async with server.runtime.sessions() as session:
        found = await session.execute(
            select(IntegrationSync.payload).where(IntegrationSync.action == "erase")
        )
        return list(found.scalars())


def test_the_survey_answer_goes_on_the_ticket_and_the_case(
    api: Api,
    server: LiveServer,
    admin: str,
    hubspot: tuple[FakeServer, HubSpotState],
    salesforce: tuple[FakeServer, SalesforceState],
    pki: Pki,
) -> None:
    hub, hub_state = hubspot
    sf, sf_state = salesforce
    connect_hubspot(api, admin, hub, {})
    connect_salesforce(api, admin, sf, str(pki.ca))
    conv = api.start("alex@example.com", "Alex")
    api.say(conv, "agent")
    agent = api.login("agent@example.com", "demo-agent")
    path = f"/api/v1/conversations/{conv['id']}"
    assert api.staff(agent, "POST", f"{path}/accept").is_success
    assert api.staff(agent, "POST", f"{path}/resolve").is_success
    r = api.http.post(
        f"{path}/survey",
        json={"rating": 4, "nps": 9},
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code == 201, r.text
    worker = SyncWorker(server.runtime, poll_seconds=1)
    # the ticket and Case first; the answer waits for them (its first attempt is retried)
    server.call(worker.run_once())
    server.call(worker.run_once(now=utcnow() + timedelta(minutes=5)))
    [ticket] = hub_state.tickets
    [note] = hub_state.notes
    assert (
        note["properties"]["hs_note_body"]
        == "Customer survey (hybridcx): CSAT 4/5, NPS 9/10, by webchat."
    )
    assert note["associations"][0]["to"]["id"] == ticket["id"]
    assert note["associations"][0]["types"][0]["associationTypeId"] == 228  # note -> ticket
    [case] = sf_state.cases
    [comment] = sf_state.comments
    assert (comment["ParentId"], comment["IsPublished"]) == (case["Id"], False)
    assert comment["CommentBody"].startswith("Customer survey (hybridcx): CSAT 4/5")
    for name in ("hubspot", "sf"):
        syncs = api.staff(admin, "GET", f"/api/v1/integrations/{name}/syncs").json()["items"]
        assert sorted((s["action"], s["status"]) for s in syncs) == [
            ("csat", "done"),
            ("ticket", "done"),
        ]


def test_a_booked_callback_becomes_a_salesforce_task(
    api: Api,
    server: LiveServer,
    admin: str,
    hubspot: tuple[FakeServer, HubSpotState],
    salesforce: tuple[FakeServer, SalesforceState],
    pki: Pki,
) -> None:
    from tests.hours.test_business_hours_e2e import closed_today

    hub, hub_state = hubspot
    sf, sf_state = salesforce
    connect_hubspot(api, admin, hub, {})
    connect_salesforce(api, admin, sf, str(pki.ca), link_base="https://cx.example.com")
    sup = api.login("supervisor@example.com", "demo-supervisor")
    opens = closed_today(api, sup)
    conv = api.start("alex@example.com", "Alex")
    assert api.say(conv, "agent").json()["conversation"]["status"] == "queued"
    at = opens + timedelta(hours=1)
    r = api.http.post(
        f"/api/v1/conversations/{conv['id']}/after-hours",
        json={"choice": "callback", "callback_at": at.isoformat() + "Z", "phone": "+14155550132"},
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code == 200, r.text
    worker = SyncWorker(server.runtime, poll_seconds=1)
    assert server.call(worker.run_once()) == 1
    assert server.call(worker.run_once()) == 0  # once
    [task] = sf_state.tasks
    assert task["Subject"] == "Call back Alex Morgan"  # the demo customer's name
    assert task["WhoId"] == "0035g00000AbCdEAAZ"
    assert task["ActivityDate"] == at.date().isoformat()
    assert (task["IsReminderSet"], task["ReminderDateTime"]) == (
        True,
        at.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
    )
    assert f"https://cx.example.com/desk?conversation={conv['id']}" in task["Description"]
    assert hub_state.tickets == [] and hub_state.notes == []  # HubSpot takes no callbacks
    syncs = api.staff(admin, "GET", "/api/v1/integrations/sf/syncs").json()["items"]
    assert [(s["action"], s["status"], s["external_id"]) for s in syncs] == [
        ("callback", "done", task["Id"])
    ]


def test_the_customers_own_edit_in_the_help_centre_goes_to_hubspot(
    api: Api, server: LiveServer, admin: str, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    from tests.e2e.test_web_api import outbox_code

    fake, state = hubspot
    connect_hubspot(api, admin, fake, {"phone": "hybridcx_wins"})
    api.http.post("/api/v1/help/verification", json={"email": "alex@example.com"})
    code = outbox_code(api, "alex@example.com")
    session = api.http.post(
        "/api/v1/help/verification/check", json={"email": "alex@example.com", "code": code}
    ).json()["session"]
    r = api.http.put(
        "/api/v1/help/contact",
        json={"name": "Alex M.", "phone": "+14155550132"},
        headers={"Authorization": f"Bearer {session}"},
    )
    assert r.status_code == 200, r.text
    worker = SyncWorker(server.runtime, poll_seconds=1)
    assert server.call(worker.run_once()) == 1
    assert state.updates == [("51", {"phone": "+14155550132"})]  # the name is the CRM's


def test_a_change_from_the_crm_is_not_sent_back(
    api: Api, server: LiveServer, admin: str, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    from tests.profiles.test_field_sync import deliver

    fake, state = hubspot
    r = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/hubspot",
        json={
            "kind": "hubspot",
            "settings": {"host": fake.url, "field_rules": {"phone": "newest_wins"}},
            "secrets": {"access_token": HUBSPOT_TOKEN, "client_secret": CLIENT_SECRET},
        },
    )
    assert r.status_code == 200, r.text
    state.contacts[0]["properties"]["phone"] = "+1 613 555 0100"
    state.contacts[0]["updatedAt"] = "2099-01-01T00:00:00.000Z"  # newer than hybridcx's
    assert deliver(api, server, 300)["customers_updated"] == 1
    customer = api.staff(admin, "GET", f"/api/v1/customers/{alex_id(server)}").json()
    assert customer["customer"]["phone"] == "+16135550100"
    syncs = api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs").json()["items"]
    assert syncs == []  # nothing queued for HubSpot: the change came from it
    assert server.call(SyncWorker(server.runtime, poll_seconds=1).run_once()) == 0
    assert state.updates == []


HOURS = {"days": ["mon", "tue"], "start": "09:00", "end": "17:00", "timezone": "Europe/Paris"}
PREFERENCE_RULES = {
    "language": "hybridcx_wins",
    "preferred_channel": "hybridcx_wins",
    "contact_hours": "newest_wins",
}


def set_preferences(api: Api, admin: str, server: LiveServer, **prefs: Any) -> None:
    r = api.staff(admin, "PUT", f"/api/v1/customers/{alex_id(server)}/preferences", json=prefs)
    assert r.status_code == 200, r.text


def test_preferences_go_to_hubspot_as_text_by_their_rules(
    api: Api, server: LiveServer, admin: str, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    connect_hubspot(api, admin, fake, PREFERENCE_RULES)
    state.contacts[0]["updatedAt"] = "2020-01-01T00:00:00.000Z"
    set_preferences(api, admin, server, channel="email", language="fr-ca", contact_hours=HOURS)
    worker = SyncWorker(server.runtime, poll_seconds=1)
    assert server.call(worker.run_once()) == 1
    assert state.updates == [
        (
            "51",
            {
                "hs_language": "fr-CA",
                "hybridcx_preferred_channel": "email",
                "hybridcx_contact_hours": "mon,tue 09:00-17:00 Europe/Paris",
            },
        )
    ]
    # the same preferences again change nothing: no push
    set_preferences(api, admin, server, channel="email", language="fr-CA", contact_hours=HOURS)
    pending = api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs?status=pending")
    assert pending.json()["items"] == []
    # hours cleared: HubSpot's property emptied; only what changed is sent
    set_preferences(api, admin, server, channel="email", language="fr-CA")
    assert server.call(worker.run_once()) == 1
    assert state.updates[-1] == ("51", {"hybridcx_contact_hours": ""})


def test_preferences_go_to_mapped_salesforce_fields(
    api: Api,
    server: LiveServer,
    admin: str,
    salesforce: tuple[FakeServer, SalesforceState],
    pki: Pki,
) -> None:
    fake, state = salesforce
    connect_salesforce(
        api,
        admin,
        fake,
        str(pki.ca),
        field_rules=PREFERENCE_RULES,
        properties={"language": "Language__c", "contact_hours": "Contact_Hours__c"},
    )
    state.contacts[0]["SystemModstamp"] = "2020-01-01T00:00:00.000+0000"  # older
    set_preferences(api, admin, server, channel="sms", language="de", contact_hours=HOURS)
    worker = SyncWorker(server.runtime, poll_seconds=1)
    assert server.call(worker.run_once()) == 1
    # the channel has no Contact field mapped: it stays in hybridcx
    assert state.updates == [
        (
            "0035g00000AbCdEAAZ",
            {"Language__c": "de", "Contact_Hours__c": "mon,tue 09:00-17:00 Europe/Paris"},
        )
    ]


def test_every_consent_goes_to_the_crm_by_its_rule(
    api: Api, server: LiveServer, admin: str, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    rules = {
        "training_consent": "hybridcx_wins",
        "analytics_consent": "hybridcx_wins",
        "outreach_consent": "newest_wins",
        "marketing_consent": "crm_wins",
    }
    connect_hubspot(api, admin, fake, rules)
    state.contacts[0]["updatedAt"] = "2020-01-01T00:00:00.000Z"
    consents = {"training": True, "analytics": False, "outreach": True, "marketing": True}
    r = api.staff(
        admin,
        "PUT",
        f"/api/v1/customers/{alex_id(server)}/consents",
        json={"consents": consents, "source": "phone call"},
    )
    assert r.status_code == 200, r.text
    worker = SyncWorker(server.runtime, poll_seconds=1)
    assert server.call(worker.run_once()) == 1
    # marketing is the CRM's (crm_wins): not sent
    assert state.updates == [
        (
            "51",
            {
                "hybridcx_analytics_consent": "false",
                "hybridcx_outreach_consent": "true",
                "hybridcx_training_consent": "true",
            },
        )
    ]


def test_the_synced_fields_are_the_ones_settings_accept() -> None:
    from typing import get_args

    from hybridcx.integrations.kinds import SyncedField
    from hybridcx.privacy.consent import PURPOSES
    from hybridcx.profiles.fieldsync import FIELDS

    assert set(get_args(SyncedField)) == set(FIELDS)
    assert {f"{p}_consent" for p in PURPOSES} <= set(FIELDS)


def jordan_in_hubspot(state: HubSpotState) -> None:
    from tests.integrations.fakes import _hubspot_object

    jordan = _hubspot_object("52", {"email": "jordan@example.com", "firstname": "Jordan"})
    jordan["updatedAt"] = "2020-01-01T00:00:00.000Z"
    state.contacts.append(jordan)


def test_a_merge_and_an_unmerge_push_what_the_survivor_gained_and_lost(
    api: Api, server: LiveServer, admin: str, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    from tests.profiles.test_merge import PHONE, webchat_and_sms

    fake, state = hubspot
    jordan_in_hubspot(state)
    connect_hubspot(
        api, admin, fake, {"phone": "hybridcx_wins", "preferred_channel": "hybridcx_wins"}
    )
    web, sms = webchat_and_sms(api, admin)
    r = api.staff(admin, "PUT", f"/api/v1/customers/{sms}/preferences", json={"channel": "sms"})
    assert r.status_code == 200, r.text
    worker = SyncWorker(server.runtime, poll_seconds=1)
    server.call(worker.run_once())  # the SMS customer has no email: nothing to send
    assert state.updates == []

    r = api.staff(admin, "POST", f"/api/v1/customers/{web}/merge", json={"customer_id": sms})
    assert r.status_code == 200, r.text
    assert server.call(worker.run_once()) == 1
    assert state.updates == [("52", {"phone": PHONE, "hybridcx_preferred_channel": "sms"})]

    r = api.staff(admin, "POST", f"/api/v1/customers/{sms}/unmerge", json={})
    assert r.status_code == 200, r.text
    server.call(worker.run_once())
    assert state.updates[-1] == ("52", {"phone": "", "hybridcx_preferred_channel": ""})


def test_the_name_a_new_web_chat_customer_gives_is_pushed_once(
    api: Api, server: LiveServer, admin: str, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    jordan_in_hubspot(state)
    connect_hubspot(api, admin, fake, {"name": "newest_wins"})
    api.start("jordan@example.com", "Jordan Lee")
    api.start("jordan@example.com", "Somebody Else")  # a claim: the stored name stays
    api.start("alex@example.com", "Al")  # an existing customer: nothing changes, no push
    syncs = api.staff(admin, "GET", "/api/v1/integrations/hubspot/syncs").json()["items"]
    assert [s["action"] for s in syncs] == ["contact"]
    assert server.call(SyncWorker(server.runtime, poll_seconds=1).run_once()) == 1
    assert state.updates == [("52", {"firstname": "Jordan", "lastname": "Lee"})]


def test_a_callback_number_is_pushed(
    api: Api, server: LiveServer, admin: str, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    from tests.hours.test_business_hours_e2e import closed_today

    fake, state = hubspot
    connect_hubspot(api, admin, fake, {"phone": "hybridcx_wins"})
    sup = api.login("supervisor@example.com", "demo-supervisor")
    opens = closed_today(api, sup)
    conv = api.start("alex@example.com", "Alex")
    assert api.say(conv, "agent").json()["conversation"]["status"] == "queued"
    r = api.http.post(
        f"/api/v1/conversations/{conv['id']}/after-hours",
        json={
            "choice": "callback",
            "callback_at": (opens + timedelta(hours=1)).isoformat() + "Z",
            "phone": "+1 415 555 0132",
        },
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code == 200, r.text
    assert server.call(SyncWorker(server.runtime, poll_seconds=1).run_once()) == 1
    assert state.updates == [("51", {"phone": "+14155550132"})]


def test_a_phone_number_the_ai_changes_is_pushed_when_it_is_applied(
    api: Api,
    server: LiveServer,
    admin: str,
    hubspot: tuple[FakeServer, HubSpotState],
    workspace_policy: Callable[[str], None],  # noqa: F811
) -> None:
    from tests.compliance.test_compliance_e2e import say, verified

    fake, state = hubspot
    connect_hubspot(api, admin, fake, {"phone": "hybridcx_wins"})
    workspace_policy("human_intents:\n  update_contact_details: null\n")
    conv = verified(api)
    say(api, conv, "I need to update my phone number")
    say(api, conv, "Phone number")
    say(api, conv, "+1 415 555 0100")
    assert "awaiting review" in say(api, conv, "yes")["messages"][-1]["text"]
    worker = SyncWorker(server.runtime, poll_seconds=1)
    server.call(worker.run_once())
    assert state.updates == []  # held for a supervisor: nothing changed yet
    sup = api.login("supervisor@example.com", "demo-supervisor")
    [pending] = api.staff(sup, "GET", "/api/v1/approvals?status=pending").json()
    done = api.staff(sup, "POST", f"/api/v1/approvals/{pending['id']}/approve").json()
    assert done["status"] == "executed"
    assert server.call(worker.run_once()) == 1
    assert state.updates == [("51", {"phone": "+1 415 555 0100"})]
