"""The append-only audit log of sensitive actions.

``record(session, ...)`` adds one entry inside the caller's transaction, so the entry commits
with the action it describes (or not at all). There is no update or delete function here, and
the database refuses both (triggers from migration 0008).

Actions recorded today (see docs/security.md): ``auth.login``, ``auth.login_failed``,
``conversation.read``, ``customer.read``, ``customer.updated``, ``conversation.takeover``,
``conversation.transfer``, ``conversation.requeued`` (a call's agent did not answer), ``staff.access_changed``, ``staff.created``, ``model.deployed``,
``policy.changed``, ``webhook.created``, ``webhook.deleted``; the staff identity
actions (``staff.updated``, ``staff.deactivated``, ``staff.reactivated``,
``staff.password_reset``, ``staff.mfa_reset``, ``auth.mfa_*``, ``sso.*``; see docs/security.md); the macros'
``macro.created``, ``macro.updated``, ``macro.deleted``, ``macro.applied`` and
``automation.rule_created``, ``automation.rule_updated``, ``automation.rule_deleted``;
tags and custom fields (``tag.*``, ``conversation.tagged``/``untagged``, ``customer.tagged``/``untagged``,
``custom_field.*``, ``*.fields_changed``); data export and erasure call
``record`` with ``customer.exported`` and ``customer.erased``.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.auth.service import CustomerPrincipal, StaffPrincipal
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.models import AuditEntry

# Set per request by the security middleware, so callers need not thread the Request through.
client_ip: ContextVar[str | None] = ContextVar("hybridcx_client_ip", default=None)


def record(
    session: AsyncSession,
    *,
    action: str,
    actor: StaffPrincipal | CustomerPrincipal | None = None,
    actor_type: str | None = None,
    actor_id: str | None = None,
    workspace_id: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. ``actor`` fills actor type, id and workspace from a principal."""
    if isinstance(actor, StaffPrincipal):
        actor_type, actor_id = actor_type or "staff", actor_id or actor.agent_id
        workspace_id = workspace_id or actor.workspace_id
    elif isinstance(actor, CustomerPrincipal):
        actor_type = actor_type or "customer"
    # The log outlives an erasure (it is append-only), so customers appear in it only under a
    # keyed pseudonym: the same one the erasure request keeps. Auditors look a customer up by
    # id; the query computes the pseudonym (audit.repository).
    if target_type == "customer" and target_id:
        target_id = customer_pseudonym(session, target_id)
    if details and details.get("customer_id"):
        details = {**details, "customer_id": customer_pseudonym(session, details["customer_id"])}
    entry = AuditEntry(
        id=new_id(),
        at=utcnow(),
        workspace_id=workspace_id,
        actor_type=actor_type or "system",
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        ip=ip if ip is not None else client_ip.get(),
        details=details or {},
    )
    session.add(entry)
    return entry


def customer_pseudonym(session: AsyncSession, customer_id: str) -> str:
    """A keyed hash of a customer id (HMAC with the blind-index key): stable, not reversible."""
    from hybridcx.kit.sealed import session_keyring

    return session_keyring(session).blind_index(f"customer:{customer_id}")


__all__ = ["client_ip", "customer_pseudonym", "record"]
