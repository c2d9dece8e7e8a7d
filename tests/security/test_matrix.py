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

import itertools
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select, update
from twilio.request_validator import RequestValidator
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from hybridcx.app import create_app
from hybridcx.config import Settings
from hybridcx.conversations import repository as conv_repo
from hybridcx.demo.seed import DEMO_WORKSPACE_SLUG
from hybridcx.kit.bus import staff_channel
from hybridcx.kit.db import transaction
from hybridcx.kit.events import Published
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.models import (
    Approval,
    Conversation,
    EmailDraft,
    IntentCluster,
    TrainingExample,
    Workspace,
)
from hybridcx.workspaces.setup import add_staff
from tests.security.world import World, build_world
from tests.support import Api, LiveServer, read_events_until, recv

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
        json={"title": f"Matrix {new_id()}", "body": "Text."},  # unique slug
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


def throwaway_staff(world: World) -> dict[str, Any]:
    """A staff member of the conversation's workspace, for calls that change one for good."""
    assert world.server is not None
    server = world.server

    async def add() -> str:
        async with transaction(server.runtime.sessions) as session:
            return await add_staff(
                session,
                workspace_slug=DEMO_WORKSPACE_SLUG,
                email=f"throwaway-{new_id()[:8]}@example.com",
                name="Throwaway",
                role="agent",
                password="throwaway-pass-1",
                skills=[],
                capacity=1,
            )

    return {"id": server.call(add())}


def c_path(suffix: str = "") -> Callable[[World, dict[str, Any]], str]:
    return lambda w, c: f"/api/v1/conversations/{c['id']}{suffix}"


MATRIX: dict[tuple[str, str], Case] = {
    # ---- the app's own ----
    ("GET", "/openapi.json"): Case(PUBLIC_ALL),
    ("GET", "/docs"): Case(PUBLIC_ALL),
    ("GET", "/docs/oauth2-redirect"): Case(PUBLIC_ALL),
    ("GET", "/redoc"): Case(PUBLIC_ALL),
    ("GET", "/healthz"): Case(PUBLIC_ALL),
    ("GET", "/readyz"): Case(PUBLIC_ALL),
    # Prometheus' bearer token (HYBRIDCX_METRICS_TOKEN) is nobody's sign-in: every caller 401.
    ("GET", "/metrics"): Case(dict.fromkeys(CALLERS, 401)),
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
    # where an accepted call rings you: those who take conversations
    ("PUT", "/api/v1/agents/me/phone"): Case(
        staff_only(HANDLERS), body=lambda w, c: {"phone": None}
    ),
    ("PUT", "/api/v1/agents/{agent_id}/access"): Case(
        staff_only(ADMINS),
        path=lambda w, c: f"/api/v1/agents/{w.ids['agent']}/access",
        body=lambda w, c: {"teams": ["blue"]},
    ),
    # ---- staff administration: admins only; a fresh account where the call
    # changes it for good (deactivate, password); 409 (already active, no factor) is a pass ----
    ("PATCH", "/api/v1/agents/{agent_id}"): Case(
        staff_only(ADMINS),
        path=lambda w, c: f"/api/v1/agents/{w.ids['agent']}",
        body=lambda w, c: {"capacity": 3},
    ),
    ("POST", "/api/v1/agents/{agent_id}/deactivate"): Case(
        staff_only(ADMINS),
        setup=lambda w: throwaway_staff(w),
        fresh=True,
        path=lambda w, c: f"/api/v1/agents/{c['id']}/deactivate",
    ),
    ("POST", "/api/v1/agents/{agent_id}/reactivate"): Case(
        staff_only(ADMINS), path=lambda w, c: f"/api/v1/agents/{w.ids['agent']}/reactivate"
    ),
    ("POST", "/api/v1/agents/{agent_id}/password"): Case(
        staff_only(ADMINS),
        setup=lambda w: throwaway_staff(w),
        fresh=True,
        path=lambda w, c: f"/api/v1/agents/{c['id']}/password",
        body=lambda w, c: {},
    ),
    ("DELETE", "/api/v1/agents/{agent_id}/mfa"): Case(
        staff_only(ADMINS), path=lambda w, c: f"/api/v1/agents/{w.ids['agent']}/mfa"
    ),
    # ---- second factor: your own, with a staff token (a code too long is 422 past the token
    # check); finishing a sign-in takes its mfa_token, whoever calls ----
    ("GET", "/api/v1/auth/mfa"): Case(staff_only(ALL_STAFF)),
    ("POST", "/api/v1/auth/mfa/enroll"): Case(staff_only(ALL_STAFF), body=lambda w, c: {}),
    ("POST", "/api/v1/auth/mfa/confirm"): Case(
        staff_only(ALL_STAFF), body=lambda w, c: {"code": "9" * 41}
    ),
    ("DELETE", "/api/v1/auth/mfa"): Case(
        staff_only(ALL_STAFF), body=lambda w, c: {"code": "9" * 41}
    ),
    ("POST", "/api/v1/auth/mfa/verify"): Case(
        dict.fromkeys(CALLERS, 401), body=lambda w, c: {"mfa_token": "nope", "code": "123456"}
    ),
    ("PUT", "/api/v1/auth/mfa/policy"): Case(
        staff_only(ADMINS), body=lambda w, c: {"required": False}
    ),
    # ---- single sign-on: the world's workspace has no identity provider, so the
    # round trip is 404 for everyone and the admin's read and delete are 404 too ----
    ("GET", "/api/v1/auth/oidc/status"): Case(PUBLIC_ALL),
    ("GET", "/api/v1/auth/oidc/start"): Case(dict.fromkeys(CALLERS, 404)),
    ("GET", "/api/v1/auth/oidc/callback"): Case(PUBLIC_ALL),  # 400 without a known state
    # the one-time code that replaces the token in the URL: 400 for an unknown code
    ("POST", "/api/v1/auth/oidc/exchange"): Case(PUBLIC_ALL, body=lambda w, c: {"code": "nope"}),
    ("GET", "/api/v1/sso"): Case({**staff_only(ADMINS), "admin": 404}),
    ("PUT", "/api/v1/sso"): Case(
        staff_only(ADMINS),
        body=lambda w, c: {"issuer": "http://idp.example.com", "client_id": "x"},
    ),
    ("DELETE", "/api/v1/sso"): Case({**staff_only(ADMINS), "admin": 404}),
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
    ("GET", "/api/v1/routing/status"): Case(staff_only(ANALYSTS)),
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


# ---- routes of the merged features (channels, privacy, safety, improvement, experiments) ----
# Kept in their own table, merged into MATRIX below, so that the table above can change
# independently. The objects these routes act on (drafts, approvals, training examples...) are
# put in the database directly where no public route creates them.

_merged_seq = itertools.count(1)


def _db(world: World, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run ``work(session)`` in one transaction on the live server's loop."""
    server = world.server
    assert server is not None

    async def run() -> Any:
        async with transaction(server.runtime.sessions) as session:
            return await work(session)

    return server.call(run())


def _demo_workspace_id(world: World) -> str:
    async def work(session: Any) -> str:
        stmt = select(Workspace.id).where(Workspace.slug == DEMO_WORKSPACE_SLUG)
        return str((await session.execute(stmt)).scalar_one())

    return str(_db(world, work))


def _with_row(make: Callable[[Conversation], Any]) -> Callable[[World], dict[str, Any]]:
    """A blue-team conversation assigned to Alice, and a row about it (``row_id``)."""

    def setup(world: World) -> dict[str, Any]:
        ctx = world.conversation()

        async def work(session: Any) -> str:
            conv = await session.get(Conversation, ctx["id"])
            row = make(conv)
            session.add(row)
            await session.flush()
            return str(row.id)

        ctx["row_id"] = _db(world, work)
        return ctx

    return setup


def _draft(conv: Conversation) -> EmailDraft:
    text = "Hi, thanks for your email: here is what happens next."
    return EmailDraft(
        workspace_id=conv.workspace_id,
        conversation_id=conv.id,
        status="pending",
        text=text,
        original_text=text,
    )


def _approval(conv: Conversation) -> Approval:
    # An action no backend runs: approving it is recorded as "failed", and nothing changes.
    return Approval(
        id=new_id(),
        workspace_id=conv.workspace_id,
        conversation_id=conv.id,
        customer_id=conv.customer_id,
        action="matrix_noop",
        params={},
        amount=60.0,
        summary="Matrix check",
        status="pending",
        result={},
        created_at=utcnow(),
    )


def _attachment(world: World) -> dict[str, Any]:
    """A customer's email message on a blue conversation, with one stored attachment."""
    ctx = world.conversation()
    assert world.server is not None and world.server.settings is not None
    name = f"matrix-{new_id()}.txt"
    folder = world.server.settings.data_dir / "email" / "attachments"
    # Sealed as the email channel stores it: a clear file here counted as an unsealed file
    # in `hybridcx keys status` for the tests that ran after this one on the same server.
    from hybridcx.kit.keys import keyring_from_settings
    from hybridcx.privacy.files import write_sealed

    ring = keyring_from_settings(world.server.settings)
    write_sealed(ring, folder, folder / name, b"attached")
    meta = {
        "email": {
            "attachments": [
                {
                    "id": "att-1",
                    "status": "stored",
                    "path": f"email/attachments/{name}",
                    "filename": "note.txt",
                }
            ]
        }
    }

    async def work(session: Any) -> str:
        conv = await session.get(Conversation, ctx["id"])
        msg = conv_repo.add_message(
            session, conv, author="customer", text="See attached.", channel_meta=meta
        )
        await session.flush()
        return str(msg.id)

    ctx["message_id"] = _db(world, work)
    return ctx


def _example(world: World) -> dict[str, Any]:
    ws = _demo_workspace_id(world)

    async def work(session: Any) -> str:
        row = TrainingExample(
            id=new_id(),
            workspace_id=ws,
            text=f"Matrix example {next(_merged_seq)}",
            intent="order_status",
            status="candidate",
            created_at=utcnow(),
        )
        session.add(row)
        await session.flush()
        return row.id

    return {"row_id": _db(world, work)}


def _cluster(world: World) -> dict[str, Any]:
    ws = _demo_workspace_id(world)

    async def work(session: Any) -> str:
        row = IntentCluster(
            id=new_id(),
            workspace_id=ws,
            status="suggested",
            suggestion="new_intent",
            label=f"matrix_intent_{next(_merged_seq)}",
            examples=[],
            created_at=utcnow(),
        )
        session.add(row)
        await session.flush()
        return row.id

    return {"row_id": _db(world, work)}


def _nothing_accepted(world: World) -> dict[str, Any]:
    """Retraining is refused (409) without accepted examples: the matrix never trains a model."""
    ws = _demo_workspace_id(world)

    async def work(session: Any) -> None:
        await session.execute(
            update(TrainingExample)
            .where(TrainingExample.workspace_id == ws, TrainingExample.status == "accepted")
            .values(status="rejected")
        )

    _db(world, work)
    return {}


def _rollback_target(world: World) -> dict[str, Any]:
    """The active model itself: a rollback to it is a 409, so the serving model never moves."""
    r = world.as_("admin", "GET", "/api/v1/improvement/models")
    assert r.status_code == 200, r.text
    return {"version": r.json()["active"]}


def _intent(world: World) -> dict[str, Any]:
    ctx = world.conversation()
    r = world.as_("admin", "GET", "/api/v1/improvement/intents")
    assert r.status_code == 200, r.text
    ctx["intent"] = r.json()["items"][0]
    return ctx


def _experiment(kind: str = "ab") -> Callable[[World], dict[str, Any]]:
    def setup(world: World) -> dict[str, Any]:
        r = world.as_("admin", "POST", "/api/v1/experiments", json=_experiment_body(kind))
        assert r.status_code == 201, r.text
        return r.json()

    return setup


def _experiment_body(kind: str = "ab") -> dict[str, Any]:
    name = f"matrix-{kind}-{next(_merged_seq)}"
    if kind == "rollout":  # the default threshold, rolled out: no behaviour changes
        return {"name": name, "kind": "rollout", "treatment": {"confidence_threshold": 0.55}}
    arms = [{"name": "control", "share": 0.5}, {"name": "treatment", "share": 0.5}]
    return {"name": name, "kind": "ab", "arms": arms}


def _erasure(world: World) -> dict[str, Any]:
    ctx = world.conversation()
    r = world.as_("admin", "DELETE", f"/api/v1/customers/{ctx['customer_id']}")
    assert r.status_code == 202, r.text
    return r.json()


def cust_path(suffix: str = "") -> Callable[[World, dict[str, Any]], str]:
    return lambda w, c: f"/api/v1/customers/{c['customer_id']}{suffix}"


def draft_path(suffix: str = "") -> Callable[[World, dict[str, Any]], str]:
    return lambda w, c: f"/api/v1/conversations/{c['id']}/drafts/{c['row_id']}{suffix}"


# Twilio's webhooks are authenticated by X-Twilio-Signature, never by a token: an unsigned
# request is a 403 whoever sends it (test_twilio_webhooks_need_a_signature_not_a_token checks
# that a signed one gets through).
TWILIO_SIGNED_ONLY = dict.fromkeys(CALLERS, 403)
TWILIO_WEBHOOKS = (
    "/channels/sms/twilio",
    "/channels/voice/twilio/incoming",
    "/channels/voice/twilio/gather",
    "/channels/voice/twilio/transcript",
    "/channels/voice/twilio/status",
    # the agent's leg of a warm transfer: its TwiML and its status callback
    "/channels/voice/twilio/agent",
    "/channels/voice/twilio/agent-status",
    # the survey call after a resolved phone conversation
    "/channels/voice/twilio/survey",
    "/channels/voice/twilio/survey/rating",
    "/channels/voice/twilio/survey/answer",
    # after hours on the phone (the choice, the callback time, the voicemail)
    "/channels/voice/twilio/after-hours",
    "/channels/voice/twilio/after-hours/time",
    "/channels/voice/twilio/after-hours/recording",
    "/channels/voice/twilio/after-hours/transcription",
)

MERGED_ROUTES: dict[tuple[str, str], Case] = {
    # ---- privacy: export and erasure are admins', consents supervisors' and admins' ----
    ("GET", "/api/v1/customers/{customer_id}/export"): Case(
        staff_only(ADMINS), setup=conv(), path=cust_path("/export")
    ),
    ("DELETE", "/api/v1/customers/{customer_id}"): Case(
        staff_only(ADMINS), setup=conv(), path=cust_path()
    ),
    ("GET", "/api/v1/customers/{customer_id}/consents"): Case(
        staff_only(SUPERVISORS), setup=conv(), path=cust_path("/consents")
    ),
    ("PUT", "/api/v1/customers/{customer_id}/consents"): Case(
        staff_only(SUPERVISORS),
        setup=conv(),
        path=cust_path("/consents"),
        body=lambda w, c: {"consents": {"marketing": True}, "source": "matrix"},
    ),
    ("GET", "/api/v1/privacy/erasures"): Case(staff_only(ADMINS)),
    ("GET", "/api/v1/privacy/erasures/{request_id}"): Case(
        staff_only(ADMINS), setup=_erasure, path=lambda w, c: f"/api/v1/privacy/erasures/{c['id']}"
    ),
    ("GET", "/pay"): Case(PUBLIC_ALL),
    # ---- email: drafts and attachments are the conversation's (its team; not auditors) ----
    ("GET", "/api/v1/conversations/{conversation_id}/drafts"): Case(
        staff_only(HANDLERS, "team"), setup=_with_row(_draft), path=c_path("/drafts")
    ),
    ("GET", "/api/v1/conversations/{conversation_id}/drafts/{draft_id}"): Case(
        staff_only(HANDLERS, "team"), setup=_with_row(_draft), path=draft_path()
    ),
    ("PATCH", "/api/v1/conversations/{conversation_id}/drafts/{draft_id}"): Case(
        staff_only(HANDLERS, "team"),
        setup=_with_row(_draft),
        path=draft_path(),
        body=lambda w, c: {"text": "Edited in the matrix."},
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/drafts/{draft_id}/approve"): Case(
        staff_only(HANDLERS, "team"), setup=_with_row(_draft), path=draft_path("/approve")
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/drafts/{draft_id}/discard"): Case(
        staff_only(HANDLERS, "team"), setup=_with_row(_draft), path=draft_path("/discard")
    ),
    (
        "GET",
        "/api/v1/conversations/{conversation_id}/messages/{message_id}/attachments/{attachment_id}",
    ): Case(
        staff_only(HANDLERS, "team"),
        setup=_attachment,
        path=lambda w, c: (
            f"/api/v1/conversations/{c['id']}/messages/{c['message_id']}/attachments/att-1"
        ),
    ),
    ("GET", "/api/v1/email/inbound"): Case(staff_only(SUPERVISORS)),
    # ---- analytics: orders attributed by whoever handles the conversation ----
    ("POST", "/api/v1/conversations/{conversation_id}/orders"): Case(
        staff_only(HANDLERS, "team"),
        setup=conv(),
        path=c_path("/orders"),
        body=lambda w, c: {"order_id": "M-1", "amount": 25.0},
    ),
    # ---- approvals: seen with the conversation, decided by the policy's approver roles ----
    ("GET", "/api/v1/approvals"): Case(staff_only(HANDLERS)),
    ("GET", "/api/v1/approvals/{approval_id}"): Case(
        staff_only(HANDLERS, "team"),
        setup=_with_row(_approval),
        path=lambda w, c: f"/api/v1/approvals/{c['row_id']}",
    ),
    ("POST", "/api/v1/approvals/{approval_id}/approve"): Case(
        staff_only(SUPERVISORS, "team"),
        setup=_with_row(_approval),
        path=lambda w, c: f"/api/v1/approvals/{c['row_id']}/approve",
    ),
    ("POST", "/api/v1/approvals/{approval_id}/reject"): Case(
        staff_only(SUPERVISORS, "team"),
        setup=_with_row(_approval),
        path=lambda w, c: f"/api/v1/approvals/{c['row_id']}/reject",
        body=lambda w, c: {"note": "Matrix"},
    ),
    # ---- compliance records and the fairness audit: supervisors, admins, auditors ----
    ("GET", "/api/v1/compliance/conversations/{conversation_id}"): Case(
        staff_only(ANALYSTS, "team"),
        setup=conv(),
        path=lambda w, c: f"/api/v1/compliance/conversations/{c['id']}",
    ),
    ("GET", "/api/v1/compliance/records"): Case(staff_only(ANALYSTS)),
    ("GET", "/api/v1/analytics/fairness"): Case(staff_only(ANALYSTS)),
    # ---- experiments: supervisors and admins ----
    ("GET", "/api/v1/experiments"): Case(staff_only(SUPERVISORS)),
    ("POST", "/api/v1/experiments"): Case(
        staff_only(SUPERVISORS), body=lambda w, c: _experiment_body()
    ),
    ("GET", "/api/v1/experiments/{experiment_id}"): Case(
        staff_only(SUPERVISORS),
        setup=_experiment(),
        path=lambda w, c: f"/api/v1/experiments/{c['id']}",
    ),
    ("GET", "/api/v1/experiments/{experiment_id}/kpis"): Case(
        staff_only(SUPERVISORS),
        setup=_experiment(),
        path=lambda w, c: f"/api/v1/experiments/{c['id']}/kpis?arm=control",
    ),
    ("POST", "/api/v1/experiments/{experiment_id}/stop"): Case(
        staff_only(SUPERVISORS),
        setup=_experiment(),
        path=lambda w, c: f"/api/v1/experiments/{c['id']}/stop",
        body=lambda w, c: {"reason": "matrix"},
    ),
    ("POST", "/api/v1/experiments/{experiment_id}/rollback"): Case(
        staff_only(SUPERVISORS),
        setup=_experiment("rollout"),
        path=lambda w, c: f"/api/v1/experiments/{c['id']}/rollback",
        body=lambda w, c: {"reason": "matrix"},
    ),
    # ---- the learning loop: agents correct intents; the rest is supervisors' and admins' ----
    ("PUT", "/api/v1/conversations/{conversation_id}/intent"): Case(
        staff_only(HANDLERS, "team"),
        setup=_intent,
        path=c_path("/intent"),
        body=lambda w, c: {"intent": c["intent"]},
    ),
    ("GET", "/api/v1/improvement/intents"): Case(staff_only(HANDLERS)),
    ("GET", "/api/v1/improvement/examples"): Case(staff_only(SUPERVISORS)),
    ("POST", "/api/v1/improvement/examples/{example_id}/accept"): Case(
        staff_only(ADMINS),
        setup=_example,
        path=lambda w, c: f"/api/v1/improvement/examples/{c['row_id']}/accept",
    ),
    ("POST", "/api/v1/improvement/examples/{example_id}/reject"): Case(
        staff_only(ADMINS),
        setup=_example,
        path=lambda w, c: f"/api/v1/improvement/examples/{c['row_id']}/reject",
    ),
    ("GET", "/api/v1/improvement/clusters"): Case(staff_only(SUPERVISORS)),
    ("POST", "/api/v1/improvement/clusters/{cluster_id}/accept"): Case(
        staff_only(ADMINS),
        setup=_cluster,
        path=lambda w, c: f"/api/v1/improvement/clusters/{c['row_id']}/accept",
    ),
    ("POST", "/api/v1/improvement/clusters/{cluster_id}/reject"): Case(
        staff_only(ADMINS),
        setup=_cluster,
        path=lambda w, c: f"/api/v1/improvement/clusters/{c['row_id']}/reject",
    ),
    ("POST", "/api/v1/improvement/discover"): Case(staff_only(SUPERVISORS)),
    ("GET", "/api/v1/improvement/models"): Case(staff_only(SUPERVISORS)),
    ("POST", "/api/v1/improvement/retrain"): Case(staff_only(ADMINS), setup=_nothing_accepted),
    ("POST", "/api/v1/improvement/models/rollback"): Case(
        staff_only(ADMINS), setup=_rollback_target, body=lambda w, c: c
    ),
    # ---- Twilio webhooks ----
    **{("POST", path): Case(TWILIO_SIGNED_ONLY) for path in TWILIO_WEBHOOKS},
}
MATRIX.update(MERGED_ROUTES)

# ---- connectors to the company's systems are admins'; their webhooks are signed ----
_connector_seq = itertools.count()
# Nothing listens on port 9: a check made against this connector fails fast (still a 200).
_MATRIX_MAPPING = {
    "base_url": "http://127.0.0.1:9/api",
    "timeout_seconds": 1,
    "operations": {
        "order": {
            "url": "/orders/{number}",
            "result": {"number": "$.id", "status": "$.state", "email": "$.email"},
        }
    },
}


def _connector(world: World) -> dict[str, Any]:
    name = f"matrix-{next(_connector_seq)}"
    r = world.as_(
        "admin",
        "PUT",
        f"/api/v1/integrations/{name}",
        json={"kind": "http", "settings": {"mapping": _MATRIX_MAPPING}},
    )
    assert r.status_code == 200, r.text
    return {"name": name, "id": r.json()["id"]}


def _connector_with_sync(world: World) -> dict[str, Any]:
    ctx = _connector(world)
    ws = _demo_workspace_id(world)

    async def work(session: Any) -> str:
        from hybridcx.models import IntegrationSync

        row = IntegrationSync(
            id=new_id(),
            workspace_id=ws,
            connector_id=ctx["id"],
            source_id=new_id(),
            source_at=utcnow(),
            conversation_id=new_id(),
            action="ticket",
            status="pending",  # the admin's retry is refused (422): only dead ones are
            attempts=0,
            next_attempt_at=utcnow(),
            updated_at=utcnow(),
        )
        session.add(row)
        await session.flush()
        return row.id

    ctx["sync_id"] = _db(world, work)
    return ctx


# ---- tags and custom fields (supervisors define them; handlers use them), search ----
_tag_seq = itertools.count()


def _tag(world: World) -> dict[str, Any]:
    name = f"matrix-{next(_tag_seq)}"
    r = world.as_("supervisor", "POST", "/api/v1/tags", json={"name": name})
    assert r.status_code == 201, r.text
    return {"tag": name}


def _field(world: World) -> dict[str, Any]:
    key = f"matrix_{next(_tag_seq)}"
    body = {"entity": "conversation", "key": key, "type": "text"}
    r = world.as_("supervisor", "POST", "/api/v1/custom-fields", json=body)
    assert r.status_code == 201, r.text
    return {"key": key}


def _conv_and_tag(world: World) -> dict[str, Any]:
    return {**world.conversation(), **_tag(world)}


MATRIX.update(
    {
        ("GET", "/api/v1/tags"): Case(staff_only(HANDLERS)),
        ("POST", "/api/v1/tags"): Case(
            staff_only(SUPERVISORS),
            body=lambda w, c: {"name": f"matrix-new-{next(_tag_seq)}"},
        ),
        ("DELETE", "/api/v1/tags/{name}"): Case(
            staff_only(SUPERVISORS),
            setup=_tag,
            fresh=True,
            path=lambda w, c: f"/api/v1/tags/{c['tag']}",
        ),
        ("GET", "/api/v1/custom-fields"): Case(staff_only(HANDLERS)),
        ("POST", "/api/v1/custom-fields"): Case(
            staff_only(SUPERVISORS),
            body=lambda w, c: {
                "entity": "customer",
                "key": f"matrix_new_{next(_tag_seq)}",
                "type": "boolean",
            },
        ),
        ("DELETE", "/api/v1/custom-fields/{entity}/{key}"): Case(
            staff_only(SUPERVISORS),
            setup=_field,
            fresh=True,
            path=lambda w, c: f"/api/v1/custom-fields/conversation/{c['key']}",
        ),
        ("GET", "/api/v1/conversations/{conversation_id}/tags"): Case(
            staff_only(HANDLERS, "team"), setup=conv(), path=c_path("/tags")
        ),
        ("PUT", "/api/v1/conversations/{conversation_id}/tags/{tag}"): Case(
            staff_only(HANDLERS, "team"),
            setup=_conv_and_tag,
            path=lambda w, c: f"/api/v1/conversations/{c['id']}/tags/{c['tag']}",
        ),
        ("DELETE", "/api/v1/conversations/{conversation_id}/tags/{tag}"): Case(
            staff_only(HANDLERS, "team"),
            setup=_conv_and_tag,
            path=lambda w, c: f"/api/v1/conversations/{c['id']}/tags/{c['tag']}",
        ),
        ("GET", "/api/v1/conversations/{conversation_id}/fields"): Case(
            staff_only(HANDLERS, "team"), setup=conv(), path=c_path("/fields")
        ),
        ("PATCH", "/api/v1/conversations/{conversation_id}/fields"): Case(
            staff_only(HANDLERS, "team"),
            setup=conv(),
            path=c_path("/fields"),
            body=lambda w, c: {"values": {}},
        ),
        ("GET", "/api/v1/customers"): Case(staff_only(HANDLERS)),
        ("GET", "/api/v1/customers/{customer_id}/tags"): Case(
            staff_only(HANDLERS, "team"), setup=conv(), path=cust_path("/tags")
        ),
        ("PUT", "/api/v1/customers/{customer_id}/tags/{tag}"): Case(
            staff_only(HANDLERS, "team"),
            setup=_conv_and_tag,
            path=lambda w, c: f"/api/v1/customers/{c['customer_id']}/tags/{c['tag']}",
        ),
        ("DELETE", "/api/v1/customers/{customer_id}/tags/{tag}"): Case(
            staff_only(HANDLERS, "team"),
            setup=_conv_and_tag,
            path=lambda w, c: f"/api/v1/customers/{c['customer_id']}/tags/{c['tag']}",
        ),
        ("GET", "/api/v1/customers/{customer_id}/fields"): Case(
            staff_only(HANDLERS, "team"), setup=conv(), path=cust_path("/fields")
        ),
        ("PATCH", "/api/v1/customers/{customer_id}/fields"): Case(
            staff_only(HANDLERS, "team"),
            setup=conv(),
            path=cust_path("/fields"),
            body=lambda w, c: {"values": {}},
        ),
    }
)


def _in(suffix: str = "") -> Callable[[World, dict[str, Any]], str]:
    return lambda w, c: f"/api/v1/integrations/{c['name']}{suffix}"


MATRIX.update(
    {
        ("GET", "/api/v1/integrations"): Case(staff_only(ADMINS)),
        ("PUT", "/api/v1/integrations/{name}"): Case(
            staff_only(ADMINS),
            path=lambda w, c: f"/api/v1/integrations/matrix-put-{next(_connector_seq)}",
            body=lambda w, c: {"kind": "http", "settings": {"mapping": _MATRIX_MAPPING}},
        ),
        ("GET", "/api/v1/integrations/{name}"): Case(
            staff_only(ADMINS), setup=_connector, path=_in()
        ),
        ("DELETE", "/api/v1/integrations/{name}"): Case(
            staff_only(ADMINS), setup=_connector, fresh=True, path=_in()
        ),
        ("POST", "/api/v1/integrations/{name}/test"): Case(
            staff_only(ADMINS), setup=_connector, path=_in("/test")
        ),
        ("GET", "/api/v1/integrations/{name}/syncs"): Case(
            staff_only(ADMINS), setup=_connector, path=_in("/syncs")
        ),
        ("POST", "/api/v1/integrations/{name}/syncs/{sync_id}/retry"): Case(
            staff_only(ADMINS),
            setup=_connector_with_sync,
            path=lambda w, c: f"/api/v1/integrations/{c['name']}/syncs/{c['sync_id']}/retry",
        ),
        # Webhooks from Shopify and HubSpot: only a valid signature gets through.
        ("POST", "/api/v1/integrations/hooks/{connector_id}/shopify"): Case(
            dict.fromkeys(CALLERS, 401),
            setup=_connector,
            path=lambda w, c: f"/api/v1/integrations/hooks/{c['id']}/shopify",
            body=lambda w, c: {"email": "alex@example.com"},
        ),
        ("POST", "/api/v1/integrations/hooks/{connector_id}/hubspot"): Case(
            dict.fromkeys(CALLERS, 401),
            setup=_connector,
            path=lambda w, c: f"/api/v1/integrations/hooks/{c['id']}/hubspot",
            body=lambda w, c: [{"objectId": 51, "subscriptionType": "contact.creation"}],
        ),
    }
)


# ---- macros (supervisors write, handlers apply) and automation rules (supervisors) ----
_macro_seq = itertools.count()


def _macro(world: World) -> dict[str, Any]:
    name = f"Matrix macro {next(_macro_seq)}"
    r = world.as_("supervisor", "POST", "/api/v1/macros", json={"name": name, "text": "Hi"})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _macro_and_conv(world: World) -> dict[str, Any]:
    return {"macro": _macro(world), **world.conversation(accept=True)}


def _rule(world: World) -> dict[str, Any]:
    r = world.as_("supervisor", "POST", "/api/v1/automation/rules", json=_rule_body())
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _rule_body() -> dict[str, Any]:
    return {
        "name": f"Matrix rule {next(_macro_seq)}",
        "trigger": "conversation.queued",
        "actions": [{"type": "note", "text": "queued"}],
    }


# ---- business hours and SLA policies ----
def _team_hours(world: World) -> dict[str, Any]:
    r = world.as_(
        "admin",
        "PUT",
        "/api/v1/business-hours/teams/matrix-team",
        json={"timezone": "UTC", "weekly": {}},
    )
    assert r.status_code == 200, r.text
    return {}


MATRIX.update(
    {
        ("GET", "/api/v1/macros"): Case(staff_only(HANDLERS)),
        ("POST", "/api/v1/macros"): Case(
            staff_only(SUPERVISORS),
            body=lambda w, c: {"name": f"Matrix post {next(_macro_seq)}", "text": "Hi"},
        ),
        ("GET", "/api/v1/macros/{macro_id}"): Case(
            staff_only(HANDLERS, "workspace"),
            setup=_macro,
            path=lambda w, c: f"/api/v1/macros/{c['id']}",
        ),
        ("PUT", "/api/v1/macros/{macro_id}"): Case(
            staff_only(SUPERVISORS, "workspace"),
            setup=_macro,
            path=lambda w, c: f"/api/v1/macros/{c['id']}",
            body=lambda w, c: {"name": f"Matrix put {next(_macro_seq)}", "text": "Hello"},
        ),
        ("DELETE", "/api/v1/macros/{macro_id}"): Case(
            staff_only(SUPERVISORS, "workspace"),
            setup=_macro,
            fresh=True,
            path=lambda w, c: f"/api/v1/macros/{c['id']}",
        ),
        ("GET", "/api/v1/macros/{macro_id}/render"): Case(
            staff_only(HANDLERS, "team"),
            setup=_macro_and_conv,
            path=lambda w, c: f"/api/v1/macros/{c['macro']['id']}/render?conversation_id={c['id']}",
        ),
        ("POST", "/api/v1/macros/{macro_id}/apply"): Case(
            staff_only(HANDLERS, "team"),
            setup=_macro_and_conv,
            path=lambda w, c: f"/api/v1/macros/{c['macro']['id']}/apply",
            body=lambda w, c: {"conversation_id": c["id"], "text": ""},
        ),
        ("GET", "/api/v1/automation/rules"): Case(staff_only(SUPERVISORS)),
        ("POST", "/api/v1/automation/rules"): Case(
            staff_only(SUPERVISORS), body=lambda w, c: _rule_body()
        ),
        ("GET", "/api/v1/automation/rules/{rule_id}"): Case(
            staff_only(SUPERVISORS, "workspace"),
            setup=_rule,
            path=lambda w, c: f"/api/v1/automation/rules/{c['id']}",
        ),
        ("PUT", "/api/v1/automation/rules/{rule_id}"): Case(
            staff_only(SUPERVISORS, "workspace"),
            setup=_rule,
            path=lambda w, c: f"/api/v1/automation/rules/{c['id']}",
            body=lambda w, c: _rule_body(),
        ),
        ("DELETE", "/api/v1/automation/rules/{rule_id}"): Case(
            staff_only(SUPERVISORS, "workspace"),
            setup=_rule,
            fresh=True,
            path=lambda w, c: f"/api/v1/automation/rules/{c['id']}",
        ),
    }
)

MATRIX.update(
    {
        ("GET", "/api/v1/business-hours"): Case(staff_only(HANDLERS)),
        ("PUT", "/api/v1/business-hours"): Case(
            staff_only(SUPERVISORS), body=lambda w, c: {"timezone": "UTC", "weekly": {}}
        ),
        ("PUT", "/api/v1/business-hours/teams/{team}"): Case(
            staff_only(SUPERVISORS),
            path=lambda w, c: "/api/v1/business-hours/teams/matrix-put",
            body=lambda w, c: {"timezone": "UTC", "weekly": {}},
        ),
        ("DELETE", "/api/v1/business-hours/teams/{team}"): Case(
            staff_only(SUPERVISORS),
            setup=_team_hours,
            fresh=True,
            path=lambda w, c: "/api/v1/business-hours/teams/matrix-team",
        ),
        # the customer's own conversation, not after hours: 409 (past the permission checks)
        ("POST", "/api/v1/conversations/{conversation_id}/after-hours"): Case(
            CUSTOMER_ONLY,
            setup=conv(),
            path=c_path("/after-hours"),
            body=lambda w, c: {"choice": "message"},
        ),
        ("GET", "/api/v1/sla/policies"): Case(staff_only(HANDLERS)),
        ("PUT", "/api/v1/sla/policies"): Case(
            staff_only(SUPERVISORS), body=lambda w, c: {"policies": []}
        ),
        ("GET", "/api/v1/sla/attainment"): Case(staff_only(ANALYSTS)),
        ("GET", "/api/v1/sla/conversations/{conversation_id}"): Case(
            staff_only(HANDLERS, "team"),
            setup=conv(),
            path=lambda w, c: f"/api/v1/sla/conversations/{c['id']}",
        ),
    }
)


# ---- proactive outreach (supervisors and admins) ----
def _outreach_campaign(world: World) -> dict[str, Any]:
    r = world.as_(
        "supervisor",
        "POST",
        "/api/v1/outreach/campaigns",
        json={
            "name": f"Matrix outreach {next(_macro_seq)}",
            "signal": "late_shipment",
            "channels": ["sms"],
            "paused": True,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


# ---- one customer profile (merges) and the dead-letter list ----------------------
_proposal_seq = itertools.count(7100)


def _proposal(world: World) -> dict[str, Any]:
    """Two customers of the demo workspace with one phone number: a merge proposal."""
    n = next(_proposal_seq)
    ids = []
    for side in ("a", "b"):
        body = {"email": f"matrix-merge-{n}-{side}@example.com", "phone": f"+1415555{n:04d}"}
        r = world.as_("admin", "POST", "/api/v1/customers", json=body)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    r = world.as_("admin", "GET", "/api/v1/customers/merge-proposals")
    assert r.status_code == 200, r.text
    [found] = [p for p in r.json()["items"] if {p["survivor_id"], p["merged_id"]} == set(ids)]
    return {"proposal_id": found["id"]}


MATRIX.update(
    {
        ("GET", "/api/v1/outreach/signals"): Case(staff_only(SUPERVISORS)),
        ("GET", "/api/v1/outreach/campaigns"): Case(staff_only(SUPERVISORS)),
        ("POST", "/api/v1/outreach/campaigns"): Case(
            staff_only(SUPERVISORS),
            body=lambda w, c: {
                "name": f"Matrix post {next(_macro_seq)}",
                "signal": "late_shipment",
                "channels": ["email"],
                "paused": True,
            },
        ),
        ("GET", "/api/v1/outreach/campaigns/{campaign_id}"): Case(
            staff_only(SUPERVISORS),
            setup=_outreach_campaign,
            path=lambda w, c: f"/api/v1/outreach/campaigns/{c['id']}",
        ),
        # not waiting for an approval: 409, past the permission checks
        ("POST", "/api/v1/outreach/campaigns/{campaign_id}/approve"): Case(
            staff_only(SUPERVISORS),
            setup=_outreach_campaign,
            path=lambda w, c: f"/api/v1/outreach/campaigns/{c['id']}/approve",
        ),
        ("POST", "/api/v1/outreach/run"): Case(
            staff_only(SUPERVISORS),
            setup=_outreach_campaign,
            body=lambda w, c: {"campaign_id": c["id"], "dry_run": True},
        ),
        ("GET", "/api/v1/outreach/stats"): Case(staff_only(SUPERVISORS)),
        ("GET", "/api/v1/customers/merge-proposals"): Case(staff_only(SUPERVISORS)),
        ("POST", "/api/v1/customers/merge-proposals/{proposal_id}/dismiss"): Case(
            staff_only(SUPERVISORS),
            setup=_proposal,
            fresh=True,
            path=lambda w, c: f"/api/v1/customers/merge-proposals/{c['proposal_id']}/dismiss",
        ),
        ("GET", "/api/v1/customers/{customer_id}"): Case(
            staff_only(HANDLERS, "team"), setup=conv(), path=cust_path()
        ),
        ("GET", "/api/v1/customers/{customer_id}/preferences"): Case(
            staff_only(HANDLERS, "team"), setup=conv(), path=cust_path("/preferences")
        ),
        ("PUT", "/api/v1/customers/{customer_id}/preferences"): Case(
            staff_only(HANDLERS, "team"),
            setup=conv(),
            path=cust_path("/preferences"),
            body=lambda w, c: {"channel": "email", "language": "en"},
        ),
        ("POST", "/api/v1/customers/{customer_id}/identities"): Case(
            staff_only(SUPERVISORS),
            setup=conv(),
            path=cust_path("/identities"),
            body=lambda w, c: {"kind": "external", "value": "matrix-ext-1"},
        ),
        # merging a customer with itself is refused (422): the check is reached, nothing merges
        ("POST", "/api/v1/customers/{customer_id}/merge"): Case(
            staff_only(SUPERVISORS),
            setup=conv(),
            path=cust_path("/merge"),
            body=lambda w, c: {"customer_id": c["customer_id"]},
        ),
        ("POST", "/api/v1/customers/{customer_id}/unmerge"): Case(
            staff_only(SUPERVISORS), setup=conv(), path=cust_path("/unmerge"), body=lambda w, c: {}
        ),
        ("POST", "/api/v1/integrations/{name}/syncs/{sync_id}/discard"): Case(
            staff_only(ADMINS),
            setup=_connector_with_sync,
            path=lambda w, c: f"/api/v1/integrations/{c['name']}/syncs/{c['sync_id']}/discard",
        ),
    }
)


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


def test_twilio_webhooks_need_a_signature_not_a_token(world: World) -> None:
    """The other side of TWILIO_SIGNED_ONLY: a request signed with the auth token gets past the
    check (then answers for its fields), and a staff token with a wrong signature does not."""
    assert world.server is not None and world.server.settings is not None
    token = world.server.settings.twilio_auth_token
    assert token
    params = {"CallSid": f"CA{new_id().replace('-', '')}", "CallStatus": "completed"}
    for path in TWILIO_WEBHOOKS:
        url = world.api.http.base_url.join(path)
        signature = RequestValidator(token).compute_signature(str(url), params)
        r = world.api.http.post(path, data=params, headers={"X-Twilio-Signature": signature})
        assert r.status_code != 403 and r.status_code < 500, f"{path}: {r.status_code} {r.text}"
        forged = {"X-Twilio-Signature": "bm9wZQ==", **world.headers("admin")}
        r = world.api.http.post(path, data=params, headers=forged)
        assert r.status_code == 403, f"{path}: {r.status_code} {r.text}"


def test_approvals_list_only_the_callers_teams(world: World) -> None:
    """The approvals list is filtered like the conversation list: Bob (team red) does not see a
    held action of a blue conversation; Alice and the supervisor do."""
    ctx = _with_row(_approval)(world)
    seen = {}
    for who in ("agent", "agent_other_team", "supervisor"):
        r = world.as_(who, "GET", "/api/v1/approvals?status=pending")
        assert r.status_code == 200, r.text
        seen[who] = {a["id"] for a in r.json()}
    assert ctx["row_id"] in seen["agent"] and ctx["row_id"] in seen["supervisor"]
    assert ctx["row_id"] not in seen["agent_other_team"]


def test_another_workspaces_admin_cannot_touch_the_shared_model(world: World) -> None:
    """The model registry serves every workspace of the server: an admin of another workspace
    (other-co) may not read it, retrain it on their examples, or roll it back."""
    email, password = f"other.admin.{next(_merged_seq)}@example.com", "other-admin-pass"

    async def work(session: Any) -> None:
        await add_staff(
            session,
            workspace_slug="other-co",
            email=email,
            name="Oscar Other",
            role="admin",
            password=password,
            skills=["general"],
            capacity=3,
        )

    _db(world, work)
    token = world.api.login(email, password)
    for method, path in (
        ("GET", "/api/v1/improvement/models"),
        ("POST", "/api/v1/improvement/retrain"),
        ("POST", "/api/v1/improvement/models/rollback"),
    ):
        r = world.api.staff(token, method, path)
        assert r.status_code == 403 and "default workspace" in r.json()["detail"], r.text
    # Their own workspace's training data stays theirs to review.
    assert world.api.staff(token, "GET", "/api/v1/improvement/examples").status_code == 200


def test_desk_socket_drops_another_teams_approval_events(world: World) -> None:
    """approval.requested names its conversation inside ``approval``: Bob's desk (team red)
    must not receive it for a blue conversation; Alice's does."""
    ctx = _with_row(_approval)(world)
    server = world.server
    assert server is not None
    event = {
        "type": "approval.requested",
        "approval": {"id": ctx["row_id"], "conversation_id": ctx["id"], "summary": "Matrix"},
    }
    sentinel = {"type": "matrix.sentinel"}

    async def publish(payload: dict[str, Any]) -> None:
        async with server.runtime.sessions() as session:
            conv_row = await session.get(Conversation, ctx["id"])
            workspace_id = conv_row.workspace_id
        outbox = Outbox()
        outbox.emit(Published(staff_channel(workspace_id), payload))
        await outbox.flush(server.runtime)

    base = world.api.ws_base + "/ws/agent?token="
    with (
        connect(base + world.tokens["agent"]) as alice,
        connect(base + world.tokens["agent_other_team"]) as bob,
    ):
        assert recv(alice)["type"] == "ready" and recv(bob)["type"] == "ready"
        server.call(publish(event))
        server.call(publish(sentinel))
        seen_by_alice = read_events_until(alice, lambda e: e["type"] == "matrix.sentinel")
        seen_by_bob = read_events_until(bob, lambda e: e["type"] == "matrix.sentinel")
    assert "approval.requested" in [e["type"] for e in seen_by_alice]
    assert "approval.requested" not in [e["type"] for e in seen_by_bob]


def test_a_draft_of_someone_elses_conversation_is_theirs(world: World) -> None:
    """Alice sees the drafts of a blue conversation the supervisor took, but may not edit,
    discard or send them (403); the supervisor may."""
    ctx = world.conversation(accept=False)
    r = world.as_("supervisor", "POST", f"/api/v1/conversations/{ctx['id']}/accept")
    assert r.status_code == 200, r.text

    async def work(session: Any) -> str:
        row = _draft(await session.get(Conversation, ctx["id"]))
        session.add(row)
        await session.flush()
        return str(row.id)

    path = f"/api/v1/conversations/{ctx['id']}/drafts/{_db(world, work)}"
    assert world.as_("agent", "GET", path).status_code == 200
    for method, suffix, body in (
        ("PATCH", "", {"text": "Mine now."}),
        ("POST", "/discard", None),
        ("POST", "/approve", None),
    ):
        r = world.as_("agent", method, path + suffix, json=body)
        assert r.status_code == 403 and "another agent" in r.text, r.text
    r = world.as_("supervisor", "PATCH", path, json={"text": "Edited by the supervisor."})
    assert r.status_code == 200, r.text


# ---- files in web chat, the customer's AI opt-out, surveys by link ---------------


def _with_file(world: World) -> dict[str, Any]:
    """A conversation (accepted by Alice) with a file the customer sent."""
    c = world.conversation()
    r = world.api.http.post(
        f"/api/v1/conversations/{c['id']}/attachments",
        params={"filename": "note.txt"},
        content=b"order 1001",
        headers={"Authorization": f"Bearer {c['customer_token']}"},
    )
    assert r.status_code == 201, r.text
    return {**c, "url": r.json()["channel_meta"]["attachments"][0]["url"]}


MATRIX.update(
    {
        ("POST", "/api/v1/conversations/{conversation_id}/attachments"): Case(
            CUSTOMER_OR_STAFF,
            setup=conv(),
            path=lambda w, c: f"/api/v1/conversations/{c['id']}/attachments?filename=a.txt",
            body=lambda w, c: {"text": "a file"},
        ),
        (
            "GET",
            "/api/v1/conversations/{conversation_id}/attachments/{message_id}/{attachment_id}",
        ): (Case(CUSTOMER_OR_STAFF, setup=_with_file, path=lambda w, c: c["url"])),
        ("GET", "/api/v1/help/ai-preference"): Case(SELF_SERVICE),
        ("PUT", "/api/v1/help/ai-preference"): Case(
            SELF_SERVICE, body=lambda w, c: {"human_only": True}
        ),
        # The survey link is its own credential (a keyed HMAC of the conversation id): no
        # token needed, and a forged link is a 404 for everyone.
        ("GET", "/survey/{token}"): Case(PUBLIC_ALL, path=lambda w, c: "/survey/x.y"),
        ("GET", "/api/v1/surveys/{token}"): Case(
            PUBLIC_ALL, path=lambda w, c: "/api/v1/surveys/x.y"
        ),
        ("POST", "/api/v1/surveys/{token}"): Case(
            PUBLIC_ALL, path=lambda w, c: "/api/v1/surveys/x.y", body=lambda w, c: {"rating": 5}
        ),
    }
)


# ---- agent scripts (handlers read, supervisors write, analysts read adherence) ----
_script_seq = itertools.count()
_SCRIPT_STEPS = [
    {"id": "hello", "kind": "say", "text": "Hello {{customer.first_name}}"},
    {"id": "tell", "kind": "disclosure", "text": "Calls are recorded for quality."},
]


def _script_body() -> dict[str, Any]:
    name = f"matrix-script-{next(_script_seq)}"
    return {"spec": {"name": name, "intents": ["privacy_policy"], "steps": _SCRIPT_STEPS}}


def _script(world: World) -> dict[str, Any]:
    r = world.as_("supervisor", "POST", "/api/v1/scripts", json=_script_body())
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


MATRIX.update(
    {
        ("GET", "/api/v1/scripts"): Case(staff_only(HANDLERS)),
        ("POST", "/api/v1/scripts"): Case(
            staff_only(SUPERVISORS), body=lambda w, c: _script_body()
        ),
        ("PUT", "/api/v1/scripts/policy"): Case(
            staff_only(SUPERVISORS), body=lambda w, c: {"enforcement": "warn"}
        ),
        ("GET", "/api/v1/scripts/adherence"): Case(staff_only(ANALYSTS)),
        ("GET", "/api/v1/scripts/conversations/{conversation_id}"): Case(
            staff_only(HANDLERS, "team"),
            setup=conv(),
            path=lambda w, c: f"/api/v1/scripts/conversations/{c['id']}",
        ),
        ("PUT", "/api/v1/scripts/{script_id}"): Case(
            staff_only(SUPERVISORS, "workspace"),
            setup=_script,
            path=lambda w, c: f"/api/v1/scripts/{c['id']}",
            body=lambda w, c: _script_body(),
        ),
        ("DELETE", "/api/v1/scripts/{script_id}"): Case(
            staff_only(SUPERVISORS, "workspace"),
            setup=_script,
            fresh=True,
            path=lambda w, c: f"/api/v1/scripts/{c['id']}",
        ),
    }
)
