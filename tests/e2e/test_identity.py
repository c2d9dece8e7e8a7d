"""Signed widget identities (HMAC of the email with the inbox secret) and found-or-created
customers."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
import pytest

from tests.support import Api

INBOX = "demo-webchat"
SECRET = "demo-widget-secret"


def sign(email: str, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), email.lower().encode(), hashlib.sha256).hexdigest()


def start_raw(api: Api, email: str, name: str = "", **extra: Any) -> httpx.Response:
    body = {"channel": "webchat", "customer": {"email": email, "name": name}, **extra}
    return api.http.post("/api/v1/conversations", json=body)


def staff_read(api: Api, token: str, conv_id: str) -> dict[str, Any]:
    r = api.staff(token, "GET", f"/api/v1/conversations/{conv_id}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def queue_item(api: Api, token: str, conv_id: str) -> dict[str, Any]:
    items = api.staff(token, "GET", "/api/v1/queue").json()["items"]
    [item] = [i for i in items if i["conversation_id"] == conv_id]
    return item  # type: ignore[no-any-return]


def ask_for_agent(api: Api, conv: dict[str, Any]) -> None:
    r = api.say(conv, "agent")
    assert r.status_code == 200, r.text
    assert r.json()["conversation"]["status"] == "queued", r.text


@pytest.mark.parametrize(
    "email", ["alex@example.com", "New.Person@Example.ORG", "someone.new@example.net"]
)
def test_a_signed_identity_marks_the_conversation_verified(api: Api, email: str) -> None:
    conv = api.start(email, "Signed Person", inbox=INBOX, identity_hash=sign(email))
    staff = api.login("agent@example.com", "demo-agent")

    read = staff_read(api, staff, conv["id"])
    assert read["identity_verified"] is True
    assert read["customer"]["email"] == email.lower()
    created = [e for e in read["events"] if e["type"] == "conversation.created"]
    assert created and created[0]["data"]["identity_verified"] is True

    ask_for_agent(api, conv)
    item = queue_item(api, staff, conv["id"])
    assert item["customer"]["verified"] is True
    assert item["customer"]["email"] == email.lower()


def test_an_uppercase_hex_signature_is_accepted(api: Api) -> None:
    email = "alex@example.com"
    conv = api.start(email, "Alex", inbox=INBOX, identity_hash=sign(email).upper())
    staff = api.login("agent@example.com", "demo-agent")
    assert staff_read(api, staff, conv["id"])["identity_verified"] is True


def test_without_a_signature_the_conversation_is_unverified(api: Api) -> None:
    staff = api.login("agent@example.com", "demo-agent")
    plain = api.start("alex@example.com", "Alex")
    with_inbox = api.start("jordan.reed@example.com", "Jordan", inbox=INBOX)
    for conv in (plain, with_inbox):
        assert staff_read(api, staff, conv["id"])["identity_verified"] is False
        ask_for_agent(api, conv)
        assert queue_item(api, staff, conv["id"])["customer"]["verified"] is False


@pytest.mark.parametrize(
    "case",
    ["garbage", "empty", "other-email", "wrong-secret", "truncated", "sha256-without-key"],
)
def test_a_wrong_signature_is_401_and_starts_nothing(api: Api, case: str) -> None:
    email = "alex@example.com"
    identity_hash = {
        "garbage": "not-a-signature",
        "empty": "",
        "other-email": sign("vip@example.com"),
        "wrong-secret": sign(email, "some-other-secret"),
        "truncated": sign(email)[:-2],
        "sha256-without-key": hashlib.sha256(email.encode()).hexdigest(),
    }[case]
    admin = api.login("admin@example.com", "demo-admin")
    before = api.staff(admin, "GET", "/api/v1/conversations").json()["items"]

    r = start_raw(api, email, "Alex", inbox=INBOX, identity_hash=identity_hash)
    assert r.status_code == 401, r.text
    body = r.json()
    assert isinstance(body["detail"], str)
    assert "identity_hash" in body["detail"], body
    assert "customer_token" not in body and "id" not in body

    after = api.staff(admin, "GET", "/api/v1/conversations").json()["items"]
    assert len(after) == len(before)


def test_a_signature_for_an_unknown_inbox_is_404(api: Api) -> None:
    r = start_raw(
        api,
        "alex@example.com",
        "Alex",
        inbox="no-such-inbox",
        identity_hash=sign("alex@example.com"),
    )
    assert r.status_code == 404, r.text
    assert isinstance(r.json()["detail"], str)


def test_a_signature_cannot_be_replayed_for_another_email(api: Api) -> None:
    """A valid signature for alex does not verify a conversation claiming to be the VIP."""
    r = start_raw(
        api, "vip@example.com", "Victoria", inbox=INBOX, identity_hash=sign("alex@example.com")
    )
    assert r.status_code == 401, r.text
    admin = api.login("admin@example.com", "demo-admin")
    items = api.staff(admin, "GET", "/api/v1/conversations").json()["items"]
    assert all(i["customer"]["email"] != "vip@example.com" for i in items)


def test_the_customer_is_found_by_email_and_created_once(api: Api) -> None:
    staff = api.login("admin@example.com", "demo-admin")
    email = "brand.new@example.org"
    one = api.start(email, "Brand New")
    two = api.start(email.upper(), "Someone Else")
    three = api.start(email, "Brand New", inbox=INBOX, identity_hash=sign(email))

    customers = [staff_read(api, staff, c["id"])["customer"] for c in (one, two, three)]
    assert len({c["id"] for c in customers}) == 1, customers
    assert all(c["email"] == email for c in customers)
    # Created with the first name given; later claims do not rename it.
    assert all(c["name"] == "Brand New" for c in customers)
    # Each start is its own conversation.
    assert len({one["id"], two["id"], three["id"]}) == 3


@pytest.mark.parametrize("signed", [False, True], ids=["claimed", "signed"])
def test_a_chat_claim_never_overwrites_a_stored_customer(api: Api, signed: bool) -> None:
    admin = api.login("admin@example.com", "demo-admin")
    # The seeded customer, as the CRM has it.
    stored = api.staff(admin, "POST", "/api/v1/customers", json={"email": "alex@example.com"})
    assert stored.status_code == 200, stored.text
    alex = stored.json()
    assert alex["name"] == "Alex Morgan"

    email = "ALEX@Example.com"
    extra = {"inbox": INBOX, "identity_hash": sign(email)} if signed else {}
    conv = api.start(email, "Mallory Impostor", **extra)

    read = staff_read(api, admin, conv["id"])
    assert read["identity_verified"] is signed
    assert read["customer"] == alex
    assert "Mallory" not in str(read["customer"])
    ask_for_agent(api, conv)
    item = queue_item(api, admin, conv["id"])
    assert item["customer"]["id"] == alex["id"]
    assert item["customer"]["name"] == "Alex Morgan"
    assert item["customer"]["verified"] is signed
    # The greeting speaks to the stored name, not the claimed one.
    assert "Mallory" not in str(conv["messages"])

    # The customer record itself is unchanged.
    again = api.staff(admin, "POST", "/api/v1/customers", json={"email": "alex@example.com"})
    assert again.json() == alex


def test_verification_is_per_conversation(api: Api) -> None:
    """A verified chat does not make a later unsigned chat with the same email verified."""
    staff = api.login("agent@example.com", "demo-agent")
    email = "alex@example.com"
    signed = api.start(email, "Alex", inbox=INBOX, identity_hash=sign(email))
    unsigned = api.start(email, "Alex")
    assert staff_read(api, staff, signed["id"])["identity_verified"] is True
    assert staff_read(api, staff, unsigned["id"])["identity_verified"] is False
    assert (
        staff_read(api, staff, signed["id"])["customer"]["id"]
        == staff_read(api, staff, unsigned["id"])["customer"]["id"]
    )
