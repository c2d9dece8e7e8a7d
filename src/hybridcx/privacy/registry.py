"""The registry of personal-data stores: every table and file store that holds personal data
says how it is erased, how retention applies to it and how it is exported.

Erasure, retention and export run what is registered here, in ``order``, and
``tests/privacy/test_registry.py`` fails when a table of ``Base.metadata`` (or a known file
store) is neither registered nor listed in :data:`NO_PERSONAL_DATA` with a reason. A store
that does not take part in one of the three says why, with :class:`Skip`.

Stores register at import time (``register_store``); the built-in ones live in
``hybridcx.privacy.stores``, others next to the module that owns the data (training sets in
``hybridcx.improvement.erasure``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from hybridcx.kit.deps import HasDataDir
    from hybridcx.models import Customer


@dataclass(frozen=True)
class Skip:
    """This store does not take part in erasure, retention or export, and why."""

    reason: str


@dataclass
class ErasureContext:
    """One erasure, inside its transaction. ``conversation_ids`` are the customer's
    conversations; ``pseudonym`` is the tombstone customer they are re-pointed at."""

    session: AsyncSession
    runtime: HasDataDir
    workspace_id: str
    customer: Customer
    conversation_ids: list[str]
    pseudonym: str

    @property
    def customer_id(self) -> str:
        return self.customer.id

    @property
    def data_dir(self) -> Path | None:
        return self.runtime.settings.data_dir.resolve()


@dataclass
class RetentionContext:
    """One batch of retention, inside its transaction: ``conversation_ids`` are resolved
    conversations of the workspace that ended before ``cutoff`` and still have a transcript.
    The last call of a run has no conversations: stores with rows that outlive the
    transcript (mail records of ignored mail, late drafts) sweep by ``cutoff`` then."""

    session: AsyncSession
    runtime: HasDataDir
    workspace_id: str
    cutoff: datetime
    conversation_ids: list[str]

    @property
    def data_dir(self) -> Path | None:
        return self.runtime.settings.data_dir.resolve()


@dataclass
class ExportContext:
    session: AsyncSession
    runtime: HasDataDir | None
    workspace_id: str
    customer: Customer
    conversation_ids: list[str]
    # The document being built: each store adds its section, or adds to a conversation.
    document: dict[str, Any] = field(default_factory=dict)
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        """The exported conversation with this id (messages, events... go inside it)."""
        return self.conversations.setdefault(conversation_id, {"id": conversation_id})

    @property
    def data_dir(self) -> Path | None:
        return self.runtime.settings.data_dir.resolve() if self.runtime is not None else None


EraseFn = Callable[[ErasureContext], Awaitable[Any]]
RetainFn = Callable[[RetentionContext], Awaitable[int]]
ExportFn = Callable[[ExportContext], Awaitable[None]]


@dataclass(frozen=True)
class PersonalDataStore:
    """A table (``kind="table"``, ``name`` its table name) or a file store (``kind="files"``,
    ``name`` its folder under the data dir) holding personal data.

    - ``erase``: run by every erasure; returns a count or a note for the request's steps.
    - ``retain``: run by the retention job for each batch of expired conversations.
    - ``export``: adds the store's data to the customer's export document (``ctx.document``).
    """

    name: str
    kind: Literal["table", "files"]
    holds: str
    erase: EraseFn | Skip
    retain: RetainFn | Skip
    export: ExportFn | Skip
    # Erasure and export run in this order: readers of data others delete go first (the
    # attachments listed in the messages), the customer row last.
    order: int = 50


_STORES: dict[str, PersonalDataStore] = {}


def register_store(store: PersonalDataStore) -> PersonalDataStore:
    """Add (or replace, so module reloads stay idempotent) a store."""
    _STORES[store.name] = store
    return store


def registered_stores() -> list[PersonalDataStore]:
    """Every store, in erasure order (then by name)."""
    _load_builtin()
    return sorted(_STORES.values(), key=lambda s: (s.order, s.name))


def _load_builtin() -> None:
    # The built-in stores import the models; loading them on first use keeps this module
    # importable from anywhere.
    import hybridcx.privacy.stores  # noqa: F401


#: Tables that hold no personal data, and why; ``tests/privacy/test_registry.py`` requires
#: every table to be here or registered, never both.
NO_PERSONAL_DATA: dict[str, str] = {
    "workspaces": "a tenant's name and slug: the company, not a person",
    "inboxes": "channel configuration (name, key, widget secret, team)",
    "articles": "knowledge articles the company writes; no customer data",
    "experiments": "experiment definitions and aggregate results; assignments are their own store",
    "webhook_endpoints": "the workspace's subscriber URLs and signing secrets",
    "integration_connectors": "how the company's own systems are reached (URLs, mappings) and "
    "their API credentials, sealed; no customer data",
    "kpi_watermarks": "per-workspace progress of the KPI rollup (a sequence number)",
    "alembic_version": "the revision id of the database schema",
    "sso_providers": "a workspace's OpenID Connect settings (issuer, client, claim mapping)",
    # macros and automation rules
    "macros": "saved replies and their actions, written by supervisors; placeholders are filled "
    "only when applied, so no customer data is stored",
    "automation_rules": "a workspace's rules (trigger, conditions, actions); no customer data",
    "automation_firings": "which rule fired for which conversation (by id) and when; no text",
    "automation_cursors": "how far the rule engine has read the event log (sequence numbers)",
    "tags": "a workspace's tag names; the tags on customers and conversations are their own stores",
    "custom_field_definitions": "a workspace's custom field names and types; the "
    "values are their own store",
    "oidc_logins": "in-flight SSO sign-ins (state, nonce, PKCE verifier), deleted when used or "
    "expired; no identity until the provider answers",
    "business_hours": "a workspace's or team's opening hours and idle-close setting",
    "sla_policies": "a workspace's response-time targets by tier, channel and VIP",
    # proactive outreach
    "outreach_campaigns": "a workspace's outreach campaigns (signal, channels, templates); "
    "templates are filled only when sent, so no customer data is stored",
    "outreach_sends": "which customer (by id) got which campaign's notice on which channel and "
    "when, with a keyed hash of the signal occurrence; no text (the notice is a message of the "
    "conversation, whose store erases it)",
    # agent scripts
    "scripts": "a workspace's agent scripts (steps, wording with placeholders), written by "
    "supervisors; placeholders are filled only in the desk, so no customer data is stored",
    "script_settings": "whether a required script step left undone blocks or warns at resolve",
}

#: Tables with personal data of staff, not of the contact centre's customers: erasure and
#: export are data subject requests of customers. Staff accounts are managed with
#: ``hybridcx staff``; each entry says what it holds.
STAFF_DATA: dict[str, str] = {
    "agents": "staff name, email, password hash, sealed TOTP secret, hashed recovery codes, "
    "OIDC subject: removed with the staff account",
    "staff_tokens": "hashed bearer tokens, deleted when they expire",
    "mfa_challenges": "hashed tokens of password sign-ins waiting for their TOTP code, "
    "deleted when used or expired",
    "sso_handoffs": "hashed one-time codes a staff page trades for its token after single "
    "sign-on, deleted when used or expired",
    "agent_presence": "live desk connections, deleted when they go stale",
    "agent_shifts": "staffed time per agent for occupancy KPIs",
    "server_processes": "running server processes (host name, process id, start and last "
    "heartbeat) that answer leases name; a row is removed when its process exits",
    "login_failures": "failed staff sign-ins (hashed email, time) for the login throttle; "
    "deleted once older than the throttle window",
    "quality_scores": "each finished conversation's quality score: the handling agent's id and "
    "criterion scores and coaching notes about their work (a note may quote the AI's answer); no "
    "customer text (evidence is message ids), the customer only through the conversation id",
    "audit_log": "append-only record of staff actions (actor ids, client IPs). It never holds "
    "customer content: customers appear as ids or the keyed hash an erasure keeps, which "
    "point at no one after an erasure",
}

#: What else the server keeps under its data dir (a file or a top-level folder), and why it
#: holds no customer data that erasure, retention or export would have to reach.
NO_PERSONAL_DATA_FILES: dict[str, str] = {
    "hybridcx.db": "the SQLite database: its tables are covered one by one above",
    "hybridcx.db-wal": "the SQLite write-ahead log (the same tables)",
    "hybridcx.db-shm": "the SQLite shared-memory index of the write-ahead log",
    "hybridcx.db-journal": "the SQLite rollback journal (the same tables)",
    "keys.json": "the encryption keys (0600); no data",
    "policies": "per-workspace policy files written by operators",
    "nlu": "the intent model trained from the bundled demo intents",
    "nlu-registry": "intent model versions; their training_data.csv holds accepted training "
    "examples (PII removed with redact_for_training, consenting customers only), kept as "
    "immutable snapshots so a version can be reproduced; an erased customer's examples leave "
    "the next trained version",
    "routing": "routing outcome models: per-agent and per-feature statistics, no customer ids",
    "models": "downloaded speech models",
    "calls": "written only by `hybridcx speech call`, the operator's local phone simulator "
    "(the AI's synthesized replies), never by the server",
}
