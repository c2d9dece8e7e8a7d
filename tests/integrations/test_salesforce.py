"""Salesforce through simple-salesforce, pointed at a fake of its REST API served over TLS on
loopback (the SDK speaks only https): a resolved conversation becomes one Case with the summary,
tied to the customer's Contact and Account."""

from __future__ import annotations

import asyncio

import pytest

from hybridcx.flows.backend import BackendUnavailable
from hybridcx.integrations.hubspot import ResolvedCase
from hybridcx.integrations.salesforce import SalesforceCrm
from hybridcx.integrations.sync import SyncWorker
from tests.channels.test_email_tls import Pki
from tests.integrations.fakes import (
    SALESFORCE_TOKEN,
    FakeServer,
    SalesforceState,
)
from tests.support import Api, LiveServer

CASE = ResolvedCase(
    conversation_id="7a1b2c3d-1111-4222-8333-444455556666",
    email="alex@example.com",
    customer_name="Alex",
    channel="sms",
    summary="Alex asked where order 1001 is. Tracking sent. Resolved.",
    category="Orders",
    intent="order_status",
    link=None,
)


def crm(fake: FakeServer, ca: str, token: str = SALESFORCE_TOKEN) -> SalesforceCrm:
    return SalesforceCrm("sf", token, instance_url=fake.url, ca_file=ca, timeout_seconds=3)


def test_a_case_is_created_for_the_contact_and_account(
    salesforce: tuple[FakeServer, SalesforceState],
    pki: Pki,
) -> None:
    fake, state = salesforce
    case_id = asyncio.run(crm(fake, str(pki.ca)).create_ticket(CASE))
    [case] = state.cases
    assert case_id == case["Id"]
    assert case["Subject"] == "Orders (sms, conversation 7a1b2c3d)"
    assert case["Description"].startswith("Alex asked where order 1001 is.")
    assert "hybridcx conversation: 7a1b2c3d-1111-4222-8333-444455556666" in case["Description"]
    assert (case["Status"], case["Origin"]) == ("Closed", "Web")
    assert (case["ContactId"], case["AccountId"]) == ("0035g00000AbCdEAAZ", "0015g00000XyZ12AAB")
    # the SDK spoke Salesforce's REST API: a SOQL query, then the sObject create
    assert [(m, p.split("?")[0]) for m, p, _ in fake.requests] == [
        ("GET", "/services/data/v59.0/query/"),
        ("POST", "/services/data/v59.0/sobjects/Case/"),
    ]


def test_the_email_is_quoted_in_the_soql(
    salesforce: tuple[FakeServer, SalesforceState],
    pki: Pki,
) -> None:
    fake, _ = salesforce
    found = asyncio.run(crm(fake, str(pki.ca)).find_contact("x' OR Email != 'y@example.com"))
    assert found is None
    assert "%5C%27" in fake.requests[-1][1]  # \\' : the quote stayed inside the string


def test_a_bad_token_an_untrusted_certificate_or_a_dead_org_is_unavailable(
    salesforce: tuple[FakeServer, SalesforceState],
    pki: Pki,
) -> None:
    fake, _ = salesforce
    with pytest.raises(BackendUnavailable) as caught:
        asyncio.run(crm(fake, str(pki.ca), token="00Dwrong").create_ticket(CASE))
    assert "HTTP 401" in str(caught.value) and "00Dwrong" not in str(caught.value)
    with pytest.raises(BackendUnavailable, match="SSLError"):
        asyncio.run(
            SalesforceCrm("sf", SALESFORCE_TOKEN, instance_url=fake.url).create_ticket(CASE)
        )
    fake.stop()
    with pytest.raises(BackendUnavailable):
        asyncio.run(crm(fake, str(pki.ca)).create_ticket(CASE))


def test_a_resolved_conversation_becomes_one_salesforce_case(
    api: Api,
    server: LiveServer,
    salesforce: tuple[FakeServer, SalesforceState],
    pki: Pki,
) -> None:
    fake, state = salesforce
    admin = api.login("admin@example.com", "demo-admin")
    r = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/sf",
        json={
            "kind": "salesforce",
            "settings": {
                "instance_url": fake.url,
                "ca_file": str(pki.ca),
                "link_base": "https://cx.example.com",
            },
            "secrets": {"access_token": SALESFORCE_TOKEN},
        },
    )
    assert r.status_code == 200, r.text
    bad = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/sf2",
        json={"kind": "salesforce", "settings": {"instance_url": "http://insecure"}},
    )
    assert bad.status_code == 422 and "instance_url" in bad.text

    conv = api.start("alex@example.com", "Alex")
    api.say(conv, "Where is my order?")
    api.say(conv, "agent")
    agent = api.login("agent@example.com", "demo-agent")
    path = f"/api/v1/conversations/{conv['id']}"
    assert api.staff(agent, "POST", f"{path}/accept").status_code == 200
    api.staff(agent, "POST", f"{path}/replies", json={"text": "It ships tomorrow."})
    assert api.staff(agent, "POST", f"{path}/resolve").status_code == 200

    worker = SyncWorker(server.runtime, poll_seconds=1)
    assert server.call(worker.run_once()) == 1
    assert server.call(worker.run_once()) == 0  # once
    [case] = state.cases
    assert f"https://cx.example.com/desk?conversation={conv['id']}" in case["Description"]
    assert case["ContactId"] == "0035g00000AbCdEAAZ"
    syncs = api.staff(admin, "GET", "/api/v1/integrations/sf/syncs").json()["items"]
    assert [(s["status"], s["external_id"]) for s in syncs] == [("done", case["Id"])]
    checked = api.staff(admin, "POST", "/api/v1/integrations/sf/test").json()
    assert checked["ok"] is True
    assert [c["detail"] for c in checked["checks"]] == [
        "answered: no such contact",
        "cases readable",
    ]
