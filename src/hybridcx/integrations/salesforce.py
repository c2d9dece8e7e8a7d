"""Salesforce: a Case with the post-contact summary for every resolved conversation, tied to
the customer's Contact (and its Account), through ``simple-salesforce`` (the ``crm`` extra).

It signs in with an OAuth access token (``session_id`` and ``instance_url``, the REST API's
bearer token); the SDK is synchronous (requests), so its calls run in a worker thread, made by
the sync worker (``hybridcx.integrations.sync``), never inside a customer's turn.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from hybridcx.flows.backend import BackendUnavailable
from hybridcx.integrations.hubspot import (
    CallbackTask,
    CaseStatus,
    ContactPush,
    ContactSeed,
    CsatNote,
    ResolvedCase,
    _newer,
)

API_VERSION = "59.0"


def _timeout_adapter_class() -> Any:
    from requests.adapters import HTTPAdapter

    class TimeoutAdapter(HTTPAdapter):
        """Every request gets the timeout, and the configured CA bundle wins over
        REQUESTS_CA_BUNDLE (which requests would otherwise prefer to the session's)."""

        def __init__(self, timeout: float, ca_file: str | None) -> None:
            super().__init__(max_retries=0)
            self.timeout = timeout
            self.ca_file = ca_file

        def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            kwargs["timeout"] = kwargs.get("timeout") or self.timeout
            if self.ca_file:
                kwargs["verify"] = self.ca_file
            return super().send(request, **kwargs)

    return TimeoutAdapter


def _TimeoutAdapter(timeout: float, ca_file: str | None) -> Any:  # noqa: N802 (requests is optional)
    return _timeout_adapter_class()(timeout, ca_file)


def case_fields(case: ResolvedCase, *, status: str, origin: str) -> dict[str, Any]:
    return {
        "Subject": case.subject[:255],
        "Description": case.description[:32000],
        "Status": status,
        "Origin": origin,
    }


class SalesforceCrm:
    """Finds Contacts and creates Cases in one Salesforce org."""

    def __init__(
        self,
        name: str,
        access_token: str,
        *,
        instance_url: str,
        api_version: str = API_VERSION,
        case_status: str = "Closed",
        case_origin: str = "Web",
        csat_field: str | None = None,
        nps_field: str | None = None,
        timeout_seconds: float = 10.0,
        ca_file: str | None = None,
    ) -> None:
        try:
            import requests
            from simple_salesforce import Salesforce
        except ImportError:  # pragma: no cover - the crm extra is not installed
            raise BackendUnavailable(
                name, "simple-salesforce is not installed (pip install 'hybridcx[crm]')"
            ) from None
        self.name = name
        self.status = case_status
        self.origin = case_origin
        self.csat_field = csat_field
        self.nps_field = nps_field
        self.timeout = timeout_seconds
        http = requests.Session()
        adapter = _TimeoutAdapter(timeout_seconds, ca_file)  # every request, creates too
        http.mount("https://", adapter)
        http.mount("http://", adapter)
        self.client = Salesforce(
            instance_url=instance_url,
            session_id=access_token,
            version=api_version,
            session=http,
        )

    async def aclose(self) -> None:
        await asyncio.to_thread(self.client.session.close)

    async def _call(self, what: str, fn: Any, *args: Any) -> Any:
        try:
            return await asyncio.wait_for(asyncio.to_thread(fn, *args), self.timeout + 5)
        except TimeoutError:
            raise BackendUnavailable(self.name, f"{what} timed out") from None
        except Exception as exc:  # SalesforceError subclasses, requests' errors
            status = getattr(exc, "status", None)
            detail = f"{what} answered HTTP {status}" if status else f"{what}: {type(exc).__name__}"
            raise BackendUnavailable(self.name, detail) from None

    # ---- sync calls, run in a thread -----------------------------------------------------------

    def _find_contact(self, email: str) -> dict[str, Any] | None:
        from simple_salesforce import format_soql

        soql = format_soql(
            "SELECT Id, AccountId, Name, Email, Phone FROM Contact WHERE Email = {} LIMIT 1", email
        )
        found = self.client.query(soql)
        records = found.get("records") or []
        return dict(records[0]) if records else None

    def _create_case(self, fields: dict[str, Any]) -> str:
        cases: Any = self.client.Case  # the sObject API (typed loosely by the SDK)
        created = cases.create(fields)
        if not created.get("success", False) or not created.get("id"):
            raise RuntimeError("case not created")
        return str(created["id"])

    def _contacts_by_email(self, email: str) -> list[dict[str, Any]]:
        from simple_salesforce import format_soql

        soql = format_soql(
            "SELECT Id, SystemModstamp FROM Contact WHERE Email = {} LIMIT 20", email
        )
        return list(self.client.query(soql).get("records") or [])

    def _create_contact(self, fields: dict[str, Any]) -> str:
        contacts: Any = self.client.Contact
        created = contacts.create(fields)
        if not created.get("success", False) or not created.get("id"):
            raise RuntimeError("contact not created")
        return str(created["id"])

    def _update_contact(self, contact_id: str, fields: dict[str, Any]) -> None:
        contacts: Any = self.client.Contact
        contacts.update(contact_id, fields)

    def _changed_since(
        self, fields: list[str], stamp: str, last_id: str, until: str, limit: int
    ) -> list[dict[str, Any]]:
        from simple_salesforce import format_soql

        # (SystemModstamp, Id) is the cursor: contacts sharing a stamp are never skipped or
        # read twice across pages. The stamps are SOQL datetime literals, not strings.
        soql = (
            f"SELECT Id, Email, FirstName, LastName, {', '.join(fields) + ', ' if fields else ''}"
            "SystemModstamp FROM Contact WHERE "
            f"(SystemModstamp > {stamp} OR (SystemModstamp = {stamp} AND Id > "
            + format_soql("{}", last_id)
            + f")) AND SystemModstamp <= {until} ORDER BY SystemModstamp, Id LIMIT {int(limit)}"
        )
        return list(self.client.query(soql).get("records") or [])

    def _create_task(self, fields: dict[str, Any]) -> str:
        tasks: Any = self.client.Task
        created = tasks.create(fields)
        if not created.get("success", False) or not created.get("id"):
            raise RuntimeError("task not created")
        return str(created["id"])

    def _create_comment(self, case_id: str, body: str) -> str:
        comments: Any = self.client.CaseComment
        created = comments.create({"ParentId": case_id, "CommentBody": body, "IsPublished": False})
        if not created.get("success", False) or not created.get("id"):
            raise RuntimeError("case comment not created")
        return str(created["id"])

    def _case_comments(self, case_id: str) -> list[str]:
        from simple_salesforce import format_soql

        soql = format_soql("SELECT Id, CommentBody FROM CaseComment WHERE ParentId = {}", case_id)
        return [str(r.get("CommentBody") or "") for r in self.client.query_all(soql)["records"]]

    def _update_case(self, case_id: str, fields: dict[str, Any]) -> None:
        cases: Any = self.client.Case
        cases.update(case_id, fields)

    def _count_cases(self) -> int:
        found = self.client.query("SELECT Id FROM Case LIMIT 1")
        return int(found.get("totalSize") or 0)

    # ---- async API -----------------------------------------------------------------------------

    async def find_contact(self, email: str) -> dict[str, Any] | None:
        return await self._call("contact query", self._find_contact, email.strip().lower())  # type: ignore[no-any-return]

    async def ensure_contact(self, seed: ContactSeed) -> tuple[str, bool]:
        """The id of the Contact with the seed's email, created (FirstName, LastName, Email,
        Phone) when the org has none; (id, whether it was created). Safe to repeat: a retry
        finds the Contact an earlier attempt created (SOQL reads what is committed)."""
        found = await self.find_contact(seed.email)
        if found is not None:
            return str(found["Id"]), False
        first, last = seed.name_parts()
        fields: dict[str, Any] = {
            "FirstName": first or None,
            "LastName": last[:80],
            "Email": seed.email.strip().lower(),
        }
        if seed.phone:
            fields["Phone"] = seed.phone
        return str(await self._call("contact create", self._create_contact, fields)), True

    async def create_ticket(self, case: ResolvedCase, contact_id: str | None = None) -> str:
        """The new Case's id, with ContactId and AccountId of the customer's Contact (the one
        with the case's email; ``contact_id`` is only a hint, the query reads AccountId)."""
        contact = await self.find_contact(case.email) if case.email else None
        fields = case_fields(case, status=self.status, origin=self.origin)
        if contact:
            fields["ContactId"] = contact["Id"]
            if contact.get("AccountId"):
                fields["AccountId"] = contact["AccountId"]
        elif contact_id:
            fields["ContactId"] = contact_id
        return await self._call("case create", self._create_case, fields)  # type: ignore[no-any-return]

    async def push_contact(
        self, push: ContactPush, contact: tuple[str, bool] | None = None
    ) -> str | None:
        """Update every Contact with the push's email; the first one's id, or None when there
        is none. ``contact``: (id, created by this attempt): a new Contact gets every value."""
        if contact is not None and contact[1]:
            await self._call("contact update", self._update_contact, contact[0], push.values)
            return contact[0]
        contacts = await self._call("contact query", self._contacts_by_email, push.email)
        for record in contacts:
            fields = {k: v for k, v in push.values.items() if k not in push.newest}
            if not _newer(sf_time(record.get("SystemModstamp")), push.changed_at):
                fields.update({k: v for k, v in push.values.items() if k in push.newest})
            if fields:
                await self._call("contact update", self._update_contact, record["Id"], fields)
        return str(contacts[0]["Id"]) if contacts else None

    async def create_callback(self, callback: CallbackTask) -> str:
        """A Task due at the callback's time, with a reminder then, on the customer's Contact
        (``WhoId``) when there is one; the Task's id."""
        contact = await self.find_contact(callback.email) if callback.email else None
        fields: dict[str, Any] = {
            "Subject": callback.subject,
            "Description": callback.description[:32000],
            "ActivityDate": callback.at.date().isoformat(),
            "IsReminderSet": True,
            "ReminderDateTime": callback.at.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "Status": "Not Started",
            "Priority": "High",
        }
        if contact:
            fields["WhoId"] = contact["Id"]
        return await self._call("task create", self._create_task, fields)  # type: ignore[no-any-return]

    async def add_csat(self, note: CsatNote) -> str:
        """The survey answer in the Case's configured CSAT (and NPS) fields, then as a private
        CaseComment. The field update comes first: it is safe to repeat if the comment
        fails and the sync is retried."""
        fields: dict[str, Any] = {}
        if self.csat_field and note.rating is not None:
            fields[self.csat_field] = note.rating
        if self.nps_field and note.nps is not None:
            fields[self.nps_field] = note.nps
        if fields:
            await self._call("case update", self._update_case, note.ticket_id, fields)
        return await self._call(  # type: ignore[no-any-return]
            "case comment create", self._create_comment, note.ticket_id, note.text
        )

    async def set_case_status(self, change: CaseStatus) -> str:
        """The Case's Status, as its conversation is now (the same value twice is a no-op),
        then the new summary as a private CaseComment unless an earlier attempt added it
        (CommentBody cannot be filtered in SOQL: the Case's comments are read)."""
        await self._call(
            "case update", self._update_case, change.case_id, {"Status": change.status}
        )
        if change.note and change.marker:
            comments = await self._call("case comment query", self._case_comments, change.case_id)
            if not any(change.marker in body for body in comments):
                await self._call(
                    "case comment create", self._create_comment, change.case_id, change.note
                )
        return change.case_id

    async def forget_contact(self, emails: list[str], extra_fields: tuple[str, ...] = ()) -> str:
        """Anonymise every Contact with one of these emails (Salesforce has no GDPR delete in its
        REST API, and a Contact with Cases may not be deletable): the name becomes "Erased",
        the email, phones and mapped fields are emptied. The Cases stay, without the person."""
        done = 0
        for email in emails:
            for contact in await self._call("contact query", self._contacts_by_email, email):
                fields: dict[str, Any] = {
                    "FirstName": None,
                    "LastName": "Erased",
                    "Email": None,
                    "Phone": None,
                    "MobilePhone": None,
                    "Description": None,
                    **{f: None for f in extra_fields},
                }
                await self._call("contact anonymise", self._update_contact, contact["Id"], fields)
                done += 1
        return f"anonymised {done} contact(s)"

    async def changed_contacts(
        self, fields: list[str], *, after: tuple[datetime, str], until: datetime, limit: int = 200
    ) -> list[dict[str, Any]]:
        """Contacts whose SystemModstamp is after the cursor and at most ``until``, oldest
        first."""
        return await self._call(  # type: ignore[no-any-return]
            "contact poll",
            self._changed_since,
            fields,
            _soql_time(after[0]),
            after[1],
            _soql_time(until),
            limit,
        )

    async def can_read_cases(self) -> int:
        return await self._call("case query", self._count_cases)  # type: ignore[no-any-return]


def _soql_time(at: datetime) -> str:
    """A SOQL datetime literal (UTC, milliseconds dropped: SystemModstamp has seconds)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def sf_time(value: Any) -> datetime | None:
    """Salesforce's ``2026-12-07T18:00:00.000+0000`` as naive UTC."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
