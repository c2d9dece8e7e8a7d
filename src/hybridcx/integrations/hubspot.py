"""HubSpot: a ticket with the post-contact summary for every resolved conversation, associated
with the customer's contact, through the official ``hubspot-api-client`` (the ``crm`` extra).

The SDK is synchronous (urllib3), so its calls run in a worker thread, off the event loop;
they are made by the sync worker (``hybridcx.integrations.sync``), never inside a customer's
turn. ``host`` points the SDK elsewhere than ``https://api.hubapi.com`` (a proxy, or the tests'
fake, which speaks HubSpot's CRM v3 wire format).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from hybridcx.flows.backend import BackendUnavailable

DEFAULT_HOST = "https://api.hubapi.com"
TICKET_TO_CONTACT = 16  # HubSpot's association type id, ticket -> contact (HUBSPOT_DEFINED)
NOTE_TO_TICKET = 228  # note -> ticket
MAX_SIGNATURE_AGE_MS = 5 * 60 * 1000  # HubSpot: reject requests older than five minutes
# HubSpot decodes these in the URI it signs (v3); everything else stays as sent.
_SIGNED_DECODED = (
    "%3A",
    "%2F",
    "%3F",
    "%40",
    "%21",
    "%24",
    "%27",
    "%28",
    "%29",
    "%2A",
    "%2C",
    "%3B",
)


def signed_uri(uri: str) -> str:
    for escape in _SIGNED_DECODED:
        uri = uri.replace(escape, unquote(escape)).replace(escape.lower(), unquote(escape))
    return uri


def verify_signature_v3(
    client_secret: str,
    *,
    method: str,
    uri: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now_ms: int,
) -> bool:
    """HubSpot's request signature v3: base64(HMAC-SHA256(app client secret, method + URI +
    body + timestamp)) in ``X-HubSpot-Signature-v3``, with ``X-HubSpot-Request-Timestamp`` (ms)
    at most five minutes old. Compared in constant time."""
    if not client_secret or not signature or not timestamp or not timestamp.isdigit():
        return False
    if abs(now_ms - int(timestamp)) > MAX_SIGNATURE_AGE_MS:
        return False
    source = method.upper().encode() + signed_uri(uri).encode() + body + timestamp.encode()
    digest = hmac.new(client_secret.encode(), source, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), signature.strip())


@dataclass(frozen=True)
class ResolvedCase:
    """What a CRM gets for one resolved conversation."""

    conversation_id: str
    email: str | None
    customer_name: str
    channel: str
    summary: str
    category: str | None
    intent: str | None
    link: str | None

    @property
    def subject(self) -> str:
        """The ticket's or case's title: its category (or intent), channel and conversation."""
        topic = (self.category or self.intent or "Support").replace("_", " ").capitalize()
        return f"{topic} ({self.channel}, conversation {self.conversation_id[:8]})"

    @property
    def description(self) -> str:
        """The summary, then what it was about and a link back to the conversation."""
        lines = [self.summary.strip() or "(no summary)", ""]
        if self.category:
            lines.append(f"Category: {self.category}")
        if self.intent:
            lines.append(f"Intent: {self.intent}")
        lines.append(f"Channel: {self.channel}")
        lines.append(f"hybridcx conversation: {self.link or self.conversation_id}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ContactPush:
    """One customer's fields for the CRM contact with ``email``: ``values`` are the CRM's
    properties; ``newest`` the properties sent only when the contact is older than
    ``changed_at``."""

    email: str
    values: dict[str, Any]
    newest: frozenset[str] = field(default_factory=frozenset)
    changed_at: datetime | None = None


@dataclass(frozen=True)
class ContactSeed:
    """A hybridcx customer the CRM has no contact for yet: what its new contact starts with."""

    customer_id: str
    email: str
    name: str
    phone: str | None

    def name_parts(self) -> tuple[str, str]:
        """(first, last): the last word is the last name; no name: the email's local part
        (Salesforce requires a LastName)."""
        first, _, last = self.name.strip().rpartition(" ")
        return first, last or self.email.split("@", 1)[0]


#: HubSpot's answer to a second contact with one email (emails are unique in a portal).
_EXISTING_ID = re.compile(r"Existing ID: ?(\d+)")


@dataclass(frozen=True)
class CallbackTask:
    """A callback the customer booked (after hours), for the CRM's task list."""

    conversation_id: str
    email: str | None
    customer_name: str
    phone: str | None
    at: datetime  # naive UTC
    link: str | None

    @property
    def subject(self) -> str:
        return f"Call back {self.customer_name or 'the customer'}"[:255]

    @property
    def description(self) -> str:
        lines = [
            f"The customer asked to be called back at {self.at.isoformat()}Z"
            + (f" on {self.phone}." if self.phone else "."),
            f"hybridcx conversation: {self.link or self.conversation_id}",
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class CsatNote:
    """The customer's survey answer, for the ticket or Case of its conversation."""

    ticket_id: str
    rating: int | None
    nps: int | None
    via: str
    at: datetime

    @property
    def text(self) -> str:
        parts = [f"CSAT {self.rating}/5" if self.rating is not None else "Survey answered"]
        if self.nps is not None:
            parts.append(f"NPS {self.nps}/10")
        if self.via:
            parts.append(f"by {self.via}")
        return "Customer survey (hybridcx): " + ", ".join(parts) + "."


@dataclass(frozen=True)
class CaseStatus:
    """Where a ticket or Case goes when its conversation is reopened or resolved again: a
    Salesforce Case's Status, a HubSpot ticket's pipeline stage; resolved again, with the new
    summary (``note``) to add, once: ``marker`` (its last line) finds it on a retry."""

    case_id: str
    status: str
    note: str | None = None
    marker: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class TimelineEntry:
    """One resolved conversation as an event on the HubSpot contact's timeline, from the event
    template the operator made in their HubSpot app (its tokens: ``channel``, ``summary``,
    ``category``, ``csat``, ``link``)."""

    event_id: str  # stable per resolve: a retry does not add a second event
    template_id: str
    email: str
    tokens: dict[str, str]
    at: datetime


def ticket_properties(case: ResolvedCase, *, pipeline: str, stage: str) -> dict[str, str]:
    return {
        "subject": case.subject[:250],
        "content": case.description[:10000],
        "hs_pipeline": pipeline,
        "hs_pipeline_stage": stage,
    }


class HubSpotCrm:
    """Creates tickets and finds contacts in one HubSpot portal."""

    def __init__(
        self,
        name: str,
        access_token: str,
        *,
        host: str = DEFAULT_HOST,
        pipeline: str = "0",
        closed_stage: str = "4",
        timeout_seconds: float = 10.0,
    ) -> None:
        try:
            from hubspot import HubSpot
        except ImportError:  # pragma: no cover - the crm extra is not installed
            raise BackendUnavailable(
                name, "hubspot-api-client is not installed (pip install 'hybridcx[crm]')"
            ) from None
        self.name = name
        self.pipeline = pipeline
        self.closed_stage = closed_stage
        self.timeout = timeout_seconds
        self.client = HubSpot(access_token=access_token, host=host.rstrip("/"))

    async def aclose(self) -> None:
        return None

    async def _call(self, what: str, fn: Any, *args: Any) -> Any:
        try:
            return await asyncio.wait_for(asyncio.to_thread(fn, *args), self.timeout + 5)
        except TimeoutError:
            raise BackendUnavailable(self.name, f"{what} timed out") from None
        except Exception as exc:  # the SDK's ApiException per package, urllib3's errors
            status = getattr(exc, "status", None)
            detail = f"{what} answered HTTP {status}" if status else f"{what}: {type(exc).__name__}"
            raise BackendUnavailable(self.name, detail) from None

    # ---- sync calls, run in a thread -----------------------------------------------------------

    def _find_contact(self, email: str) -> dict[str, Any] | None:
        from hubspot.crm.contacts import PublicObjectSearchRequest

        request = PublicObjectSearchRequest(
            filter_groups=[
                {"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}
            ],
            properties=["email", "firstname", "lastname", "phone"],
            limit=1,
        )
        page = self.client.crm.contacts.search_api.do_search(
            public_object_search_request=request, _request_timeout=self.timeout
        )
        results = page.results or []
        return {"id": results[0].id, **(results[0].properties or {})} if results else None

    def _create_ticket(self, properties: dict[str, str], contact_id: str | None) -> str:
        from hubspot.crm.tickets import SimplePublicObjectInputForCreate

        associations = []
        if contact_id:
            associations.append(
                {
                    "to": {"id": contact_id},
                    "types": [
                        {
                            "associationCategory": "HUBSPOT_DEFINED",
                            "associationTypeId": TICKET_TO_CONTACT,
                        }
                    ],
                }
            )
        created = self.client.crm.tickets.basic_api.create(
            simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
                properties=properties, associations=associations
            ),
            _request_timeout=self.timeout,
        )
        return str(created.id)

    def _contact(self, contact_id: str, extra: tuple[str, ...] = ()) -> dict[str, Any] | None:
        from hubspot.crm.contacts.exceptions import NotFoundException

        wanted = ["email", "firstname", "lastname", "phone"]
        wanted += [p for p in extra if p not in wanted]  # the synced fields
        try:
            found = self.client.crm.contacts.basic_api.get_by_id(
                contact_id, properties=wanted, _request_timeout=self.timeout
            )
        except NotFoundException:
            return None
        updated = getattr(found, "updated_at", None)  # newest_wins compares it
        return {"id": found.id, **(found.properties or {}), "_updated_at": updated}

    def _search_updated(self, email: str) -> tuple[str, datetime | None] | None:
        from hubspot.crm.contacts import PublicObjectSearchRequest

        request = PublicObjectSearchRequest(
            filter_groups=[
                {"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}
            ],
            properties=["email"],
            limit=1,
        )
        page = self.client.crm.contacts.search_api.do_search(
            public_object_search_request=request, _request_timeout=self.timeout
        )
        results = page.results or []
        if not results:
            return None
        return str(results[0].id), getattr(results[0], "updated_at", None)

    def _create_contact(self, properties: dict[str, str]) -> str:
        from hubspot.crm.contacts import SimplePublicObjectInputForCreate
        from hubspot.crm.contacts.exceptions import ApiException

        try:
            created = self.client.crm.contacts.basic_api.create(
                simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
                    properties=properties, associations=[]
                ),
                _request_timeout=self.timeout,
            )
        except ApiException as exc:
            # an earlier attempt (or someone in HubSpot) made it: that one is the contact
            found = _EXISTING_ID.search(str(exc.body or "")) if exc.status == 409 else None
            if found is None:
                raise
            return found.group(1)
        return str(created.id)

    def _update_contact(self, contact_id: str, properties: dict[str, str]) -> None:
        from hubspot.crm.contacts import SimplePublicObjectInput

        self.client.crm.contacts.basic_api.update(
            contact_id,
            simple_public_object_input=SimplePublicObjectInput(properties=properties),
            _request_timeout=self.timeout,
        )

    def _gdpr_delete(self, email: str) -> bool:
        from hubspot.crm.contacts import PublicGdprDeleteInput
        from hubspot.crm.contacts.exceptions import NotFoundException

        try:
            self.client.crm.contacts.basic_api.purge(
                public_gdpr_delete_input=PublicGdprDeleteInput(
                    object_id=email, id_property="email"
                ),
                _request_timeout=self.timeout,
            )
        except NotFoundException:
            return False  # older portals: no such contact, nothing to forget
        return True

    def _create_note(self, ticket_id: str, body: str, at: datetime) -> str:
        from hubspot.crm.objects.notes import SimplePublicObjectInputForCreate

        stamp = at.replace(tzinfo=UTC) if at.tzinfo is None else at
        created = self.client.crm.objects.notes.basic_api.create(
            simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
                properties={"hs_note_body": body, "hs_timestamp": stamp.isoformat()},
                associations=[
                    {
                        "to": {"id": ticket_id},
                        "types": [
                            {
                                "associationCategory": "HUBSPOT_DEFINED",
                                "associationTypeId": NOTE_TO_TICKET,
                            }
                        ],
                    }
                ],
            ),
            _request_timeout=self.timeout,
        )
        return str(created.id)

    def _create_timeline_event(self, entry: TimelineEntry, contact_id: str) -> str:
        from hubspot.crm.timeline import TimelineEvent
        from hubspot.crm.timeline.exceptions import ApiException

        stamp = entry.at.replace(tzinfo=UTC) if entry.at.tzinfo is None else entry.at
        event = TimelineEvent(
            id=entry.event_id,
            event_template_id=entry.template_id,
            object_id=contact_id,
            tokens=entry.tokens,
            timestamp=stamp,
        )
        try:
            created = self.client.crm.timeline.events_api.create(
                timeline_event=event, _request_timeout=self.timeout
            )
        except ApiException as exc:
            if exc.status == 409:  # an earlier attempt created it (events are immutable)
                return entry.event_id
            raise
        return str(created.id)

    def _ticket_notes(self, ticket_id: str) -> list[str]:
        from hubspot.crm.objects.notes import PublicObjectSearchRequest

        request = PublicObjectSearchRequest(
            filter_groups=[
                {
                    "filters": [
                        {
                            "propertyName": "associations.ticket",
                            "operator": "EQ",
                            "value": ticket_id,
                        }
                    ]
                }
            ],
            properties=["hs_note_body"],
            limit=100,
        )
        page = self.client.crm.objects.notes.search_api.do_search(
            public_object_search_request=request, _request_timeout=self.timeout
        )
        return [str((n.properties or {}).get("hs_note_body") or "") for n in page.results or []]

    def _update_ticket(self, ticket_id: str, properties: dict[str, str]) -> None:
        from hubspot.crm.tickets import SimplePublicObjectInput

        self.client.crm.tickets.basic_api.update(
            ticket_id,
            simple_public_object_input=SimplePublicObjectInput(properties=properties),
            _request_timeout=self.timeout,
        )

    def _first_tickets(self) -> int:
        page = self.client.crm.tickets.basic_api.get_page(limit=1, _request_timeout=self.timeout)
        return len(page.results or [])

    # ---- async API -----------------------------------------------------------------------------

    async def find_contact(self, email: str) -> dict[str, Any] | None:
        return await self._call("contact search", self._find_contact, email.strip().lower())  # type: ignore[no-any-return]

    async def contact(self, contact_id: str, extra: tuple[str, ...] = ()) -> dict[str, Any] | None:
        """The contact's email, names and phone, and the ``extra`` properties (a webhook names
        only its id)."""
        return await self._call("contact read", self._contact, contact_id, extra)  # type: ignore[no-any-return]

    async def ensure_contact(self, seed: ContactSeed) -> tuple[str, bool]:
        """The id of the contact with the seed's email, created with its name and phone when
        HubSpot has none; (id, whether it was created). Safe to repeat: HubSpot keeps one
        contact per email, and a second create answers 409 with the first one's id."""
        found = await self.find_contact(seed.email)
        if found is not None:
            return str(found["id"]), False
        first, last = seed.name_parts()
        properties = {"email": seed.email.strip().lower(), "firstname": first, "lastname": last}
        if seed.phone:
            properties["phone"] = seed.phone
        made = await self._call("contact create", self._create_contact, properties)
        return str(made), True

    async def create_ticket(self, case: ResolvedCase, contact_id: str | None = None) -> str:
        """The new ticket's id, associated with the customer's contact (``contact_id``, or the
        one with the case's email) when there is one."""
        if contact_id is None and case.email:
            contact = await self.find_contact(case.email)
            contact_id = str(contact["id"]) if contact else None
        properties = ticket_properties(case, pipeline=self.pipeline, stage=self.closed_stage)
        return await self._call(  # type: ignore[no-any-return]
            "ticket create", self._create_ticket, properties, contact_id
        )

    async def push_contact(
        self, push: ContactPush, contact: tuple[str, bool] | None = None
    ) -> str | None:
        """Update the customer's contact: ``contact`` (its id, and whether this attempt created
        it: then it gets every value, nothing in it being newer than hybridcx's), else the one
        with the push's email. The contact's id, or None when HubSpot has no such contact."""
        if contact is not None and contact[1]:
            values = {k: str(v) for k, v in push.values.items()}
            await self._call("contact update", self._update_contact, contact[0], values)
            return contact[0]
        found: tuple[str, datetime | None] | None = None
        if contact is not None:  # by its id: HubSpot's search trails its writes
            read = await self.contact(contact[0])
            found = (contact[0], read.get("_updated_at")) if read is not None else None
        if found is None:
            found = await self._call("contact search", self._search_updated, push.email)
        if found is None:
            return None
        contact_id, updated = found
        properties = {k: str(v) for k, v in push.values.items() if k not in push.newest}
        if not _newer(updated, push.changed_at):  # newest_wins: the contact is older
            properties.update({k: str(v) for k, v in push.values.items() if k in push.newest})
        if properties:
            await self._call("contact update", self._update_contact, contact_id, properties)
        return str(contact_id)

    async def add_csat(self, note: CsatNote) -> str:
        """A note with the survey answer on the conversation's ticket; the note's id."""
        return await self._call(  # type: ignore[no-any-return]
            "note create", self._create_note, note.ticket_id, note.text, note.at
        )

    async def set_case_status(self, change: CaseStatus) -> str:
        """The ticket's pipeline stage, as its conversation is now (repeating it is a no-op),
        then the new summary as a note on it unless an earlier attempt added it."""
        await self._call(
            "ticket update",
            self._update_ticket,
            change.case_id,
            {"hs_pipeline_stage": change.status},
        )
        if change.note and change.marker:
            notes = await self._call("note search", self._ticket_notes, change.case_id)
            if not any(change.marker in body for body in notes):
                await self._call(
                    "note create",
                    self._create_note,
                    change.case_id,
                    change.note,
                    change.at or datetime.now(UTC),
                )
        return change.case_id

    async def add_timeline_event(
        self, entry: TimelineEntry, contact_id: str | None = None
    ) -> str | None:
        """The event on the timeline of the contact (``contact_id``, or the one with the
        entry's email); its id, or None when HubSpot has no such contact."""
        if contact_id is None:
            contact = await self.find_contact(entry.email)
            if contact is None:
                return None
            contact_id = str(contact["id"])
        return await self._call(  # type: ignore[no-any-return]
            "timeline event create", self._create_timeline_event, entry, contact_id
        )

    async def forget_contact(self, emails: list[str]) -> str:
        """HubSpot's GDPR delete for each email: the contact and its history go (the tickets
        stay, without it), and an email HubSpot does not have is blocklisted so it is not
        collected again. What it did, for the sync's record."""
        deleted = 0
        for email in emails:
            deleted += await self._call("gdpr delete", self._gdpr_delete, email)
        return f"gdpr-deleted {deleted} of {len(emails)}"

    async def can_read_tickets(self) -> int:
        return await self._call("ticket list", self._first_tickets)  # type: ignore[no-any-return]


def _newer(crm_at: datetime | None, ours: datetime | None) -> bool:
    """Whether the CRM's record changed after hybridcx's (naive UTC on hybridcx's side)."""
    if crm_at is None or ours is None:
        return False
    if crm_at.tzinfo is not None:
        crm_at = crm_at.astimezone(UTC).replace(tzinfo=None)
    return crm_at > ours
