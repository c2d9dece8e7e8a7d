"""Customer fields from the CRM: a contact changed in HubSpot (signed webhook v3,
read back through hubspot-api-client from a fake speaking CRM v3) changes the hybridcx customer,
field by field by the connector's conflict rules (crm_wins, hybridcx_wins, newest_wins),
idempotently, each sync an audit event."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from hybridcx.customers.repository import find_customer_by_email
from tests.integrations.fakes import HUBSPOT_TOKEN, FakeServer, HubSpotState, fake_hubspot
from tests.integrations.test_e2e import _connector_id
from tests.integrations.test_hubspot import CLIENT_SECRET, _v3
from tests.support import Api, LiveServer


@pytest.fixture
def hubspot() -> Iterator[tuple[FakeServer, HubSpotState]]:
    fake, state = fake_hubspot()
    fake.start()
    yield fake, state
    fake.stop()


def alex_id(server: LiveServer) -> str:
    async def read() -> str:
        async with server.runtime.sessions() as session:
            ws = (
                await session.execute(text("SELECT id FROM workspaces WHERE is_default"))
            ).scalar_one()
            found = await find_customer_by_email(session, str(ws), "alex@example.com")
            assert found is not None
            return found.id

    return server.call(read())  # type: ignore[no-any-return]


def deliver(api: Api, server: LiveServer, event_id: int) -> dict[str, Any]:
    path = f"/api/v1/integrations/hooks/{_connector_id(server)}/hubspot"
    body = json.dumps(
        [
            {
                "eventId": event_id,
                "subscriptionId": 2100,
                "portalId": 62515,
                "occurredAt": 1_765_000_000_000,
                "subscriptionType": "contact.propertyChange",
                "attemptNumber": 0,
                "objectId": 51,
                "propertyName": "phone",
                "changeSource": "CRM",
            }
        ]
    ).encode()
    now = str(int(time.time() * 1000))  # HubSpot's signature is fresh for five minutes
    headers = {
        "Content-Type": "application/json",
        "X-HubSpot-Request-Timestamp": now,
        "X-HubSpot-Signature-v3": _v3("POST", f"{server.url}{path}", body, now),
    }
    r = api.http.post(path, content=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_contact_changed_in_the_crm_changes_the_customer_by_the_field_rules(
    api: Api, server: LiveServer, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    admin = api.login("admin@example.com", "demo-admin")
    settings = {
        "host": fake.url,
        "field_rules": {
            "name": "hybridcx_wins",
            "lifetime_value": "newest_wins",
            "marketing_consent": "newest_wins",
        },
        "properties": {"vip": "vip_customer"},
    }
    r = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/hubspot",
        json={
            "kind": "hubspot",
            "settings": settings,
            "secrets": {"access_token": HUBSPOT_TOKEN, "client_secret": CLIENT_SECRET},
        },
    )
    assert r.status_code == 200, r.text
    cid = alex_id(server)
    before = api.staff(admin, "GET", f"/api/v1/customers/{cid}").json()["customer"]

    contact = state.contacts[0]
    contact["properties"].update(
        firstname="Alexandra",
        phone="+1 613 555 0100",
        vip_customer="true",
        total_revenue="1234.50",
        hs_language="es",
        hybridcx_preferred_channel="SMS",
        hybridcx_contact_hours="mon-fri 09:00-17:00 Europe/Madrid",
        hybridcx_marketing_consent="true",
    )
    contact["updatedAt"] = "2020-01-01T00:00:00.000Z"  # older than anything hybridcx did
    assert deliver(api, server, 100)["customers_updated"] == 1
    after = api.staff(admin, "GET", f"/api/v1/customers/{cid}").json()["customer"]
    assert after["name"] == before["name"]  # hybridcx wins the name
    assert after["phone"] == "+16135550100"  # the CRM wins (the default rule)
    assert after["vip"] is True  # read from the mapped property
    assert after["lifetime_value"] == before["lifetime_value"]  # newest wins: hybridcx's
    prefs = api.staff(admin, "GET", f"/api/v1/customers/{cid}/preferences").json()
    assert (prefs["language"], prefs["channel"]) == ("es", "sms")
    assert prefs["contact_hours"] == {
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "start": "09:00",
        "end": "17:00",
        "timezone": "Europe/Madrid",
    }
    assert prefs["updated_by"] == "hubspot"

    # the contact changes later than the customer did: newest wins is the CRM's now
    contact["updatedAt"] = "2099-01-01T00:00:00.000Z"
    assert deliver(api, server, 101)["customers_updated"] == 1
    later = api.staff(admin, "GET", f"/api/v1/customers/{cid}").json()["customer"]
    assert later["lifetime_value"] == 1234.5 and later["name"] == before["name"]
    consents = api.staff(admin, "GET", f"/api/v1/customers/{cid}/consents").json()
    consents = consents.get("consents", consents) if isinstance(consents, dict) else consents
    [marketing] = [c for c in consents if c["purpose"] == "marketing"]
    assert marketing["granted"] is True and marketing["source"] == "hubspot"

    # the same contact again changes nothing (idempotent)
    assert deliver(api, server, 102)["customers_updated"] == 0

    audit = api.staff(admin, "GET", "/api/v1/audit?action=customer.updated").json()["items"]
    synced = [a for a in audit if a["actor_type"] == "integration"]
    assert len(synced) == 2
    [first] = [a for a in synced if "lifetime_value" in a["details"]["kept"]]
    assert set(first["details"]["fields"]) >= {
        "phone",
        "vip",
        "language",
        "preferred_channel",
        "contact_hours",
    }
    # hybridcx never recorded a marketing consent: newest wins is the CRM's at once
    assert first["details"]["kept"] == {"name": "hybridcx_wins", "lifetime_value": "newest_wins"}
    assert "marketing_consent" in first["details"]["fields"]


@pytest.mark.parametrize(
    "settings",
    [
        {"field_rules": {"name": "loudest_wins"}},
        {"field_rules": {"shoe_size": "crm_wins"}},
        {"properties": {"vip": ""}},
    ],
)
def test_bad_field_rules_are_refused_with_the_place(api: Api, settings: dict[str, Any]) -> None:
    admin = api.login("admin@example.com", "demo-admin")
    r = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/hubspot",
        json={"kind": "hubspot", "settings": settings, "secrets": {"access_token": "x"}},
    )
    assert r.status_code == 422, r.text
    assert "hubspot settings" in r.json()["detail"]


def connect_hubspot_rules(api: Api, admin: str, fake: FakeServer, rules: dict[str, str]) -> None:
    r = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/hubspot",
        json={
            "kind": "hubspot",
            "settings": {"host": fake.url, "field_rules": rules},
            "secrets": {"access_token": HUBSPOT_TOKEN, "client_secret": CLIENT_SECRET},
        },
    )
    assert r.status_code == 200, r.text


def test_preferences_from_the_crm_follow_their_rules_and_unreadable_ones_change_nothing(
    api: Api, server: LiveServer, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    admin = api.login("admin@example.com", "demo-admin")
    rules = {"language": "newest_wins", "contact_hours": "newest_wins"}
    connect_hubspot_rules(api, admin, fake, rules)
    cid = alex_id(server)
    hours = {"days": ["sat"], "start": "10:00", "end": "12:00", "timezone": "Asia/Tokyo"}
    path = f"/api/v1/customers/{cid}/preferences"
    body = {"channel": "email", "language": "fr", "contact_hours": hours}
    assert api.staff(admin, "PUT", path, json=body).status_code == 200

    contact = state.contacts[0]
    contact["properties"].update(
        firstname="Alex",
        lastname="Morgan",  # the customer's own name: only the preferences differ
        hs_language="de",
        hybridcx_contact_hours="sun 08:00-09:00 Europe/Berlin",
        hybridcx_preferred_channel="carrier pigeon",  # not a channel: left as it is
    )
    contact["updatedAt"] = "2020-01-01T00:00:00.000Z"  # older than the staff's record
    assert deliver(api, server, 200)["customers_updated"] == 0
    assert api.staff(admin, "GET", path).json()["contact_hours"] == hours
    skipped = api.staff(admin, "GET", "/api/v1/audit?action=customer.sync_skipped").json()
    [entry] = skipped["items"]
    assert entry["details"]["kept"] == {"language": "newest_wins", "contact_hours": "newest_wins"}

    # the contact is newer now: both of its preferences replace hybridcx's
    contact["updatedAt"] = "2099-01-01T00:00:00.000Z"
    contact["properties"]["hybridcx_contact_hours"] = "Sun,MON 22:00-06:00 Europe/Berlin"
    assert deliver(api, server, 201)["customers_updated"] == 1
    now = api.staff(admin, "GET", path).json()
    assert (now["language"], now["channel"]) == ("de", "email")
    assert now["contact_hours"] == {
        "days": ["mon", "sun"],
        "start": "22:00",
        "end": "06:00",
        "timezone": "Europe/Berlin",
    }
    # hours in a zone that does not exist are not contact hours: nothing changes
    contact["properties"]["hybridcx_contact_hours"] = "mon 09:00-17:00 Mars/Olympus"
    assert deliver(api, server, 202)["customers_updated"] == 0
    assert api.staff(admin, "GET", path).json()["contact_hours"]["timezone"] == "Europe/Berlin"


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("mon,wed 09:00-17:30 Europe/Paris", (["mon", "wed"], "09:00", "17:30")),
        ("fri-mon 20:00-02:00 America/New_York", (["mon", "fri", "sat", "sun"], "20:00", "02:00")),
        ("mon 9-17 Europe/Paris", None),
        ("mon 09:00-09:00 Europe/Paris", None),
        ("someday 09:00-17:00 Europe/Paris", None),
        ("mon 09:00-17:00", None),
    ],
)
def test_contact_hours_text_is_read_strictly(text: str, read: Any) -> None:
    from hybridcx.profiles.fieldsync import format_hours, parse_hours

    hours = parse_hours(text)
    if read is None:
        assert hours is None
        return
    assert hours is not None
    assert (hours["days"], hours["start"], hours["end"]) == read
    assert parse_hours(format_hours(hours) or "") == hours  # what goes out reads back the same


def test_every_consent_from_the_crm_is_recorded_with_its_source(
    api: Api, server: LiveServer, hubspot: tuple[FakeServer, HubSpotState]
) -> None:
    fake, state = hubspot
    admin = api.login("admin@example.com", "demo-admin")
    connect_hubspot_rules(api, admin, fake, {"analytics_consent": "hybridcx_wins"})
    cid = alex_id(server)
    state.contacts[0]["properties"].update(
        firstname="Alex",
        lastname="Morgan",
        hybridcx_training_consent="no",  # the demo customer had granted it
        hybridcx_outreach_consent="true",
        hybridcx_analytics_consent="true",  # hybridcx's: kept
    )
    assert deliver(api, server, 400)["customers_updated"] == 1
    page = api.staff(admin, "GET", f"/api/v1/customers/{cid}/consents").json()["consents"]
    by = {c["purpose"]: c for c in page}
    assert (by["training"]["granted"], by["training"]["source"]) == (False, "hubspot")
    assert (by["outreach"]["granted"], by["outreach"]["source"]) == (True, "hubspot")
    assert by["analytics"]["granted"] is False and by["analytics"]["source"] is None
    audit = api.staff(admin, "GET", "/api/v1/audit?action=customer.updated").json()["items"]
    [entry] = [a for a in audit if a["actor_type"] == "integration"]
    assert sorted(entry["details"]["fields"]) == ["outreach_consent", "training_consent"]
    assert entry["details"]["kept"] == {"analytics_consent": "hybridcx_wins"}
