"""Salesforce inbound by polling (simple-salesforce's SOQL against the fake's REST API): the
Contacts changed since the cursor (SystemModstamp, then Id), leaving out the configured lag,
change the hybridcx customers by the conflict rules; a second round changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from hybridcx.integrations import polling
from hybridcx.integrations.polling import poll_salesforce
from hybridcx.kit.ids import utcnow
from tests.channels.test_email_tls import Pki
from tests.integrations.fakes import FakeServer, SalesforceState
from tests.integrations.test_crm_outbound import connect_salesforce
from tests.profiles.test_field_sync import alex_id
from tests.support import Api, LiveServer


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")  # Salesforce's format


def contact(contact_id: str, email: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "attributes": {
            "type": "Contact",
            "url": f"/services/data/v59.0/sobjects/Contact/{contact_id}",
        },
        "Id": contact_id,
        "Email": email,
        "SystemModstamp": stamp(at),
        **fields,
    }


def test_changed_contacts_are_polled_with_a_cursor_and_a_lag(
    api: Api,
    server: LiveServer,
    salesforce: tuple[FakeServer, SalesforceState],
    pki: Pki,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, state = salesforce
    admin = api.login("admin@example.com", "demo-admin")
    connect_salesforce(
        api,
        admin,
        fake,
        str(pki.ca),
        poll=True,
        poll_lag_seconds=60,
        field_rules={"name": "crm_wins", "vip": "crm_wins"},
        properties={"vip": "HybridCX_VIP__c"},
    )
    cid = alex_id(server)
    base = utcnow().replace(microsecond=0) + timedelta(minutes=10)
    state.contacts = [
        contact(
            "003A",
            "alex@example.com",
            base,
            FirstName="Alexandra",
            LastName="Force",
            Phone="+1 613 555 0111",
            HybridCX_VIP__c=True,
        ),
        # the same stamp: the Id orders them, so a page boundary between them loses neither
        contact("003B", "nobody@example.com", base, FirstName="No", LastName="Body"),
    ]
    monkeypatch.setattr(polling, "POLL_PAGE", 1)  # one Contact a page: the tie-break is used
    now = base + timedelta(minutes=5)
    assert server.call(poll_salesforce(server.runtime.sessions, now=now)) == 1
    customer = api.staff(admin, "GET", f"/api/v1/customers/{cid}").json()["customer"]
    assert (customer["name"], customer["phone"], customer["vip"]) == (
        "Alexandra Force",
        "+16135550111",
        True,
    )
    polls = [q for q in state.queries if "SystemModstamp >" in q]
    assert "HybridCX_VIP__c" in polls[0] and "Id > ''" in polls[0]
    assert "Id > '003A'" in polls[1]  # the second page starts after alex, at the same stamp
    until = (now - timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert all(f"SystemModstamp <= {until}" in q for q in polls)

    # again: nothing new, nothing changes (the cursor moved past both)
    asked = len(state.queries)
    assert server.call(poll_salesforce(server.runtime.sessions, now=now)) == 0
    assert all("Id > '003B'" in q for q in state.queries[asked:])

    # a change inside the lag waits for the next round after it
    state.contacts[0].update(LastName="Later", SystemModstamp=stamp(now - timedelta(seconds=30)))
    assert server.call(poll_salesforce(server.runtime.sessions, now=now)) == 0
    later = now + timedelta(minutes=1)
    assert server.call(poll_salesforce(server.runtime.sessions, now=later)) == 1
    customer = api.staff(admin, "GET", f"/api/v1/customers/{cid}").json()["customer"]
    assert customer["name"] == "Alexandra Later"
    audit = api.staff(admin, "GET", "/api/v1/audit?action=customer.updated").json()["items"]
    assert {a["details"].get("source") for a in audit} >= {"salesforce:003A"}

    # Salesforce down: the cursor stays, the next round reads the same contacts
    fake.stop()
    assert server.call(poll_salesforce(server.runtime.sessions, now=later)) == 0


def test_preferences_and_consents_are_polled_from_mapped_fields(
    api: Api,
    server: LiveServer,
    salesforce: tuple[FakeServer, SalesforceState],
    pki: Pki,
) -> None:
    fake, state = salesforce
    admin = api.login("admin@example.com", "demo-admin")
    connect_salesforce(
        api,
        admin,
        fake,
        str(pki.ca),
        poll=True,
        properties={
            "language": "Language__c",
            "preferred_channel": "Preferred_Channel__c",
            "contact_hours": "Contact_Hours__c",
            "outreach_consent": "Outreach_Consent__c",
        },
    )
    cid = alex_id(server)
    base = utcnow().replace(microsecond=0) + timedelta(minutes=10)
    state.contacts = [
        contact(
            "003A",
            "alex@example.com",
            base,
            FirstName="Alex",
            LastName="Morgan",
            Language__c="pt_br",
            Preferred_Channel__c="Phone",
            Contact_Hours__c="sat-sun 10:00-16:00 America/Sao_Paulo",
            Outreach_Consent__c=True,  # a checkbox: JSON true
        )
    ]
    assert server.call(poll_salesforce(server.runtime.sessions, now=base + timedelta(minutes=5)))
    prefs = api.staff(admin, "GET", f"/api/v1/customers/{cid}/preferences").json()
    assert (prefs["language"], prefs["channel"]) == ("pt-BR", "voice")
    assert prefs["contact_hours"]["days"] == ["sat", "sun"]
    assert prefs["updated_by"] == "salesforce:003A"
    consents = api.staff(admin, "GET", f"/api/v1/customers/{cid}/consents").json()["consents"]
    [outreach] = [c for c in consents if c["purpose"] == "outreach"]
    assert (outreach["granted"], outreach["source"]) == (True, "salesforce:003A")
    polls = [q for q in state.queries if "SystemModstamp >" in q]
    assert "Contact_Hours__c" in polls[0] and "Outreach_Consent__c" in polls[0]
