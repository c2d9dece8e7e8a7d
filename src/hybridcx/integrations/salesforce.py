"""Salesforce: a Case with the post-contact summary for every resolved conversation, tied to
the customer's Contact (and its Account), through ``simple-salesforce`` (the ``crm`` extra).

It signs in with an OAuth access token (``session_id`` and ``instance_url``, the REST API's
bearer token); the SDK is synchronous (requests), so its calls run in a worker thread, made by
the sync worker (``hybridcx.integrations.sync``), never inside a customer's turn.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hybridcx.flows.backend import BackendUnavailable
from hybridcx.integrations.hubspot import ResolvedCase

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

    def _count_cases(self) -> int:
        found = self.client.query("SELECT Id FROM Case LIMIT 1")
        return int(found.get("totalSize") or 0)

    # ---- async API -----------------------------------------------------------------------------

    async def find_contact(self, email: str) -> dict[str, Any] | None:
        return await self._call("contact query", self._find_contact, email.strip().lower())  # type: ignore[no-any-return]

    async def create_ticket(self, case: ResolvedCase) -> str:
        """The new Case's id, with ContactId and AccountId of the customer's Contact."""
        contact = await self.find_contact(case.email) if case.email else None
        fields = case_fields(case, status=self.status, origin=self.origin)
        if contact:
            fields["ContactId"] = contact["Id"]
            if contact.get("AccountId"):
                fields["AccountId"] = contact["AccountId"]
        return await self._call("case create", self._create_case, fields)  # type: ignore[no-any-return]

    async def can_read_cases(self) -> int:
        return await self._call("case query", self._count_cases)  # type: ignore[no-any-return]
