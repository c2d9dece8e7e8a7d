"""The desk's customer 360 reads orders through the workspace's CompanyBackend: the
demo tables without a connector, the company's own REST API (the no-code HTTP backend) or
Shopify with one; a backend that is down empties the orders and says so, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integrations.fakes import (
    COMPANY_TOKEN,
    SHOPIFY_TOKEN,
    FakeServer,
    company_api,
    company_mapping,
    fake_shopify,
)
from tests.support import Api, LiveServer


@pytest.fixture
def company() -> Iterator[FakeServer]:
    fake = company_api().start()
    yield fake
    fake.stop()


@pytest.fixture
def shop() -> Iterator[FakeServer]:
    fake = fake_shopify().start()
    yield fake
    fake.stop()


def overview(api: Api, token: str) -> dict[str, Any]:
    conv = api.start(email="alex@example.com", name="Alex")
    view = api.staff(token, "GET", f"/api/v1/conversations/{conv['id']}").json()
    r = api.staff(token, "GET", f"/api/v1/customers/{view['customer']['id']}/overview")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def connect(api: Api, admin: str, name: str, body: dict[str, Any]) -> None:
    r = api.staff(admin, "PUT", f"/api/v1/integrations/{name}", json=body)
    assert r.status_code == 200, r.text


def test_the_360_reads_orders_from_the_connected_backend(
    server: LiveServer, api: Api, company: FakeServer, shop: FakeServer
) -> None:
    admin = api.login("admin@example.com", "demo-admin")
    demo = overview(api, admin)
    assert [o["number"] for o in demo["orders"]] == ["1001"]
    assert demo["backend"] == {"source": "demo", "ok": True, "detail": None}

    http_backend = {
        "kind": "http",
        "settings": {"mapping": company_mapping(company)},
        "secrets": {"token": COMPANY_TOKEN},
        "serves_flows": True,
    }
    connect(api, admin, "acme", http_backend)
    body = overview(api, admin)
    assert body["backend"] == {"source": "acme", "ok": True, "detail": None}
    [order] = body["orders"]  # the company's order, not the demo table's 1001
    assert order["number"] == "5001" and order["status"] == "shipped"
    assert order["carrier"] == "DHL" and order["expected_delivery"] == "2026-12-10"
    assert body["appointments"] == []  # not mapped: none, not an error

    connect(
        api,
        admin,
        "shop",
        {
            "kind": "shopify",
            "settings": {"shop": shop.url, "timeout_seconds": 2},
            "secrets": {"access_token": SHOPIFY_TOKEN},
            "serves_flows": True,
        },
    )
    body = overview(api, admin)
    assert body["backend"]["source"] == "shop"
    assert "7001" in [o["number"] for o in body["orders"]]


def test_a_backend_that_is_down_empties_the_orders_and_says_so(
    server: LiveServer, api: Api, company: FakeServer
) -> None:
    admin = api.login("admin@example.com", "demo-admin")
    connect(
        api,
        admin,
        "acme",
        {
            "kind": "http",
            "settings": {"mapping": company_mapping(company)},
            "secrets": {"token": COMPANY_TOKEN},
            "serves_flows": True,
        },
    )
    company.stop()
    body = overview(api, admin)
    assert body["orders"] == []
    assert body["backend"]["ok"] is False and body["backend"]["source"] == "acme"
    assert "acme" in body["backend"]["detail"]
    assert body["customer"]["email"] == "alex@example.com"  # the rest of the panel is there


def test_the_data_export_reads_orders_from_the_connected_backend(
    server: LiveServer, api: Api, company: FakeServer
) -> None:
    admin = api.login("admin@example.com", "demo-admin")
    conv = api.start(email="alex@example.com", name="Alex")
    cid = api.staff(admin, "GET", f"/api/v1/conversations/{conv['id']}").json()["customer"]["id"]
    before = api.staff(admin, "GET", f"/api/v1/customers/{cid}/export").json()
    assert [o["number"] for o in before["records"]["orders"]] == ["1001"]  # the demo tables
    connect(
        api,
        admin,
        "acme",
        {
            "kind": "http",
            "settings": {"mapping": company_mapping(company)},
            "secrets": {"token": COMPANY_TOKEN},
            "serves_flows": True,
        },
    )
    after = api.staff(admin, "GET", f"/api/v1/customers/{cid}/export").json()
    assert [o["number"] for o in after["records"]["orders"]] == ["5001"]
    assert after["records"]["source"]["source"] == "acme"
    assert after["records"]["appointments"] == []
