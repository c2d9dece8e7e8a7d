"""The Shopify connector against a fake speaking the Admin REST wire format on loopback."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from datetime import date, datetime
from typing import Any

import pytest

from hybridcx.flows.actions import ACTIONS
from hybridcx.flows.backend import BackendUnavailable, NotSupported
from hybridcx.flows.engine import FlowEngine, FlowTurn
from hybridcx.flows.spec import load_flows
from hybridcx.integrations.shopify import (
    ShopifyBackend,
    order_from_shopify,
    shop_base_url,
    verify_webhook,
)
from tests.integrations.fakes import SHOPIFY_TOKEN, FakeServer


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def backend(fake: FakeServer, token: str = SHOPIFY_TOKEN) -> ShopifyBackend:
    return ShopifyBackend("shop", fake.url, token)


def test_the_shop_url_is_shopifys_admin_api() -> None:
    assert shop_base_url("acme") == "https://acme.myshopify.com/admin/api/2024-10/"
    assert shop_base_url("acme.myshopify.com", "2025-01") == (
        "https://acme.myshopify.com/admin/api/2025-01/"
    )
    assert shop_base_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/admin/api/2024-10/"


def test_order_status_follows_fulfillments_cancellation_and_refunds() -> None:
    base: dict[str, Any] = {
        "order_number": 1,
        "email": "A@x.com",
        "created_at": "2026-12-01T10:00:00-05:00",
        "total_price": "10.00",
    }
    shipped = {
        "tracking_company": "UPS",
        "tracking_numbers": ["1Z1"],
        "status": "success",
        "shipment_status": "in_transit",
        "created_at": "2026-12-02T00:00:00Z",
    }
    order, email = order_from_shopify({**base, "fulfillments": [shipped]})
    assert (order.status, order.carrier, order.tracking_number, email) == (
        "shipped",
        "UPS",
        "1Z1",
        "a@x.com",
    )
    assert order.placed_at == datetime(2026, 12, 1, 15, 0)  # in UTC
    delivered = {**shipped, "shipment_status": "delivered", "updated_at": "2026-12-04T12:00:00Z"}
    order, _ = order_from_shopify({**base, "fulfillments": [delivered]})
    assert order.status == "delivered" and order.expected_delivery == date(2026, 12, 4)
    assert order_from_shopify({**base, "fulfillments": []})[0].status == "processing"
    cancelled = {**base, "cancelled_at": "2026-12-02T00:00:00Z", "fulfillments": []}
    assert order_from_shopify(cancelled)[0].status == "cancelled"
    refunded = {**base, "financial_status": "refunded", "fulfillments": []}
    assert order_from_shopify(refunded)[0].status == "refunded"
    voided = {**shipped, "status": "cancelled"}  # a cancelled fulfillment does not count
    assert order_from_shopify({**base, "fulfillments": [voided]})[0].status == "processing"


def test_order_lookup_by_number_with_tracking(shop: FakeServer) -> None:
    found = run(backend(shop).order("#7001"))
    assert found is not None
    order, owner = found
    assert owner == "alex@example.com"
    assert (order.number, order.status, order.carrier) == ("7001", "shipped", "USPS")
    assert order.tracking_number == "9400111899223817523456"
    assert order.expected_delivery == date(2026, 12, 11)
    assert run(backend(shop).order("9999")) is None
    method, path, headers = shop.requests[0]
    assert method == "GET" and path.startswith("/admin/api/2024-10/orders.json?")
    assert "name=%237001" in path and "status=any" in path
    assert headers["x-shopify-access-token"] == SHOPIFY_TOKEN


def test_customer_lookup_and_their_orders(shop: FakeServer) -> None:
    customer = run(backend(shop).find_customer("ALEX@example.com"))
    assert customer is not None and customer["id"] == 207119551
    orders = run(backend(shop).orders_for("alex@example.com"))
    assert {(o.number, o.status) for o in orders} == {("7001", "shipped"), ("7002", "processing")}
    assert run(backend(shop).orders_for("nobody@example.com")) == []


def test_a_bad_token_is_unavailable_without_leaking_it(shop: FakeServer) -> None:
    with pytest.raises(BackendUnavailable) as caught:
        run(backend(shop, token="shpat_wrong").order("7001"))
    assert "HTTP 401" in str(caught.value) and "shpat_wrong" not in str(caught.value)


def test_what_shopify_does_not_do_is_not_supported(shop: FakeServer) -> None:
    with pytest.raises(NotSupported):
        run(backend(shop).account_for("alex@example.com"))
    with pytest.raises(NotSupported):
        run(backend(shop).free_slots(after=datetime(2026, 12, 8), limit=3))


def test_the_order_flow_answers_from_shopify(shop: FakeServer) -> None:
    engine = FlowEngine(load_flows(), ACTIONS, backend(shop))
    turn = FlowTurn(
        text="where is order 7001?",
        entities={"order_number": ["7001"]},
        email="alex@example.com",
        name="Alex",
        verified=False,
        now=datetime(2026, 12, 8, 10, 30),
    )
    out = run(engine.start("order_status", turn))
    assert out.completed
    assert out.replies[0].startswith(
        "Order 7001 is shipped with USPS (tracking number 9400111899223817523456). "
        "Expected delivery: Friday 11 December."
    )


def test_webhook_hmac_is_shopifys() -> None:
    body = b'{"id":820982911946154508,"email":"jon@example.com"}'
    secret = "hush"
    signature = base64.b64encode(hmac.new(b"hush", body, hashlib.sha256).digest()).decode()
    assert verify_webhook(secret, body, signature)
    assert not verify_webhook(secret, body + b" ", signature)
    assert not verify_webhook("other", body, signature)
    assert not verify_webhook(secret, body, None)
    assert not verify_webhook("", body, signature)
