"""Shopify: orders, fulfillments and tracking for the order-status flow, customer lookup, and
the HMAC check of Shopify's webhooks.

It speaks the Admin REST API (``/admin/api/{version}/…json`` with ``X-Shopify-Access-Token``)
with httpx rather than through the ``ShopifyAPI`` package: that package keeps the active shop
session in class-level globals (one shop per process at a time, not safe when several
workspaces are served concurrently), makes blocking ``urllib`` calls from inside the event
loop, and builds ``https://{shop}.myshopify.com`` itself, so it can only reach a loopback fake
by patching its globals. The wire format here is Shopify's own, and the tests' fake serves it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from hybridcx.flows.backend import Account, NotSupported, Order, Slot
from hybridcx.integrations.resilience import (
    BackendUnavailable,
    CircuitBreaker,
    status_error,
    unavailable_from,
)

API_VERSION = "2024-10"
TIMEOUT_SECONDS = 5.0
# An order's number as the customer sees it ("#1001") or as digits.
ORDER_FIELDS = (
    "id,name,order_number,email,created_at,cancelled_at,financial_status,"
    "fulfillment_status,total_price,fulfillments,customer"
)


def verify_webhook(secret: str, body: bytes, signature: str | None) -> bool:
    """Shopify signs a webhook's raw body: base64(HMAC-SHA256(app secret, body)) in
    ``X-Shopify-Hmac-Sha256``. Compared in constant time."""
    if not signature or not secret:
        return False
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), signature.strip())


def shop_base_url(shop: str, version: str = API_VERSION) -> str:
    """``https://{shop}.myshopify.com/admin/api/{version}/`` for a shop name or domain; a full
    http(s) URL (a proxy, or a test's fake) is taken as the shop's origin."""
    shop = shop.strip().rstrip("/")
    if shop.startswith(("http://", "https://")):
        origin = shop
    else:
        host = shop if "." in shop else f"{shop}.myshopify.com"
        origin = f"https://{host}"
    return f"{origin}/admin/api/{version}/"


def _naive_utc(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def order_from_shopify(data: Mapping[str, Any]) -> tuple[Order, str]:
    """The flows' ``Order`` from a Shopify order resource (with its fulfillments), and the
    email of its customer."""
    fulfillments = [f for f in data.get("fulfillments") or [] if f.get("status") != "cancelled"]
    latest = max(fulfillments, key=lambda f: f.get("created_at") or "", default=None)
    if data.get("cancelled_at"):
        status = "cancelled"
    elif data.get("financial_status") in ("refunded", "partially_refunded") and not fulfillments:
        status = "refunded"
    elif latest is not None and latest.get("shipment_status") == "delivered":
        status = "delivered"
    elif latest is not None or data.get("fulfillment_status") in ("fulfilled", "partial"):
        status = "shipped"
    else:
        status = "processing"
    carrier = tracking = None
    eta = None
    if latest is not None:
        carrier = latest.get("tracking_company") or None
        numbers = latest.get("tracking_numbers") or []
        tracking = latest.get("tracking_number") or (numbers[0] if numbers else None)
        when = latest.get("estimated_delivery_at")
        if status == "delivered":
            when = latest.get("delivered_at") or latest.get("updated_at")
        # the date as the shop wrote it (its own time zone), which is the customer's day
        eta = datetime.fromisoformat(when).date() if when else None
    number = str(data.get("order_number") or str(data.get("name") or "").lstrip("#"))
    email = str(data.get("email") or (data.get("customer") or {}).get("email") or "")
    order = Order(
        number=number,
        status=status,
        carrier=carrier,
        tracking_number=tracking,
        expected_delivery=eta,
        placed_at=_naive_utc(data.get("created_at")) or datetime(1970, 1, 1),
        total=float(data.get("total_price") or 0),
    )
    return order, email.strip().lower()


class ShopifyBackend:
    """``CompanyBackend`` over a Shopify store. Orders and customers come from Shopify;
    accounts, appointments, one-time codes and money-moving actions are not Shopify's to do
    and say so (NotSupported), which hands the customer to a person."""

    def __init__(
        self,
        name: str,
        shop: str,
        access_token: str,
        *,
        api_version: str = API_VERSION,
        timeout_seconds: float = TIMEOUT_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.name = name
        self.timeout = timeout_seconds
        self.http = httpx.AsyncClient(
            base_url=shop_base_url(shop, api_version),
            headers={"X-Shopify-Access-Token": access_token, "Accept": "application/json"},
            timeout=timeout_seconds,
            transport=transport,
            follow_redirects=False,
        )
        self.breaker = breaker or CircuitBreaker()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """The JSON of a GET, or None on 404; anything else unusable is BackendUnavailable."""

        async def send() -> Any:
            try:
                async with asyncio.timeout(self.timeout + 1):
                    response = await self.http.get(path, params=dict(params or {}))
            except (httpx.HTTPError, TimeoutError) as exc:
                raise unavailable_from(self.name, exc) from None
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                raise BackendUnavailable(self.name, f"{path} {status_error(response.status_code)}")
            try:
                return response.json()
            except ValueError:
                raise BackendUnavailable(self.name, f"{path} did not answer JSON") from None

        return await self.breaker.call(self.name, send)

    # ---- what `hybridcx integrations test` checks ----------------------------------------------

    async def shop(self) -> dict[str, Any]:
        data = await self._get("shop.json")
        if not data or "shop" not in data:
            raise BackendUnavailable(self.name, "shop.json has no shop")
        return dict(data["shop"])

    async def find_customer(self, email: str) -> dict[str, Any] | None:
        email = email.strip().lower()
        data = await self._get("customers/search.json", {"query": f"email:{email}", "limit": 5})
        for customer in (data or {}).get("customers") or []:
            if str(customer.get("email") or "").strip().lower() == email:
                return dict(customer)
        return None

    # ---- CompanyBackend ----------------------------------------------------------------------

    async def orders_for(self, email: str) -> list[Order]:
        customer = await self.find_customer(email)
        if customer is None:
            return []
        data = await self._get(
            f"customers/{int(customer['id'])}/orders.json",
            {"status": "any", "limit": 50, "fields": ORDER_FIELDS},
        )
        orders = [order_from_shopify(o)[0] for o in (data or {}).get("orders") or []]
        return sorted(orders, key=lambda o: o.placed_at, reverse=True)

    async def order(self, number: str) -> tuple[Order, str] | None:
        digits = "".join(ch for ch in number if ch.isdigit())
        if not digits:
            return None
        data = await self._get(
            "orders.json", {"name": f"#{digits}", "status": "any", "fields": ORDER_FIELDS}
        )
        for found in (data or {}).get("orders") or []:
            order, email = order_from_shopify(found)
            if order.number == digits:
                return order, email
        return None

    async def account_for(self, email: str) -> Account | None:
        raise NotSupported(self.name, "a Shopify store has no accounts to look up")

    async def send_password_reset(self, email: str) -> bool:
        raise NotSupported(self.name, "password resets are not sent through Shopify")

    async def send_verification_code(self, email: str) -> bool:
        raise NotSupported(self.name, "one-time codes are not sent through Shopify")

    async def check_verification_code(self, email: str, code: str) -> bool:
        raise NotSupported(self.name, "one-time codes are not sent through Shopify")

    async def free_slots(self, *, after: datetime, limit: int) -> list[Slot]:
        raise NotSupported(self.name, "a Shopify store has no appointments")

    async def appointments_for(self, email: str, *, after: datetime) -> list[Slot]:
        raise NotSupported(self.name, "a Shopify store has no appointments")

    async def book(self, slot_id: str, email: str) -> Slot:
        raise NotSupported(self.name, "a Shopify store has no appointments")

    async def cancel(self, slot_id: str, email: str) -> bool:
        raise NotSupported(self.name, "a Shopify store has no appointments")

    async def cancel_order(self, number: str, email: str) -> bool:
        raise NotSupported(self.name, "cancelling Shopify orders is not connected yet")

    async def update_contact(self, email: str, field: str, value: str) -> bool:
        raise NotSupported(self.name, "changing Shopify customers is not connected yet")

    async def refund(self, number: str, email: str, amount: float) -> str:
        raise NotSupported(self.name, "Shopify refunds are not connected yet")

    async def send_replacement(self, number: str, email: str) -> str:
        raise NotSupported(self.name, "Shopify replacements are not connected yet")
