"""Every route × every kind of caller: who gets through, who is refused, and how.

The table below has one entry per route of the app. A route added without an entry (or an
entry left for a removed route) fails ``test_every_route_has_an_entry``, so nobody forgets to
decide who may call it. Each entry says, for each caller, what must happen:

- ``OK``: the caller gets through (any answer but 401, 403, 404 or 5xx; a 409 from the state of
  the object still means the permission and object checks passed);
- ``PUBLIC``: anyone may call it (any answer but 401, 403 or 5xx);
- ``401``, ``403``, ``404``: exactly that (404 is how an object outside your scope looks).

The callers: nobody (``anon``), the conversation's customer (``customer``), another customer
(``other_customer``), an agent of the conversation's team (``agent``: Alice, team blue), an
agent of another team (``agent_other_team``: Bob, team red), an agent of another workspace
(``agent_other_ws``), a supervisor, an admin and an auditor. The conversation used is of the
blue team's inbox and assigned to Alice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from hybridcx.app import create_app
from hybridcx.config import Settings
from tests.security.world import World, build_world
from tests.support import Api, LiveServer, recv

CALLERS = (
    "anon",
    "customer",
    "other_customer",
    "agent_other_ws",
    "agent_other_team",
    "auditor",
    "agent",
    "supervisor",
    "admin",
)
STAFF = ("agent", "agent_other_team", "agent_other_ws", "supervisor", "admin", "auditor")
OK, PUBLIC = "ok", "public"

HANDLERS = {"agent", "supervisor", "admin"}
SUPERVISORS = {"supervisor", "admin"}
ANALYSTS = {"supervisor", "admin", "auditor"}
ALL_STAFF = HANDLERS | {"auditor"}
AUDITORS = {"admin", "auditor"}
ADMINS = {"admin"}


def staff_only(allowed: set[str], scope: str = "none") -> dict[str, Any]:
    """Staff with one of ``allowed`` roles get through; customers and nobody get 401.

    ``scope``: "team" (the object is the blue team's: other teams and workspaces see 404),
    "workspace" (other workspaces see 404) or "none" (lists: scoped, but never refused)."""
    exp: dict[str, Any] = {"anon": 401, "customer": 401, "other_customer": 401}
    for who in ("supervisor", "admin", "auditor"):
        exp[who] = OK if who in allowed else 403
    agents_ok = "agent" in allowed
    exp["agent"] = OK if agents_ok else 403
    exp["agent_other_team"] = (404 if scope == "team" else OK) if agents_ok else 403
    exp["agent_other_ws"] = (404 if scope in ("team", "workspace") else OK) if agents_ok else 403
    return exp


PUBLIC_ALL = dict.fromkeys(CALLERS, PUBLIC)
CUSTOMER_ONLY = {"anon": 401, "customer": OK, "other_customer": 403, **dict.fromkeys(STAFF, 403)}
SELF_SERVICE = dict.fromkeys(CALLERS, 401)  # a self-service token (one-time code) only
CUSTOMER_OR_STAFF = {
    **staff_only(HANDLERS, "team"),
    "auditor": 403,
    "customer": OK,
    "other_customer": 403,
}


@dataclass
class Case:
    expect: dict[str, Any]
    path: Callable[[World, dict[str, Any]], str] = lambda w, c: ""
    body: Callable[[World, dict[str, Any]], Any] = lambda w, c: None
    setup: Callable[[World], dict[str, Any]] = lambda w: {}
    fresh: bool = False  # set up again for each caller (the call consumes the object)
    websocket: bool = False
    params: dict[str, Any] = field(default_factory=dict)


def conv(accept: bool = True) -> Callable[[World], dict[str, Any]]:
    def setup(world: World) -> dict[str, Any]:
        return world.conversation(accept=accept)

    return setup


def article(world: World) -> dict[str, Any]:
    r = world.as_(
        "admin",
        "POST",
        "/api/v1/articles",
        json={"title": f"Matrix {uuid.uuid4().hex}", "body": "Text."},
    )
    assert r.status_code == 201, r.text
    return r.json()


def webhook(world: World) -> dict[str, Any]:
    r = world.as_(
        "admin",
        "POST",
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["conversation.created"]},
    )
    assert r.status_code == 201, r.text
    return r.json()


def c_path(suffix: str = "") -> Callable[[World, dict[str, Any]], str]:
    return lambda w, c: f"/api/v1/conversations/{c['id']}{suffix}"


MATRIX: dict[tuple[str, str], Case] = {
    # ---- the app's own ----
    ("GET", "/openapi.json"): Case(PUBLIC_ALL),
    ("GET", "/docs"): Case(PUBLIC_ALL),
    ("GET", "/docs/oauth2-redirect"): Case(PUBLIC_ALL),
    ("GET", "/redoc"): Case(PUBLIC_ALL),
    ("GET", "/healthz"): Case(PUBLIC_ALL),
    # ---- web pages and assets (they hold no data; the API behind them checks) ----
    ("GET", "/"): Case(PUBLIC_ALL),
    ("GET", "/chat"): Case(PUBLIC_ALL),
    ("GET", "/help"): Case(PUBLIC_ALL),
    ("GET", "/help/articles/{slug}"): Case(PUBLIC_ALL, path=lambda w, c: "/help/articles/x"),
    ("GET", "/desk"): Case(PUBLIC_ALL),
    ("GET", "/supervisor"): Case(PUBLIC_ALL),
    ("GET", "/widget.js"): Case(PUBLIC_ALL),
    ("GET", "/web/static/{name:path}"): Case(PUBLIC_ALL, path=lambda w, c: "/web/static/app.css"),
    # ---- sign-in and customers' conversations ----
    ("POST", "/api/v1/auth/token"): Case(
        PUBLIC_ALL, body=lambda w, c: {"email": "agent@example.com", "password": "demo-agent"}
    ),
    ("POST", "/api/v1/conversations"): Case(
        PUBLIC_ALL,
        body=lambda w, c: {"channel": "webchat", "customer": {"email": "m@example.com"}},
    ),
    ("GET", "/api/v1/conversations"): Case(staff_only(HANDLERS)),
    ("GET", "/api/v1/conversations/{conversation_id}"): Case(
        CUSTOMER_OR_STAFF, setup=conv(), path=c_path()
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): Case(
        CUSTOMER_ONLY, setup=conv(), path=c_path("/messages"), body=lambda w, c: {"text": "hi"}
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/accept"): Case(
        staff_only(HANDLERS, "team"), setup=conv(accept=False), path=c_path("/accept")
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/takeover"): Case(
        staff_only(SUPERVISORS, "team"), setup=conv(), path=c_path("/takeover")
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/replies"): Case(
        staff_only(HANDLERS, "team"),
        setup=conv(),
        path=c_path("/replies"),
        body=lambda w, c: {"text": "Hello"},
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/transfer"): Case(
        staff_only(HANDLERS, "team"), setup=conv(), path=c_path("/transfer"), body=lambda w, c: {}
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/resolve"): Case(
        staff_only(HANDLERS, "team"), setup=conv(), path=c_path("/resolve")
    ),
    ("GET", "/api/v1/conversations/{conversation_id}/assist"): Case(
        staff_only(HANDLERS, "team"), setup=conv(), path=c_path("/assist")
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/assist/actions"): Case(
        staff_only(HANDLERS, "team"),
        setup=conv(),
        path=c_path("/assist/actions"),
        body=lambda w, c: {"action": "send_password_reset"},
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/survey"): Case(
        CUSTOMER_ONLY, setup=conv(), path=c_path("/survey"), body=lambda w, c: {"rating": 5}
    ),
    ("GET", "/api/v1/conversations/{conversation_id}/wait"): Case(
        CUSTOMER_ONLY, setup=conv(), path=c_path("/wait")
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/ask"): Case(
        staff_only(HANDLERS, "team"),
        setup=conv(),
        path=c_path("/ask"),
        body=lambda w, c: {"to_agent_id": w.ids["supervisor"], "text": "Help?"},
    ),
    ("GET", "/api/v1/questions"): Case(staff_only(HANDLERS)),
    ("GET", "/api/v1/queue"): Case(staff_only(HANDLERS)),
    # ---- staff ----
    ("GET", "/api/v1/agents/me"): Case(staff_only(ALL_STAFF)),
    ("PUT", "/api/v1/agents/me/status"): Case(
        staff_only(HANDLERS), body=lambda w, c: {"status": "away"}
    ),
    ("GET", "/api/v1/agents"): Case(staff_only(ALL_STAFF)),
    ("PUT", "/api/v1/agents/{agent_id}/access"): Case(
        staff_only(ADMINS),
        path=lambda w, c: f"/api/v1/agents/{w.ids['agent']}/access",
        body=lambda w, c: {"teams": ["blue"]},
    ),
    # ---- customers ----
    ("POST", "/api/v1/customers"): Case(
        staff_only(ADMINS), body=lambda w, c: {"email": "new.customer@example.com"}
    ),
    ("GET", "/api/v1/customers/{customer_id}/overview"): Case(
        staff_only(HANDLERS, "team"),
        setup=conv(),
        path=lambda w, c: f"/api/v1/customers/{c['customer_id']}/overview",
    ),
    ("GET", "/api/v1/demo/outbox"): Case(staff_only(SUPERVISORS)),
    # ---- knowledge ----
    ("GET", "/api/v1/articles"): Case(staff_only(ALL_STAFF)),
    ("GET", "/api/v1/articles/{article_id}"): Case(
        {**staff_only(ALL_STAFF, "workspace")},
        setup=article,
        path=lambda w, c: f"/api/v1/articles/{c['id']}",
    ),
    ("POST", "/api/v1/articles"): Case(
        staff_only(SUPERVISORS),
        body=lambda w, c: {"title": f"New {uuid.uuid4().hex}", "body": "Text."},
        fresh=True,
    ),
    ("PUT", "/api/v1/articles/{article_id}"): Case(
        staff_only(SUPERVISORS),
        setup=article,
        path=lambda w, c: f"/api/v1/articles/{c['id']}",
        body=lambda w, c: {"title": c["title"], "body": "Changed."},
    ),
    ("DELETE", "/api/v1/articles/{article_id}"): Case(
        staff_only(SUPERVISORS),
        setup=article,
        fresh=True,
        path=lambda w, c: f"/api/v1/articles/{c['id']}",
    ),
    # ---- public help centre and self-service ----
    ("GET", "/api/v1/help/articles"): Case(PUBLIC_ALL),
    ("GET", "/api/v1/help/articles/{slug}"): Case(
        PUBLIC_ALL, path=lambda w, c: "/api/v1/help/articles/opening-hours"
    ),
    ("GET", "/api/v1/help/appointments/slots"): Case(PUBLIC_ALL),
    ("POST", "/api/v1/help/appointments"): Case(
        PUBLIC_ALL, body=lambda w, c: {"slot_id": "nope", "email": "m@example.com"}
    ),
    ("POST", "/api/v1/help/verification"): Case(
        PUBLIC_ALL, body=lambda w, c: {"email": "m@example.com"}
    ),
    ("POST", "/api/v1/help/verification/check"): Case(
        PUBLIC_ALL, body=lambda w, c: {"email": "m@example.com", "code": "000000"}
    ),
    ("GET", "/api/v1/help/appointments/mine"): Case(SELF_SERVICE),
    ("POST", "/api/v1/help/appointments/mine/{slot_id}/cancel"): Case(
        SELF_SERVICE, path=lambda w, c: "/api/v1/help/appointments/mine/x/cancel"
    ),
    ("POST", "/api/v1/help/appointments/mine/{slot_id}/move"): Case(
        SELF_SERVICE,
        path=lambda w, c: "/api/v1/help/appointments/mine/x/move",
        body=lambda w, c: {"slot_id": "y"},
    ),
    ("GET", "/api/v1/help/contact"): Case(SELF_SERVICE),
    ("PUT", "/api/v1/help/contact"): Case(SELF_SERVICE, body=lambda w, c: {"name": "X"}),
    ("POST", "/api/v1/help/suggestions"): Case(
        PUBLIC_ALL, body=lambda w, c: {"email": "m@example.com"}
    ),
    # ---- numbers: aggregates for supervisors, admins and auditors ----
    ("GET", "/api/v1/dashboard"): Case(staff_only(ANALYSTS)),
    ("GET", "/api/v1/analytics/kpis"): Case(staff_only(ANALYSTS)),
    ("GET", "/api/v1/quality/agents"): Case(staff_only(ANALYSTS)),
    ("GET", "/api/v1/quality/conversations/{conversation_id}"): Case(
        staff_only(SUPERVISORS, "team"),
        setup=conv(),
        path=lambda w, c: f"/api/v1/quality/conversations/{c['id']}",
    ),
    # ---- audit, access and webhooks ----
    ("GET", "/api/v1/audit"): Case(staff_only(AUDITORS)),
    ("POST", "/api/v1/webhooks"): Case(
        staff_only(ADMINS),
        body=lambda w, c: {"url": "http://127.0.0.1:9/h", "event_types": ["message.created"]},
    ),
    ("GET", "/api/v1/webhooks"): Case(staff_only(ADMINS)),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): Case(
        staff_only(ADMINS),
        setup=webhook,
        path=lambda w, c: f"/api/v1/webhooks/{c['id']}/deliveries",
    ),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): Case(
        staff_only(ADMINS),
        setup=webhook,
        fresh=True,
        path=lambda w, c: f"/api/v1/webhooks/{c['id']}",
    ),
    # ---- WebSockets: the token travels in the query string ----
    ("WS", "/ws/conversations/{conversation_id}"): Case(
        {**dict.fromkeys(CALLERS, 403), "customer": OK}, setup=conv(), websocket=True
    ),
    ("WS", "/ws/agent"): Case(
        {
            **dict.fromkeys(CALLERS, 403),
            **dict.fromkeys(("agent", "agent_other_team", "agent_other_ws"), OK),
            "supervisor": OK,
            "admin": OK,
        },
        websocket=True,
    ),
}


def app_routes() -> set[tuple[str, str]]:
    """Every (method, path) the app serves, walking included routers."""
    app = create_app(Settings(_env_file=None))

    def walk(routes: list[Any]) -> Iterator[Any]:
        for route in routes:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)
            else:
                yield route

    found = set()
    for route in walk(list(app.routes)):
        methods = getattr(route, "methods", None)
        if methods is None:
            found.add(("WS", route.path))
        else:
            found.update((m, route.path) for m in methods if m != "HEAD")
    return found


def test_every_route_has_an_entry() -> None:
    routes = app_routes()
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, f"routes without an access entry in MATRIX: {missing}"
    assert not stale, f"MATRIX entries for routes that no longer exist: {stale}"
    for key, case in MATRIX.items():
        assert set(case.expect) == set(CALLERS), f"{key}: expectations for every caller"


def test_openapi_lists_the_same_routes() -> None:
    schema = create_app(Settings(_env_file=None)).openapi()
    documented = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    assert documented <= set(MATRIX)


@pytest.fixture(scope="module")
def world(server: LiveServer) -> Iterator[World]:
    api = Api(server.url, server.ws_url)
    yield build_world(server, api)
    api.close()


def _ws_outcome(world: World, path: str, token: str | None) -> str | int:
    url = world.api.ws_base + path + (f"?token={token}" if token else "")
    try:
        with connect(url, open_timeout=10) as ws:
            assert recv(ws)["type"] == "ready"
            return OK
    except InvalidStatus as exc:
        return exc.response.status_code


def _check(key: tuple[str, str], who: str, expected: Any, status: Any, text: str) -> None:
    where = f"{key[0]} {key[1]} as {who}: got {status} ({text[:200]})"
    if expected == OK:
        assert status not in (401, 403, 404) and status < 500, where
    elif expected == PUBLIC:
        assert status not in (401, 403) and status < 500, where
    else:
        assert status == expected, f"expected {expected}; " + where


@pytest.mark.parametrize("key", sorted(MATRIX), ids=lambda k: f"{k[0]} {k[1]}")
def test_access(world: World, key: tuple[str, str]) -> None:
    case = MATRIX[key]
    method, template = key
    ctx = case.setup(world) if not case.fresh else {}
    for who in CALLERS:
        if case.fresh:
            ctx = case.setup(world)
        path = case.path(world, ctx) or template
        if case.websocket:
            path = path.replace("{conversation_id}", ctx.get("id", ""))
            token = ctx.get("customer_token") if who == "customer" else world.tokens.get(who)
            outcome = _ws_outcome(world, path, token)
            _check(key, who, case.expect[who], 200 if outcome == OK else outcome, "")
            continue
        headers = world.headers(who)
        if who == "customer" and "customer_token" in ctx:
            headers = {"Authorization": f"Bearer {ctx['customer_token']}"}
        r = world.api.http.request(method, path, headers=headers, json=case.body(world, ctx))
        _check(key, who, case.expect[who], r.status_code, r.text)
