"""Who may do what: the one place that maps roles to permissions and checks objects.

Endpoints ask for a permission (``require(Perm.X)`` as a dependency, or ``check``), never for a
role, and object-level checks (``can_see_conversation``, ``visible_conversations``) go through
here too. The matrix is documented in docs/security.md and enforced route by route by
tests/security/test_matrix.py.

Teams: an inbox may belong to a team and its conversations inherit it (``Conversation.team``).
An agent sees a conversation of their workspace when it has no team, is of one of their teams,
or is assigned to them. Supervisors and admins see every conversation of their workspace.
Auditors never see conversations' content: they read the audit log and aggregate analytics.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import false, or_

from hybridcx.auth.deps import staff_principal
from hybridcx.auth.service import CustomerPrincipal, StaffPrincipal
from hybridcx.kit.errors import Forbidden, NotFound
from hybridcx.kit.ids import hash_token
from hybridcx.models import Conversation


class Perm(StrEnum):
    CONVERSATIONS_READ = "conversations.read"  # list and read (content), within their scope
    CONVERSATIONS_HANDLE = "conversations.handle"  # accept, reply, transfer, resolve, ask, assist
    CONVERSATIONS_SUPERVISE = "conversations.supervise"  # act on anyone's; see every team
    CONVERSATIONS_TAKEOVER = "conversations.takeover"
    QUEUE_READ = "queue.read"
    CUSTOMERS_READ = "customers.read"
    CUSTOMERS_WRITE = "customers.write"
    CUSTOMERS_PRIVACY = "customers.privacy"  # export and erase a customer's data (GDPR/CCPA)
    STAFF_READ = "staff.read"  # the team list, my own profile
    STAFF_PRESENCE = "staff.presence"  # go available and receive conversations
    STAFF_MANAGE = "staff.manage"  # change roles and teams
    ARTICLES_READ = "articles.read"
    ARTICLES_WRITE = "articles.write"
    ANALYTICS_READ = "analytics.read"  # KPIs, dashboard, per-agent quality (aggregates)
    QUALITY_CONVERSATION = "quality.conversation"  # one conversation's score, with evidence
    AUDIT_READ = "audit.read"
    WEBHOOKS_MANAGE = "webhooks.manage"
    DEMO_OUTBOX = "demo.outbox"
    # merged features (privacy, safety, improvement, experiments): granted in the block below
    CUSTOMERS_CONSENTS = "customers.consents"  # read and record a customer's consents
    COMPLIANCE_READ = "compliance.read"  # regulators' records (one conversation, a window)
    EXPERIMENTS_MANAGE = "experiments.manage"  # list, start, read, stop, roll back
    TRAINING_READ = "training.read"  # training examples, discovered intents, the model registry
    MODELS_MANAGE = "models.manage"  # review examples and clusters, retrain, roll back a model
    INTEGRATIONS_MANAGE = "integrations.manage"  # connectors to the company's systems


_AGENT = {
    Perm.CONVERSATIONS_READ,
    Perm.CONVERSATIONS_HANDLE,
    Perm.QUEUE_READ,
    Perm.CUSTOMERS_READ,
    Perm.STAFF_READ,
    Perm.STAFF_PRESENCE,
    Perm.ARTICLES_READ,
}
_SUPERVISOR = _AGENT | {
    Perm.CONVERSATIONS_SUPERVISE,
    Perm.CONVERSATIONS_TAKEOVER,
    Perm.ARTICLES_WRITE,
    Perm.ANALYTICS_READ,
    Perm.QUALITY_CONVERSATION,
    Perm.DEMO_OUTBOX,
}
_ADMIN = _SUPERVISOR | {
    Perm.CUSTOMERS_WRITE,
    Perm.CUSTOMERS_PRIVACY,
    Perm.STAFF_MANAGE,
    Perm.AUDIT_READ,
    Perm.WEBHOOKS_MANAGE,
}
# Least privilege: the auditor reads the trail and the numbers, never a transcript or a profile,
# and cannot act on anything.
_AUDITOR = {Perm.STAFF_READ, Perm.ARTICLES_READ, Perm.ANALYTICS_READ, Perm.AUDIT_READ}

# ---- merged features: privacy, compliance, experiments, the learning loop ----
# Supervisors run experiments and read the training data; only admins act on a customer's data
# as a whole (export, erasure) or change the model every conversation is answered with.
_SUPERVISOR |= {
    Perm.CUSTOMERS_CONSENTS,
    Perm.COMPLIANCE_READ,
    Perm.EXPERIMENTS_MANAGE,
    Perm.TRAINING_READ,
}
_ADMIN |= _SUPERVISOR | {Perm.MODELS_MANAGE, Perm.INTEGRATIONS_MANAGE}
_AUDITOR |= {Perm.COMPLIANCE_READ}

GRANTS: dict[str, frozenset[Perm]] = {
    "agent": frozenset(_AGENT),
    "supervisor": frozenset(_SUPERVISOR),
    "admin": frozenset(_ADMIN),
    "auditor": frozenset(_AUDITOR),
}
ROLES = tuple(GRANTS)
# Roles that serve customers: only they can be assigned conversations.
HANDLING_ROLES = ("agent", "supervisor", "admin")


def can(staff: StaffPrincipal, perm: Perm) -> bool:
    return perm in GRANTS.get(staff.role, frozenset())


def check(staff: StaffPrincipal, perm: Perm) -> None:
    if not can(staff, perm):
        roles = " or ".join(r for r, grants in GRANTS.items() if perm in grants)
        raise Forbidden(
            f"This needs the {roles} role ({perm.value}); you are signed in as {staff.role}."
        )


def require(perm: Perm) -> Callable[..., Awaitable[StaffPrincipal]]:
    """A FastAPI dependency: the signed-in staff member, if their role grants ``perm``."""

    async def dependency(
        staff: Annotated[StaffPrincipal, Depends(staff_principal)],
    ) -> StaffPrincipal:
        check(staff, perm)
        return staff

    dependency.__name__ = f"require_{perm.name.lower()}"
    return dependency


# The signed-in staff member, if their role grants the permission (use in signatures).
ConversationReader = Annotated[StaffPrincipal, Depends(require(Perm.CONVERSATIONS_READ))]
ConversationHandler = Annotated[StaffPrincipal, Depends(require(Perm.CONVERSATIONS_HANDLE))]
TakeoverStaff = Annotated[StaffPrincipal, Depends(require(Perm.CONVERSATIONS_TAKEOVER))]
QueueReader = Annotated[StaffPrincipal, Depends(require(Perm.QUEUE_READ))]
CustomerReader = Annotated[StaffPrincipal, Depends(require(Perm.CUSTOMERS_READ))]
CustomerWriter = Annotated[StaffPrincipal, Depends(require(Perm.CUSTOMERS_WRITE))]
PrivacyOfficer = Annotated[StaffPrincipal, Depends(require(Perm.CUSTOMERS_PRIVACY))]
StaffReader = Annotated[StaffPrincipal, Depends(require(Perm.STAFF_READ))]
PresenceStaff = Annotated[StaffPrincipal, Depends(require(Perm.STAFF_PRESENCE))]
StaffManager = Annotated[StaffPrincipal, Depends(require(Perm.STAFF_MANAGE))]
ArticleReader = Annotated[StaffPrincipal, Depends(require(Perm.ARTICLES_READ))]
ArticleWriter = Annotated[StaffPrincipal, Depends(require(Perm.ARTICLES_WRITE))]
AnalyticsReader = Annotated[StaffPrincipal, Depends(require(Perm.ANALYTICS_READ))]
QualityReader = Annotated[StaffPrincipal, Depends(require(Perm.QUALITY_CONVERSATION))]
AuditReader = Annotated[StaffPrincipal, Depends(require(Perm.AUDIT_READ))]
WebhookManager = Annotated[StaffPrincipal, Depends(require(Perm.WEBHOOKS_MANAGE))]
IntegrationManager = Annotated[StaffPrincipal, Depends(require(Perm.INTEGRATIONS_MANAGE))]
OutboxReader = Annotated[StaffPrincipal, Depends(require(Perm.DEMO_OUTBOX))]

ConversationSupervisor = Annotated[StaffPrincipal, Depends(require(Perm.CONVERSATIONS_SUPERVISE))]
ConsentManager = Annotated[StaffPrincipal, Depends(require(Perm.CUSTOMERS_CONSENTS))]
ComplianceReader = Annotated[StaffPrincipal, Depends(require(Perm.COMPLIANCE_READ))]
ExperimentManager = Annotated[StaffPrincipal, Depends(require(Perm.EXPERIMENTS_MANAGE))]
TrainingReader = Annotated[StaffPrincipal, Depends(require(Perm.TRAINING_READ))]
ModelManager = Annotated[StaffPrincipal, Depends(require(Perm.MODELS_MANAGE))]


# ---- object level -----------------------------------------------------------------------


def can_see_conversation(staff: StaffPrincipal, conv: Conversation) -> bool:
    if conv.workspace_id != staff.workspace_id or not can(staff, Perm.CONVERSATIONS_READ):
        return False
    if can(staff, Perm.CONVERSATIONS_SUPERVISE):
        return True
    return conv.team is None or conv.team in staff.teams or conv.assigned_agent_id == staff.agent_id


def check_conversation(staff: StaffPrincipal, conv: Conversation | None) -> Conversation:
    """The conversation if this staff member may see it; 404 otherwise (no existence leak)."""
    if conv is None or not can_see_conversation(staff, conv):
        raise NotFound("Conversation not found.")
    return conv


def visible_conversations(staff: StaffPrincipal) -> Any:
    """A WHERE clause for conversation queries: what ``can_see_conversation`` lets through."""
    clause = Conversation.workspace_id == staff.workspace_id
    if can(staff, Perm.CONVERSATIONS_SUPERVISE):
        return clause
    teams = list(staff.teams)
    scope = or_(
        Conversation.team.is_(None),
        Conversation.team.in_(teams) if teams else false(),
        Conversation.assigned_agent_id == staff.agent_id,
    )
    return clause & scope


def customer_owns(principal: CustomerPrincipal, conv: Conversation | None) -> Conversation:
    """A customer token opens exactly its own conversation."""
    if conv is None:
        raise NotFound("Conversation not found.")
    if conv.customer_token_hash != hash_token(principal.token):
        raise Forbidden("This token does not open this conversation.")
    return conv


def can_handle(staff: StaffPrincipal, conv: Conversation) -> bool:
    """Act on a conversation: its assignee, or a supervisor/admin."""
    return can(staff, Perm.CONVERSATIONS_SUPERVISE) or (
        can(staff, Perm.CONVERSATIONS_HANDLE) and conv.assigned_agent_id == staff.agent_id
    )
