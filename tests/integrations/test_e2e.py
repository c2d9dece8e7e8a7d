"""Connectors through the live server: configured by an admin over HTTP, secrets sealed, the
demo's order-tracking flow answered from Shopify or the company's own API, and an honest
handoff when the shop goes down mid-conversation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from sqlalchemy import text

from hybridcx.customers.repository import find_customer_by_email
from tests.e2e.test_isolation import other_workspace  # noqa: F401  (fixture)
from tests.integrations.fakes import (
    COMPANY_TOKEN,
    SHOPIFY_TOKEN,
    SHOPIFY_WEBHOOK_SECRET,
    FakeServer,
    company_mapping,
)
from tests.support import Api, LiveServer


def connect_shop(api: Api, admin: str, shop: FakeServer, **extra: Any) -> dict[str, Any]:
    r = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/shop",
        json={
            "kind": "shopify",
            "settings": {"shop": shop.url, "timeout_seconds": 2},
            "secrets": {"access_token": SHOPIFY_TOKEN, "webhook_secret": SHOPIFY_WEBHOOK_SECRET},
            "serves_flows": True,
            **extra,
        },
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def turn(api: Api, conv: dict[str, Any], said: str) -> dict[str, Any]:
    r = api.say(conv, said)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def ai_text(body: dict[str, Any]) -> str:
    return "\n".join(m["text"] for m in body["messages"] if m["author"] == "ai")


def test_order_tracking_answers_from_shopify(
    api: Api, admin: str, shop: FakeServer, server: LiveServer
) -> None:
    saved = connect_shop(api, admin, shop)
    assert saved["secrets_set"] == ["access_token", "webhook_secret"]
    assert SHOPIFY_TOKEN not in json.dumps(saved)
    listed = api.staff(admin, "GET", "/api/v1/integrations")
    assert listed.status_code == 200 and SHOPIFY_TOKEN not in listed.text
    assert [k["name"] for k in listed.json()["kinds"]] == [
        "http",
        "shopify",
        "hubspot",
        "salesforce",
    ]

    conv = api.start()
    first = turn(api, conv, "Where is my order?")
    assert first["conversation"]["routing"]["intent"] == "order_status"
    done = turn(api, conv, "It's 7001")
    assert "Order 7001 is shipped with USPS (tracking number 9400111899223817523456)" in ai_text(
        done
    )
    assert done["conversation"]["status"] == "bot"
    # the demo tables' order 1001 is not Shopify's: the flow asked Shopify, which has none
    other = api.start()
    turn(api, other, "Where is my order?")
    assert "couldn't find order 1001" in ai_text(turn(api, other, "1001"))

    # the token is sealed at rest
    async def stored() -> str:
        async with server.runtime.sessions() as session:
            row = await session.execute(text("SELECT secrets FROM integration_connectors"))
            return str(row.scalar_one())

    raw = server.call(stored())
    assert raw.startswith("v1:") and SHOPIFY_TOKEN not in raw


def test_order_tracking_answers_from_the_no_code_http_backend(
    api: Api, admin: str, company: FakeServer
) -> None:
    r = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/acme",
        json={
            "kind": "http",
            "settings": {"mapping": company_mapping(company)},
            "secrets": {"token": COMPANY_TOKEN},
            "serves_flows": True,
        },
    )
    assert r.status_code == 200, r.text
    body = turn(api, api.start(), "Where is my order 5001?")
    assert "Order 5001 is shipped with DHL (tracking number JD0146)" in ai_text(body)
    assert "Expected delivery: Thursday 10 December" in ai_text(body)

    checked = api.staff(
        admin, "POST", "/api/v1/integrations/acme/test", json={"email": "alex@example.com"}
    )
    assert checked.status_code == 200, checked.text
    by_name = {c["name"]: c for c in checked.json()["checks"]}
    assert by_name["find_customer"] == {
        "name": "find_customer",
        "ok": True,
        "detail": "customer found",
    }
    assert by_name["orders_for"]["detail"] == "1 orders found"
    assert by_name["account_for"]["detail"].startswith("not mapped")

    # Removing the connector gives the flows back to the demo tables.
    assert api.staff(admin, "DELETE", "/api/v1/integrations/acme").status_code == 204
    body = turn(api, api.start(), "Where is my order 1001?")
    assert "Order 1001 is shipped with UPS" in ai_text(body)


def test_the_shop_going_down_mid_conversation_gets_an_honest_answer_and_a_person(
    api: Api, admin: str, shop: FakeServer
) -> None:
    connect_shop(api, admin, shop)
    conv = api.start()
    first = turn(api, conv, "Where is my order?")
    assert "order number" in ai_text(first)
    shop.stop()
    body = turn(api, conv, "It's 7001")
    said = ai_text(body)
    assert "I can't reach our systems right now" in said
    assert "member of our team" in said
    state = body["conversation"]
    assert state["status"] == "queued"
    assert "backend_unavailable" in state["routing"]["reasons"]


def test_what_shopify_cannot_do_is_handed_to_a_person(
    api: Api, admin: str, shop: FakeServer
) -> None:
    connect_shop(api, admin, shop)
    conv = api.start()
    asked = turn(api, conv, "I forgot my password and can't log in")
    assert asked["conversation"]["routing"]["intent"] == "password_reset"
    body = turn(api, conv, "yes")  # the reset goes through the shop, which has no such thing
    assert "not something I can do for you here myself" in ai_text(body)
    assert body["conversation"]["status"] == "queued"


def test_bad_configurations_are_4xx_with_the_place_named(
    api: Api, admin: str, company: FakeServer
) -> None:
    mapping = company_mapping(company)
    mapping["operations"]["order"] = {"url": "/orders/{id}", "result": {"number": "$.id"}}
    r = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/acme",
        json={"kind": "http", "settings": {"mapping": mapping}, "secrets": {"token": "t"}},
    )
    assert r.status_code == 422
    assert "operations.order.url: {id} is not known here" in r.text
    assert "operations.order.result: 'status' is required" in r.text

    cases: list[tuple[str, dict[str, Any], str]] = [
        ("shop", {"kind": "magento", "settings": {}}, "unknown connector kind"),
        ("shop", {"kind": "shopify", "settings": {"shop": "acme"}}, "needs the secrets"),
        (
            "shop",
            {"kind": "shopify", "settings": {"shop": "acme"}, "secrets": {"pin": "1"}},
            "needs the secrets",
        ),
        ("Bad Name!", {"kind": "shopify", "settings": {"shop": "a"}}, "connector name"),
        ("shop", {"kind": "shopify", "settings": {"shop": ""}}, "shopify settings"),
    ]
    for name, body, message in cases:
        r = api.staff(admin, "PUT", f"/api/v1/integrations/{name}", json=body)
        assert r.status_code == 422, (body, r.text)
        assert message in r.text, (body, r.text)
    assert api.staff(admin, "GET", "/api/v1/integrations/nope").status_code == 404
    assert api.staff(admin, "POST", "/api/v1/integrations/nope/test").status_code == 404


def test_only_admins_manage_connectors_and_only_their_own_workspaces(
    api: Api,
    admin: str,
    shop: FakeServer,
    other_workspace: str,  # noqa: F811
) -> None:
    connect_shop(api, admin, shop)
    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(agent, "GET", "/api/v1/integrations").status_code == 403
    assert api.staff(agent, "DELETE", "/api/v1/integrations/shop").status_code == 403
    olga = other_workspace
    assert api.staff(olga, "GET", "/api/v1/integrations").json()["items"] == []
    assert api.staff(olga, "GET", "/api/v1/integrations/shop").status_code == 404
    assert api.staff(olga, "DELETE", "/api/v1/integrations/shop").status_code == 404
    assert api.staff(admin, "GET", "/api/v1/integrations/shop").status_code == 200


def _connector_id(server: LiveServer) -> str:
    async def read() -> str:
        async with server.runtime.sessions() as session:
            row = await session.execute(text("SELECT id FROM integration_connectors"))
            return str(row.scalar_one())

    return server.call(read())  # type: ignore[no-any-return]


def _signed(body: bytes, secret: str = SHOPIFY_WEBHOOK_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_a_signed_shopify_customer_update_changes_the_customer(
    api: Api, admin: str, shop: FakeServer, server: LiveServer
) -> None:
    connect_shop(api, admin, shop)
    hook = f"/api/v1/integrations/hooks/{_connector_id(server)}/shopify"
    body = json.dumps(
        {
            "id": 207119551,
            "email": "alex@example.com",
            "first_name": "Alexandra",
            "last_name": "Shopper",
            "phone": "+1 613-555-0199",
        }
    ).encode()
    headers = {"Content-Type": "application/json", "X-Shopify-Topic": "customers/update"}
    forged = api.http.post(hook, content=body, headers={**headers, "X-Shopify-Hmac-Sha256": "x"})
    assert forged.status_code == 401
    wrong = _signed(body, "not-the-secret")
    r = api.http.post(hook, content=body, headers={**headers, "X-Shopify-Hmac-Sha256": wrong})
    assert r.status_code == 401
    r = api.http.post(
        "/api/v1/integrations/hooks/no-such-id/shopify",
        content=body,
        headers={**headers, "X-Shopify-Hmac-Sha256": _signed(body)},
    )
    assert r.status_code == 401
    r = api.http.post(
        hook, content=body, headers={**headers, "X-Shopify-Hmac-Sha256": _signed(body)}
    )
    assert r.status_code == 200, r.text
    assert r.json()["customer_updated"] is True

    async def customer() -> tuple[str, str | None]:
        async with server.runtime.sessions() as session:
            ws = (
                await session.execute(text("SELECT id FROM workspaces WHERE is_default"))
            ).scalar_one()
            found = await find_customer_by_email(session, str(ws), "alex@example.com")
            assert found is not None
            return found.name, found.phone

    assert server.call(customer()) == ("Alexandra Shopper", "+16135550199")
    not_json = b"not json"
    r = api.http.post(
        hook, content=not_json, headers={**headers, "X-Shopify-Hmac-Sha256": _signed(not_json)}
    )
    assert r.status_code == 422


def test_a_changed_configuration_is_used_from_the_next_turn(
    api: Api, admin: str, shop: FakeServer
) -> None:
    connect_shop(api, admin, shop)
    assert "Order 7001 is shipped" in ai_text(turn(api, api.start(), "Where is my order 7001?"))
    r = api.staff(
        admin,
        "PUT",
        "/api/v1/integrations/shop",
        json={
            "kind": "shopify",
            "settings": {"shop": shop.url, "timeout_seconds": 2},
            "secrets": {"access_token": "shpat_revoked"},  # the webhook secret is kept
            "serves_flows": True,
        },
    )
    assert r.status_code == 200 and r.json()["secrets_set"] == ["access_token", "webhook_secret"]
    body = turn(api, api.start(), "Where is my order 7001?")
    assert "I can't reach our systems right now" in ai_text(body)
    assert body["conversation"]["status"] == "queued"
    assert shop.requests[-1][2]["x-shopify-access-token"] == "shpat_revoked"
