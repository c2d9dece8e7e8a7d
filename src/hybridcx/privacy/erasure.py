"""GDPR/CCPA erasure: a tracked request that cascades through everything held about a customer.

``DELETE /api/v1/customers/{id}`` records an :class:`ErasureRequest` (due in 30 days by default)
and runs it at once in the background; the scheduled privacy job retries any request still
pending. One run is one transaction: either every step is done or none is.

What remains afterwards is anonymous: conversations and their events (types, times, tiers,
intents, ratings) stay for the KPIs, re-pointed at a random pseudonym (a tombstone customer row
with no personal data), with every free-text field of the events removed. Every store of the
personal-data registry (``registry.py``: messages, past cases, mail records, drafts, attachment
files, the demo company's records, training sets... and the customer row last) erases its part.
:func:`register` adds a plain hook for data that is no store of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.db import transaction
from hybridcx.kit.errors import Conflict, NotFound
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.sealed import session_keyring
from hybridcx.kit.time import iso
from hybridcx.models import Conversation, Customer, ErasureRequest
from hybridcx.privacy.registry import ErasureContext, Skip, registered_stores

if TYPE_CHECKING:
    from hybridcx.privacy.deps import ErasureDeps

log = structlog.get_logger(__name__)

ErasureHook = Callable[[AsyncSession, "ErasureDeps", str], Awaitable[Any]]
_HOOKS: dict[str, ErasureHook] = {}


def register(name: str, fn: ErasureHook) -> None:
    """Add a step to every erasure: ``async fn(session, runtime, customer_id)``, run inside the
    erasure's transaction before anything else is erased, so the customer's conversations still
    carry their id (return a count or a note, or None).
    Registering a name again replaces the step (module reloads stay idempotent)."""
    _HOOKS[name] = fn


def registered() -> dict[str, ErasureHook]:
    return dict(_HOOKS)


# ---- requests ----------------------------------------------------------------------------


def request_read(req: ErasureRequest) -> dict[str, Any]:
    return {
        "id": req.id,
        "status": req.status,
        "customer_ref": req.customer_ref,
        "requested_at": iso(req.requested_at),
        "due_at": iso(req.due_at),
        "completed_at": iso(req.completed_at),
        "steps": req.steps,
        "error": req.error,
    }


async def request_erasure(
    session: AsyncSession,
    *,
    workspace_id: str,
    customer_id: str,
    requested_by: str | None,
    due_days: int,
) -> ErasureRequest:
    """The open request for this customer (a new one unless one is already pending)."""
    customer = await _customer(session, workspace_id, customer_id)
    if customer is None:
        raise NotFound("Customer not found.")
    if customer.erased_at is not None:
        raise Conflict("This customer was already erased.")
    stmt = select(ErasureRequest).where(
        ErasureRequest.workspace_id == workspace_id,
        ErasureRequest.customer_ref == customer_id,
        ErasureRequest.status == "pending",
    )
    existing = (await session.execute(stmt)).scalars().first()
    if existing is not None:
        return existing
    now = utcnow()
    req = ErasureRequest(
        id=new_id(),
        workspace_id=workspace_id,
        customer_ref=customer_id,
        requested_by=requested_by,
        requested_at=now,
        due_at=now + timedelta(days=due_days),
        status="pending",
        steps=[],
    )
    session.add(req)
    await session.flush()
    return req


async def get_request(
    session: AsyncSession, workspace_id: str, request_id: str
) -> ErasureRequest | None:
    stmt = select(ErasureRequest).where(
        ErasureRequest.id == request_id, ErasureRequest.workspace_id == workspace_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_requests(session: AsyncSession, workspace_id: str) -> Sequence[ErasureRequest]:
    stmt = (
        select(ErasureRequest)
        .where(ErasureRequest.workspace_id == workspace_id)
        .order_by(ErasureRequest.requested_at.desc())
        .limit(200)
    )
    return (await session.execute(stmt)).scalars().all()


async def run_erasure(rt: ErasureDeps, request_id: str) -> dict[str, Any]:
    """Carry out one pending request; returns it as read. A failure is recorded (status stays
    pending, so the scheduled job retries) and re-raised."""
    try:
        async with transaction(rt.sessions) as session:
            req = await session.get(ErasureRequest, request_id, with_for_update=True)
            if req is None:
                raise NotFound("Erasure request not found.")
            if req.status != "pending":
                return request_read(req)
            workspace_id = req.workspace_id
            steps = await _erase(session, rt, req.workspace_id, req.customer_ref)
            ring = session_keyring(session)
            req.customer_ref = ring.blind_index(f"customer:{req.customer_ref}")
            req.steps = steps
            req.status, req.completed_at, req.error = "completed", utcnow(), None
            await session.flush()
            out = request_read(req)
    except Exception as exc:
        async with transaction(rt.sessions) as session:
            await session.execute(
                update(ErasureRequest)
                .where(ErasureRequest.id == request_id)
                .values(error=f"{type(exc).__name__}: {exc}"[:2000])
            )
        log.error("privacy.erasure_failed", request_id=request_id, error=type(exc).__name__)
        raise
    # KPI facts cached in this process drop the old customer id now (others reload within
    # minutes: analytics.rollup.CACHE_MAX_AGE_SECONDS).
    from hybridcx.analytics.rollup import clear_cache

    clear_cache()
    # The past-case search index of this process drops the erased cases now; other processes
    # see the changed case count on their next search and resync.
    async with rt.sessions() as session:
        await rt.knowledge.cases(session, workspace_id)
    return out


async def run_pending(rt: ErasureDeps) -> int:
    """Run every pending request (the scheduled job); returns how many completed."""
    async with rt.sessions() as session:
        ids = (
            (
                await session.execute(
                    select(ErasureRequest.id)
                    .where(ErasureRequest.status == "pending")
                    .order_by(ErasureRequest.due_at)
                )
            )
            .scalars()
            .all()
        )
    done = 0
    for request_id in ids:
        try:
            await run_erasure(rt, request_id)
            done += 1
        except Exception:  # recorded on the request; the next run retries
            continue
    return done


# ---- the cascade -------------------------------------------------------------------------


async def _customer(session: AsyncSession, workspace_id: str, customer_id: str) -> Customer | None:
    stmt = select(Customer).where(Customer.id == customer_id, Customer.workspace_id == workspace_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def _erase(
    session: AsyncSession, rt: ErasureDeps, workspace_id: str, customer_id: str
) -> list[dict[str, Any]]:
    """Every registered personal-data store erases its part, in order (registry.py)."""
    customer = await _customer(session, workspace_id, customer_id)
    if customer is None:
        raise NotFound("The customer of this erasure request no longer exists.")
    steps: list[dict[str, Any]] = []

    def done(name: str, count: Any) -> None:
        steps.append({"step": name, "count": count, "at": iso(utcnow())})

    conv_ids = list(
        (
            await session.execute(
                select(Conversation.id).where(
                    Conversation.workspace_id == workspace_id,
                    Conversation.customer_id == customer_id,
                )
            )
        )
        .scalars()
        .all()
    )
    pseudonym = new_id()
    tombstone = Customer(
        id=pseudonym,
        workspace_id=workspace_id,
        email="",
        name="",
        email_hash=f"erased:{pseudonym}",
        erased_at=utcnow(),
        consents={},
        created_at=customer.created_at,
    )
    session.add(tombstone)
    await session.flush()

    # Hooks first, while the customer's conversations still name them.
    for name, hook in registered().items():
        done(f"hook:{name}", await hook(session, rt, customer_id))
    ctx = ErasureContext(
        session=session,
        runtime=rt,
        workspace_id=workspace_id,
        customer=customer,
        conversation_ids=conv_ids,
        pseudonym=pseudonym,
    )
    for store in registered_stores():
        if not isinstance(store.erase, Skip):
            done(store.name, await store.erase(ctx))
    # Nothing of this process caches customer data by id (no Redis keys; the case index
    # resyncs from the table right after the commit).
    done("caches", "case index resync")
    return steps
