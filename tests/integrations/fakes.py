"""Local fakes of the company's systems, on loopback with real HTTP, that can be taken down.

- ``CompanyApi``: a small company REST API of its own shape (what the no-code HTTP backend
  maps): bearer token, ``/api/customers?email=``, ``/api/customers/{email}/orders``,
  ``/api/orders/{number}``.
- ``FakeShopify``: Shopify's Admin REST wire format (``/admin/api/{version}/…json`` with
  ``X-Shopify-Access-Token``; orders with ``fulfillments``, ``customers/search.json``,
  ``shop.json``; Shopify's error JSON on a bad token).
"""

from __future__ import annotations

import copy
import json
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

# (method, path, query, headers, JSON body or None) -> (status, JSON answer)
Route = Callable[[str, str, dict[str, list[str]], dict[str, str], Any], tuple[int, Any]]


@dataclass
class FakeServer:
    """A ThreadingHTTPServer on a free loopback port. ``stop()`` closes the socket, so the
    next request is refused, as when the company's system is down; ``start()`` again brings
    it back on the same port. ``delay`` makes every answer slow (a timeout)."""

    route: Route
    port: int = 0
    delay: float = 0.0
    tls: ssl.SSLContext | None = None  # serve https (Salesforce's SDK speaks nothing else)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> FakeServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self._answer()

            def do_POST(self) -> None:  # noqa: N802
                self._answer()

            def do_PATCH(self) -> None:  # noqa: N802
                self._answer()

            def do_DELETE(self) -> None:  # noqa: N802
                self._answer()

            def _answer(self) -> None:
                parts = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                raw = self.rfile.read(int(headers.get("content-length") or 0))
                sent = json.loads(raw) if raw else None
                fake.requests.append((self.command, self.path, headers))
                fake.bodies.append(sent)
                if fake.delay:
                    time.sleep(fake.delay)
                status, body = fake.route(
                    self.command, unquote(parts.path), parse_qs(parts.query), headers, sent
                )
                data = b"" if status == 204 else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    if status != 204:  # No Content: no body, no type
                        self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


# ---- the company's own REST API ------------------------------------------------------------------

COMPANY_TOKEN = "acme-api-token-7f3c"


def company_api() -> FakeServer:
    customers = {
        "alex@example.com": {"id": "c-1", "email": "alex@example.com", "full_name": "Alex Acme"},
        "sam@example.com": {"id": "c-2", "email": "sam@example.com", "full_name": "Sam Acme"},
    }
    orders = {
        "5001": {
            "id": "5001",
            "state": "in_transit",
            "created": "2026-12-01T09:00:00Z",
            "total": "59.90",
            "shipping": {"carrier": "DHL", "tracking": "JD0146", "eta": "2026-12-10"},
            "customer": {"email": "alex@example.com"},
        },
        "5002": {
            "id": "5002",
            "state": "packing",
            "created": "2026-12-03T09:00:00Z",
            "total": "12.00",
            "shipping": {},
            "customer": {"email": "sam@example.com"},
        },
    }

    def route(
        method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        if headers.get("authorization") != f"Bearer {COMPANY_TOKEN}":
            return 401, {"error": "unauthorized"}
        if path == "/api/customers":
            email = (query.get("email") or [""])[0]
            found = customers.get(email)
            return (200, {"customer": found}) if found else (404, {"error": "no such customer"})
        if path.startswith("/api/customers/") and path.endswith("/orders"):
            email = path.split("/")[3]
            mine = [o for o in orders.values() if o["customer"]["email"] == email]  # type: ignore[index]
            return 200, {"data": {"orders": mine}}
        if path.startswith("/api/orders/"):
            found = orders.get(path.rsplit("/", 1)[1])
            return (200, {"order": found}) if found else (404, {"error": "no such order"})
        return 404, {"error": "no such route"}

    return FakeServer(route)


COMPANY_MAPPING: dict[str, Any] = {
    "base_url": "http://127.0.0.1:1/api",  # the test puts the fake's port in
    "timeout_seconds": 2,
    "auth": {"type": "bearer"},
    "operations": {
        "find_customer": {
            "url": "/customers",
            "query": {"email": "{email}"},
            "result": {"email": "$.customer.email", "name": "$.customer.full_name"},
        },
        "orders_for": {
            "url": "/customers/{email}/orders",
            "items": "$.data.orders",
            "result": {
                "number": "$.id",
                "status": "$.state",
                "placed_at": "$.created",
                "total": "$.total",
                "carrier": "$.shipping.carrier",
                "tracking_number": "$.shipping.tracking",
                "expected_delivery": "$.shipping.eta",
            },
            "status_map": {"in_transit": "shipped", "packing": "processing"},
        },
        "order": {
            "url": "/orders/{number}",
            "result": {
                "number": "$.order.id",
                "status": "$.order.state",
                "placed_at": "$.order.created",
                "total": "$.order.total",
                "carrier": "$.order.shipping.carrier",
                "tracking_number": "$.order.shipping.tracking",
                "expected_delivery": "$.order.shipping.eta",
                "email": "$.order.customer.email",
            },
            "status_map": {"in_transit": "shipped", "packing": "processing"},
        },
    },
}


def company_mapping(fake: FakeServer) -> dict[str, Any]:
    """A fresh copy (tests change it) pointing at this fake."""
    return {**copy.deepcopy(COMPANY_MAPPING), "base_url": f"{fake.url}/api"}


# ---- Shopify -----------------------------------------------------------------------------------

SHOPIFY_TOKEN = "shpat_test_0123456789abcdef"
SHOPIFY_WEBHOOK_SECRET = "shopify-app-secret-for-webhooks"
API = "/admin/api/2024-10"


def _shopify_order(
    number: int, email: str, customer_id: int, fulfillments: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "id": 450789469000 + number,
        "name": f"#{number}",
        "order_number": number,
        "email": email,
        "created_at": "2026-12-01T10:00:00-05:00",
        "cancelled_at": None,
        "financial_status": "paid",
        "fulfillment_status": "fulfilled" if fulfillments else None,
        "total_price": "199.00",
        "currency": "USD",
        "fulfillments": fulfillments,
        "customer": {"id": customer_id, "email": email},
        **extra,
    }


def fake_shopify() -> FakeServer:
    customers = [
        {
            "id": 207119551,
            "email": "alex@example.com",
            "first_name": "Alex",
            "last_name": "Shopper",
            "phone": "+16135550142",
            "orders_count": 2,
        }
    ]
    orders = [
        _shopify_order(
            7001,
            "alex@example.com",
            207119551,
            [
                {
                    "id": 255858046,
                    "order_id": 450789469000 + 7001,
                    "status": "success",
                    "created_at": "2026-12-02T09:00:00-05:00",
                    "updated_at": "2026-12-02T09:00:00-05:00",
                    "tracking_company": "USPS",
                    "tracking_number": "9400111899223817523456",
                    "tracking_numbers": ["9400111899223817523456"],
                    "tracking_url": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400",
                    "shipment_status": "in_transit",
                    "estimated_delivery_at": "2026-12-11T17:00:00-05:00",
                }
            ],
        ),
        _shopify_order(7002, "alex@example.com", 207119551, []),
    ]

    def route(
        method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        if headers.get("x-shopify-access-token") != SHOPIFY_TOKEN:
            return 401, {
                "errors": "[API] Invalid API key or access token (unrecognized login or wrong "
                "password)"
            }
        if path == f"{API}/shop.json":
            return 200, {"shop": {"id": 690933842, "name": "Northwind Shop", "currency": "USD"}}
        if path == f"{API}/customers/search.json":
            q = (query.get("query") or [""])[0]
            email = q.removeprefix("email:")
            return 200, {"customers": [c for c in customers if c["email"] == email]}
        if path.startswith(f"{API}/customers/") and path.endswith("/orders.json"):
            cid = int(path.split("/")[-2])
            return 200, {"orders": [o for o in orders if o["customer"]["id"] == cid]}
        if path == f"{API}/orders.json":
            name = (query.get("name") or [""])[0]
            found = [o for o in orders if o["name"] == name or str(o["order_number"]) == name]
            return 200, {"orders": found}
        return 404, {"errors": "Not Found"}

    return FakeServer(route)


# ---- HubSpot CRM v3 ----------------------------------------------------------------------------

HUBSPOT_TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"


def _hubspot_object(object_id: str, properties: dict[str, Any]) -> dict[str, Any]:
    at = "2026-12-08T10:30:00.000Z"
    return {
        "id": object_id,
        "properties": {**properties, "hs_object_id": object_id, "createdate": at},
        "createdAt": at,
        "updatedAt": at,
        "archived": False,
    }


@dataclass
class HubSpotState:
    contacts: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)  # {"properties", "associations"}
    updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (id, properties)
    gdpr_deleted: list[str] = field(default_factory=list)  # the emails HubSpot was told to forget
    notes: list[dict[str, Any]] = field(default_factory=list)  # {"properties", "associations"}
    timeline: list[dict[str, Any]] = field(default_factory=list)  # TimelineEvent bodies as sent
    ticket_updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (id, props)
    templates: dict[str, list[str]] = field(  # event template id -> its token names
        default_factory=lambda: {"1001298": ["channel", "summary", "category", "csat", "link"]}
    )
    updated_at: str = "2026-12-08T10:30:00.000Z"  # what a PATCH stamps on the contact
    created: list[dict[str, Any]] = field(default_factory=list)  # contact creates, as sent
    # HubSpot's search index trails its writes by seconds: new contacts are not found yet
    search_lags: bool = False
    made_ids: list[str] = field(default_factory=list)  # the contacts created here
    failing_tickets: int = 0  # the next ticket creates that answer 502
    lost_note_answers: int = 0  # the next notes are made, but their answer is lost (a 502)


def fake_hubspot() -> tuple[FakeServer, HubSpotState]:
    state = HubSpotState(
        contacts=[
            _hubspot_object(
                "51",
                {"email": "alex@example.com", "firstname": "Alex", "lastname": "Hub", "phone": ""},
            )
        ]
    )

    def route(
        method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        if headers.get("authorization") != f"Bearer {HUBSPOT_TOKEN}":
            return 401, {
                "status": "error",
                "message": "Authentication credentials not found.",
                "correlationId": "4b3a1c2d-0000-4000-8000-000000000001",
                "category": "INVALID_AUTHENTICATION",
            }
        if method == "POST" and path == "/crm/v3/objects/contacts/search":
            wanted = [
                f["value"]
                for group in body.get("filterGroups") or []
                for f in group.get("filters") or []
                if f.get("propertyName") == "email" and f.get("operator") == "EQ"
            ]
            found = [c for c in state.contacts if c["properties"]["email"] in wanted]
            if state.search_lags:
                found = [c for c in found if c["id"] not in state.made_ids]
            return 200, {"total": len(found), "results": found[: body.get("limit") or 10]}
        if method == "POST" and path == "/crm/v3/objects/contacts":
            return _create_contact(state, body)
        if method == "POST" and path == "/crm/v3/objects/tickets":
            if state.failing_tickets:
                state.failing_tickets -= 1
                return 502, {"status": "error", "message": "Bad Gateway", "category": "ERROR"}
            properties = body.get("properties") or {}
            if not properties.get("subject") or not properties.get("hs_pipeline_stage"):
                return 400, {
                    "status": "error",
                    "message": "Property values were not valid",
                    "correlationId": "4b3a1c2d-0000-4000-8000-000000000002",
                    "category": "VALIDATION_ERROR",
                }
            ticket = _hubspot_object(str(9000 + len(state.tickets)), properties)
            state.tickets.append({**ticket, "associations": body.get("associations") or []})
            return 201, ticket
        if method == "GET" and path.startswith("/crm/v3/objects/contacts/"):
            contact_id = path.rsplit("/", 1)[1]
            for c in state.contacts:
                if c["id"] == contact_id:
                    # `properties=a,b` or `properties=a&properties=b`: both are HubSpot's
                    wanted = [p for v in query.get("properties") or [] for p in v.split(",")]
                    props = {k: v for k, v in c["properties"].items() if k in wanted}
                    return 200, {**c, "properties": props}
            return 404, {
                "status": "error",
                "message": "resource not found",
                "category": "OBJECT_NOT_FOUND",
            }
        if method == "POST" and path == "/crm/v3/objects/notes":
            properties = body.get("properties") or {}
            if not properties.get("hs_timestamp"):  # HubSpot requires it on a note
                return 400, {
                    "status": "error",
                    "message": "Property values were not valid: hs_timestamp is required",
                    "category": "VALIDATION_ERROR",
                }
            note = _hubspot_object(str(7000 + len(state.notes)), properties)
            state.notes.append({**note, "associations": body.get("associations") or []})
            if state.lost_note_answers:
                state.lost_note_answers -= 1
                return 502, {"status": "error", "message": "Bad Gateway", "category": "ERROR"}
            return 201, note
        if method == "POST" and path == "/crm/v3/objects/notes/search":
            # the notes associated with a ticket: HubSpot's associations.ticket pseudo-property
            wanted = {
                f["value"]
                for group in body.get("filterGroups") or []
                for f in group.get("filters") or []
                if f.get("propertyName") == "associations.ticket" and f.get("operator") == "EQ"
            }
            found = [
                {k: v for k, v in n.items() if k != "associations"}
                for n in state.notes
                if {a["to"]["id"] for a in n["associations"]} & wanted
            ]
            return 200, {"total": len(found), "results": found[: body.get("limit") or 10]}
        if method == "PATCH" and path.startswith("/crm/v3/objects/contacts/"):
            contact_id = path.rsplit("/", 1)[1]
            for c in state.contacts:
                if c["id"] == contact_id:
                    properties = body.get("properties") or {}
                    state.updates.append((contact_id, properties))
                    c["properties"].update(properties)
                    c["updatedAt"] = state.updated_at
                    return 200, c
            return 404, {"status": "error", "message": "not found", "category": "OBJECT_NOT_FOUND"}
        if method == "POST" and path == "/crm/v3/objects/contacts/gdpr-delete":
            # HubSpot: {"objectId", "idProperty"}; 204 (an unknown email is blocklisted)
            if body.get("idProperty") == "email":
                found = [c for c in state.contacts if c["properties"]["email"] == body["objectId"]]
            else:
                found = [c for c in state.contacts if c["id"] == body.get("objectId")]
            state.gdpr_deleted.append(str(body["objectId"]))
            state.contacts = [c for c in state.contacts if c not in found]
            return 204, None
        if method == "PATCH" and path.startswith("/crm/v3/objects/tickets/"):
            ticket_id = path.rsplit("/", 1)[1]
            for t in state.tickets:
                if t["id"] == ticket_id:
                    properties = body.get("properties") or {}
                    state.ticket_updates.append((ticket_id, properties))
                    t["properties"].update(properties)
                    return 200, {k: v for k, v in t.items() if k != "associations"}
            return 404, {"status": "error", "message": "not found", "category": "OBJECT_NOT_FOUND"}
        # Timeline events: the SDK's path, and the older one HubSpot still serves.
        if method == "POST" and path in (
            "/integrators/timeline/v3/events",
            "/crm/v3/timeline/events",
        ):
            return _timeline_event(state, body)
        if method == "GET" and path == "/crm/v3/objects/tickets":
            limit = int((query.get("limit") or ["10"])[0])
            page = [{k: v for k, v in t.items() if k != "associations"} for t in state.tickets]
            return 200, {"results": page[:limit]}
        return 404, {"status": "error", "message": "not found", "category": "OBJECT_NOT_FOUND"}

    return FakeServer(route), state


def _create_contact(state: HubSpotState, body: Any) -> tuple[int, Any]:
    """HubSpot's contact create: emails are unique in a portal, a second one answers 409 with
    the existing contact's id in the message."""
    properties = dict(body.get("properties") or {})
    state.created.append(properties)
    email = str(properties.get("email") or "").lower()
    for c in state.contacts:
        if email and c["properties"].get("email") == email:
            return 409, {
                "status": "error",
                "message": f"Contact already exists. Existing ID: {c['id']}",
                "correlationId": "4b3a1c2d-0000-4000-8000-000000000003",
                "category": "CONFLICT",
            }
    contact = _hubspot_object(str(100 + len(state.contacts)), properties)
    state.contacts.append(contact)
    state.made_ids.append(contact["id"])
    return 201, contact


def _timeline_event(state: HubSpotState, body: Any) -> tuple[int, Any]:
    """HubSpot's create-event: the template must exist and know every token; a contact event
    needs objectId (or email/utk); an id already used answers 409 (events are immutable)."""
    tokens = body.get("tokens")
    template = state.templates.get(str(body.get("eventTemplateId")))
    if template is None:
        return 404, {
            "status": "error",
            "message": "Event template not found",
            "category": "OBJECT_NOT_FOUND",
        }
    unknown = sorted(set(tokens or {}) - set(template)) if isinstance(tokens, dict) else ["tokens"]
    if unknown or not (body.get("objectId") or body.get("email") or body.get("utk")):
        return 400, {
            "status": "error",
            "message": f"Invalid event: unknown tokens {unknown} or no object",
            "category": "VALIDATION_ERROR",
        }
    event_id = str(body.get("id") or f"evt-{len(state.timeline)}")
    if any(e["id"] == event_id for e in state.timeline):
        return 409, {"status": "error", "message": "Event already exists", "category": "CONFLICT"}
    state.timeline.append({**body, "id": event_id})
    return 201, {
        **body,
        "id": event_id,
        "objectType": "contacts",
        "createdAt": "2026-12-08T10:30:00.000Z",
    }


# ---- Salesforce REST API -------------------------------------------------------------------------

SALESFORCE_TOKEN = "00D5g000000TEST!AQ4AQFakeSessionIdForTests"
SF = "/services/data/v59.0"


@dataclass
class SalesforceState:
    contacts: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (Id, fields)
    queries: list[str] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)  # CaseComment records
    tasks: list[dict[str, Any]] = field(default_factory=list)  # Task records
    case_updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (Id, fields)
    case_fields: tuple[str, ...] = ("CSAT__c", "NPS__c")  # the org's custom Case fields
    modstamp: str = "2026-12-08T10:30:00.000+0000"  # what an update stamps on the Contact
    created: list[dict[str, Any]] = field(default_factory=list)  # Contact creates, as sent
    lost_comment_answers: int = 0  # the next comments are made, but their answer is lost


# The SOQL the connector's polling sends (SystemModstamp cursor with an Id tie-break).
POLL_SOQL = re.compile(
    r"^SELECT Id, Email, FirstName, LastName, (?P<fields>(?:\w+, )*)SystemModstamp FROM Contact "
    r"WHERE \(SystemModstamp > (?P<stamp>[\dT:Z-]+) OR \(SystemModstamp = (?P=stamp) AND Id > "
    r"'(?P<last>\w*)'\)\) AND SystemModstamp <= (?P<until>[\dT:Z-]+) "
    r"ORDER BY SystemModstamp, Id LIMIT (?P<limit>\d+)$"
)


def _sf_stamp(value: str) -> str:
    """``2026-12-08T10:30:00.000+0000`` -> ``2026-12-08T10:30:00Z`` (comparable as text)."""
    return value[:19] + "Z"


def fake_salesforce(tls: ssl.SSLContext) -> tuple[FakeServer, SalesforceState]:
    state = SalesforceState(
        contacts=[
            {
                "attributes": {
                    "type": "Contact",
                    "url": f"{SF}/sobjects/Contact/0035g00000AbCdEAAZ",
                },
                "Id": "0035g00000AbCdEAAZ",
                "AccountId": "0015g00000XyZ12AAB",
                "Name": "Alex Force",
                "Email": "alex@example.com",
                "Phone": None,
            }
        ]
    )
    email_in = re.compile(r"WHERE Email = '((?:[^'\\]|\\.)*)'")

    def route(
        method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        if headers.get("authorization") != f"Bearer {SALESFORCE_TOKEN}":
            return 401, [
                {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
            ]
        if method == "GET" and path == f"{SF}/query/":
            soql = (query.get("q") or [""])[0]
            state.queries.append(soql)
            if soql.startswith("SELECT Id, SystemModstamp FROM Contact WHERE Email = "):
                match = email_in.search(soql)
                email = match.group(1).replace("\\'", "'") if match else None
                found = [
                    {
                        "attributes": c["attributes"],
                        "Id": c["Id"],
                        "SystemModstamp": c.get("SystemModstamp", state.modstamp),
                    }
                    for c in state.contacts
                    if c["Email"] == email
                ]
                return 200, {"totalSize": len(found), "done": True, "records": found}
            if (poll := POLL_SOQL.match(soql)) is not None:
                stamp, last, until = poll["stamp"], poll["last"], poll["until"]
                wanted = [f for f in poll["fields"].split(", ") if f]
                rows = sorted(
                    (c for c in state.contacts if "SystemModstamp" in c),
                    key=lambda c: (_sf_stamp(c["SystemModstamp"]), c["Id"]),
                )
                hits = [
                    c
                    for c in rows
                    if (_sf_stamp(c["SystemModstamp"]), c["Id"]) > (stamp, last)
                    and _sf_stamp(c["SystemModstamp"]) <= until
                ][: int(poll["limit"])]
                records = [
                    {
                        k: c.get(k)
                        for k in [
                            "attributes",
                            "Id",
                            "Email",
                            "FirstName",
                            "LastName",
                            *wanted,
                            "SystemModstamp",
                        ]
                    }
                    for c in hits
                ]
                return 200, {"totalSize": len(records), "done": True, "records": records}
            if soql.startswith("SELECT Id, AccountId, Name, Email, Phone FROM Contact"):
                match = email_in.search(soql)
                email = match.group(1).replace("\\'", "'") if match else None
                found = [c for c in state.contacts if c["Email"] == email]
                return 200, {"totalSize": len(found), "done": True, "records": found[:1]}
            if soql.startswith("SELECT Id, CommentBody FROM CaseComment WHERE ParentId = "):
                parent = soql.rsplit("=", 1)[1].strip().strip("'")
                found = [
                    {
                        "attributes": {"type": "CaseComment"},
                        "Id": c["Id"],
                        "CommentBody": c["CommentBody"],
                    }
                    for c in state.comments
                    if c["ParentId"] == parent
                ]
                return 200, {"totalSize": len(found), "done": True, "records": found}
            if soql == "SELECT Id FROM Case LIMIT 1":
                found = [{"attributes": {"type": "Case"}, "Id": c["Id"]} for c in state.cases]
                return 200, {"totalSize": len(found[:1]), "done": True, "records": found[:1]}
            return 400, [{"message": "unexpected query", "errorCode": "MALFORMED_QUERY"}]
        if method == "POST" and path == f"{SF}/sobjects/Case/":
            if not body.get("Subject") or not body.get("Status"):
                return 400, [
                    {
                        "message": "Required fields are missing",
                        "errorCode": "REQUIRED_FIELD_MISSING",
                    }
                ]
            case_id = f"5005g00000Case{len(state.cases):03d}A"
            state.cases.append({"Id": case_id, **body})
            return 201, {"id": case_id, "success": True, "errors": []}
        if method == "POST" and path == f"{SF}/sobjects/Contact/":
            state.created.append(dict(body))
            if not body.get("LastName"):
                return 400, [
                    {
                        "message": "Required fields are missing: [LastName]",
                        "errorCode": "REQUIRED_FIELD_MISSING",
                        "fields": ["LastName"],
                    }
                ]
            contact_id = f"0035g00000Nw{len(state.contacts):04d}AA"
            state.contacts.append(
                {
                    "attributes": {"type": "Contact", "url": f"{SF}/sobjects/Contact/{contact_id}"},
                    "Id": contact_id,
                    "AccountId": None,
                    "Name": f"{body.get('FirstName') or ''} {body['LastName']}".strip(),
                    **body,
                }
            )
            return 201, {"id": contact_id, "success": True, "errors": []}
        if method == "POST" and path == f"{SF}/sobjects/Task/":
            if not body.get("Subject") or (
                body.get("WhoId") and not any(c["Id"] == body["WhoId"] for c in state.contacts)
            ):
                return 400, [{"message": "bad Task", "errorCode": "INVALID_CROSS_REFERENCE_KEY"}]
            task_id = f"00T5g00000Task{len(state.tasks):03d}A"
            state.tasks.append({"Id": task_id, **body})
            return 201, {"id": task_id, "success": True, "errors": []}
        if method == "POST" and path == f"{SF}/sobjects/CaseComment/":
            if not any(c["Id"] == body.get("ParentId") for c in state.cases):
                return 400, [
                    {
                        "message": "invalid cross reference id",
                        "errorCode": "INVALID_CROSS_REFERENCE_KEY",
                    }
                ]
            comment_id = f"00a5g00000Cmnt{len(state.comments):03d}A"
            state.comments.append({"Id": comment_id, **body})
            if state.lost_comment_answers:
                state.lost_comment_answers -= 1
                return 503, [{"message": "Service unavailable", "errorCode": "SERVER_UNAVAILABLE"}]
            return 201, {"id": comment_id, "success": True, "errors": []}
        if method == "PATCH" and path.startswith(f"{SF}/sobjects/Case/"):
            case_id = path.rsplit("/", 1)[1]
            for c in state.cases:
                if c["Id"] == case_id:
                    unknown = [f for f in body if f.endswith("__c") and f not in state.case_fields]
                    if unknown:
                        return 400, [
                            {
                                "message": f"No such column '{unknown[0]}' on sobject of type Case",
                                "errorCode": "INVALID_FIELD",
                            }
                        ]
                    state.case_updates.append((case_id, dict(body)))
                    c.update(body)
                    return 204, None
        if method == "PATCH" and path.startswith(f"{SF}/sobjects/Contact/"):
            contact_id = path.rsplit("/", 1)[1]
            for c in state.contacts:
                if c["Id"] == contact_id:
                    state.updates.append((contact_id, dict(body)))
                    c.update(body)
                    c["SystemModstamp"] = state.modstamp
                    return 204, None
        return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]

    return FakeServer(route, tls=tls), state
