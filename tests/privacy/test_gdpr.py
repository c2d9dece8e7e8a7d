"""GDPR/CCPA: consent per purpose, export of everything about a customer, and erasure that
leaves nothing identifying while the KPIs keep their counts."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from hybridcx.kit.sealed import session_keyring
from hybridcx.models import Customer
from hybridcx.privacy import erasure
from hybridcx.privacy.consent import may_train_on
from tests.privacy.helpers import accepted, escalate, raw_database
from tests.support import Api, LiveServer

PHRASE = "the pomegranate juicer leaks on the counter"


def _customer_id(api: Api, token: str, conv: dict[str, Any]) -> str:
    return api.staff(token, "GET", f"/api/v1/conversations/{conv['id']}").json()["customer"]["id"]


def _history(api: Api) -> tuple[dict[str, Any], str, str]:
    """Alex (seeded with orders) talks, is helped, resolved; leaves a survey comment."""
    conv, alice = accepted(api, "alex@example.com", "Alex")
    assert api.say(conv, PHRASE + ", call me on +1 415 555 0177").status_code == 200
    base = f"/api/v1/conversations/{conv['id']}"
    api.staff(
        alice, "POST", f"{base}/replies", json={"text": "A new pomegranate juicer is on its way."}
    )
    api.staff(alice, "POST", f"{base}/replies", json={"text": "goodwill gesture", "internal": True})
    assert api.staff(alice, "POST", f"{base}/resolve").status_code == 200
    r = api.http.post(
        f"{base}/survey",
        json={"rating": 4, "comment": "Alex here, juicer fixed"},
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code == 201, r.text
    return conv, alice, _customer_id(api, alice, conv)


def test_consents_are_recorded_per_purpose_with_time_and_source(
    api: Api, server: LiveServer
) -> None:
    conv = api.start("consent@example.com", "Connie")
    sam = api.login("supervisor@example.com", "demo-supervisor")
    cid = _customer_id(api, sam, conv)
    url = f"/api/v1/customers/{cid}/consents"
    start = api.staff(sam, "GET", url).json()["consents"]
    assert {c["purpose"]: c["granted"] for c in start} == {
        "training": False,
        "analytics": False,
        "marketing": False,
        "outreach": False,
    }
    r = api.staff(sam, "PUT", url, json={"consents": {"training": True}, "source": "web form"})
    assert r.status_code == 200, r.text
    training = next(c for c in r.json()["consents"] if c["purpose"] == "training")
    assert training["granted"] is True and training["at"] and "web form" in training["source"]
    r = api.staff(sam, "PUT", url, json={"consents": {"telepathy": True}})
    assert r.status_code == 422 and "telepathy" in r.json()["detail"]

    async def trainable() -> bool:
        async with server.runtime.sessions() as s:
            return may_train_on(await s.get(Customer, cid))

    assert server.call(trainable()) is True
    api.staff(sam, "PUT", url, json={"consents": {"training": False}, "source": "phone call"})
    assert server.call(trainable()) is False


def test_only_admins_export_or_erase(api: Api) -> None:
    conv = api.start("guarded@example.com", "Gus")
    agent = api.login("agent@example.com", "demo-agent")
    sam = api.login("supervisor@example.com", "demo-supervisor")
    admin = api.login("admin@example.com", "demo-admin")
    cid = _customer_id(api, sam, conv)
    for token in (agent, sam):
        assert api.staff(token, "GET", f"/api/v1/customers/{cid}/export").status_code == 403
        assert api.staff(token, "DELETE", f"/api/v1/customers/{cid}").status_code == 403
        assert api.staff(token, "GET", "/api/v1/privacy/erasures").status_code == 403
    assert api.staff(agent, "GET", f"/api/v1/customers/{cid}/consents").status_code == 403
    assert api.http.get(f"/api/v1/customers/{cid}/export").status_code == 401
    assert api.staff(admin, "GET", "/api/v1/customers/nope/export").status_code == 404
    assert api.staff(admin, "DELETE", "/api/v1/customers/nope").status_code == 404


def test_export_contains_everything_about_the_customer(api: Api) -> None:
    conv, alice, cid = _history(api)
    sam = api.login("admin@example.com", "demo-admin")  # export is for admins
    api.staff(
        sam, "PUT", f"/api/v1/customers/{cid}/consents", json={"consents": {"marketing": True}}
    )
    r = api.staff(sam, "GET", f"/api/v1/customers/{cid}/export")
    assert r.status_code == 200, r.text
    data = r.json()
    [audited] = api.staff(sam, "GET", "/api/v1/audit?action=customer.exported").json()["items"]
    assert audited["actor_type"] == "staff" and audited["target_type"] == "customer"
    assert audited["target_id"] and audited["target_id"] != cid  # a keyed hash, not the id
    assert data["profile"]["email"] == "alex@example.com" and data["profile"]["id"] == cid
    assert {c["purpose"]: c["granted"] for c in data["consents"]}["marketing"] is True
    [c] = [c for c in data["conversations"] if c["id"] == conv["id"]]
    texts = [m["text"] for m in c["messages"]]
    assert any(PHRASE in t for t in texts)
    assert "A new pomegranate juicer is on its way." in texts and "goodwill gesture" in texts
    types = {e["type"] for e in c["events"]}
    assert {"conversation.created", "conversation.resolved", "survey.submitted"} <= types
    assert any("juicer fixed" in str(e["data"]) for e in c["events"])
    assert c["handoff"] and c["routing"]
    assert any(k["conversation_id"] == conv["id"] for k in data["cases"])
    assert data["attachments"] == []
    assert any(o["number"] == "1001" for o in data["records"]["orders"])


def _wait_done(api: Api, token: str, request_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        req = api.staff(token, "GET", f"/api/v1/privacy/erasures/{request_id}").json()
        if req["status"] != "pending":
            return req  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"erasure still pending: {req}")


def _kpis(api: Api, token: str) -> dict[str, Any]:
    return api.staff(token, "GET", "/api/v1/analytics/kpis").json()  # type: ignore[no-any-return]


def test_erasure_leaves_nothing_identifying_and_keeps_the_counts(
    api: Api, server: LiveServer
) -> None:
    seen: list[str] = []

    async def training_set_hook(_session: Any, _rt: Any, customer_id: str) -> int:
        seen.append(customer_id)
        return 0

    erasure.register("test_training_set", training_set_hook)
    try:
        conv, alice, cid = _history(api)
        other = escalate(api, "jordan.reed@example.com", "Jordan")  # someone else's data stays
        sam = api.login("admin@example.com", "demo-admin")  # erasure is for admins
        before = _kpis(api, sam)

        async def blind_index() -> str:
            async with server.runtime.sessions() as s:
                return session_keyring(s).blind_index("alex@example.com")

        email_index = server.call(blind_index())
        assert email_index.encode() in raw_database(server)

        r = api.staff(sam, "DELETE", f"/api/v1/customers/{cid}")
        assert r.status_code == 202, r.text
        req = r.json()
        assert req["status"] == "pending" and req["due_at"] > req["requested_at"]
        audit = api.staff(sam, "GET", "/api/v1/audit?action=customer.erased").json()["items"]
        assert [a["details"]["request_id"] for a in audit] == [req["id"]]
        done = _wait_done(api, sam, req["id"])
    finally:
        erasure._HOOKS.pop("test_training_set", None)

    assert done["status"] == "completed" and done["completed_at"], done
    steps = {s["step"]: s["count"] for s in done["steps"]}
    assert steps["messages"] >= 4 and steps["cases"] == 1 and steps["customers"] == 1
    assert "hook:test_training_set" in steps and seen == [cid]
    assert done["customer_ref"] != cid  # only a keyed hash of the id remains
    assert [a["target_id"] for a in audit] == [done["customer_ref"]]  # the audit log's name

    # Nothing about Alex is left to read...
    assert api.staff(sam, "GET", f"/api/v1/customers/{cid}/export").status_code == 404
    after_conv = api.staff(sam, "GET", f"/api/v1/conversations/{conv['id']}").json()
    assert after_conv["messages"] == [] and after_conv["handoff"] is None
    assert after_conv["customer"]["email"] == "" and after_conv["customer"]["name"] == ""
    assert after_conv["customer"]["id"] != cid
    for event in after_conv["events"]:
        for key in ("text", "comment", "summary", "note"):
            assert key not in event["data"], event
    # ...in the past-case search...
    _, token = accepted(api, "priya.patel@example.com")
    assist = api.staff(token, "GET", f"/api/v1/conversations/{other['id']}/assist").json()
    assert not any("pomegranate" in c["question"] for c in assist["similar_cases"])
    # ...or in the stored bytes: no email index, no customer id.
    dump = raw_database(server)
    assert email_index.encode() not in dump and cid.encode() not in dump
    for needle in (b"alex@example.com", b"pomegranate", b"juicer fixed"):
        assert needle not in dump

    # The KPIs keep their counts and timings, anonymously.
    after = _kpis(api, sam)
    assert after["volume"]["conversations"] == before["volume"]["conversations"] + 1  # Priya
    assert after["volume"]["by_channel"]["webchat"] == before["volume"]["by_channel"]["webchat"] + 1

    async def tombstones() -> list[Customer]:
        async with server.runtime.sessions() as s:
            stmt = select(Customer).where(Customer.erased_at.is_not(None))
            return list((await s.execute(stmt)).scalars())

    [tomb] = server.call(tombstones())
    assert tomb.email == "" and tomb.phone is None and tomb.consents == {}
    # Erasing again: the customer is gone.
    assert api.staff(sam, "DELETE", f"/api/v1/customers/{cid}").status_code == 404


@pytest.mark.parametrize("role", ["admin@example.com:demo-admin"])
def test_erasure_requests_are_listed_for_the_workspace(api: Api, role: str) -> None:
    email, password = role.split(":")
    conv = api.start("listed@example.com", "Lee")
    admin = api.login(email, password)
    cid = _customer_id(api, admin, conv)
    req = api.staff(admin, "DELETE", f"/api/v1/customers/{cid}").json()
    _wait_done(api, admin, req["id"])
    listed = api.staff(admin, "GET", "/api/v1/privacy/erasures").json()
    assert [r["id"] for r in listed] == [req["id"]]
    assert api.staff(admin, "GET", "/api/v1/privacy/erasures/unknown").status_code == 404
