"""The registry of connector kinds: what settings and secrets each takes, how it is built, and
which read-only calls check it (``hybridcx integrations test``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hybridcx.flows.backend import BackendUnavailable, NotSupported
from hybridcx.integrations.http_backend import READ_ONLY, HttpBackend, MappingError, parse_mapping
from hybridcx.integrations.hubspot import DEFAULT_HOST, HubSpotCrm
from hybridcx.integrations.salesforce import API_VERSION as SF_API_VERSION
from hybridcx.integrations.salesforce import SalesforceCrm
from hybridcx.integrations.shopify import API_VERSION, ShopifyBackend


class ConnectorError(ValueError):
    """A connector's configuration is not usable; the message says what to change."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class Probe:
    """What the read-only checks look up: a customer's email and an order number."""

    email: str
    order: str
    now: datetime


@dataclass(frozen=True)
class ConnectorKind:
    name: str
    description: str
    # (settings) -> the normalised settings; raises ConnectorError
    validate: Callable[[Mapping[str, Any]], dict[str, Any]]
    # (settings) -> the secrets it needs, and those it may take
    secrets: Callable[[Mapping[str, Any]], tuple[tuple[str, ...], tuple[str, ...]]]
    build: Callable[[str, Mapping[str, Any], Mapping[str, str]], Any]
    checks: Callable[[Any, Probe], Awaitable[list[Check]]]
    serves_flows: bool = True  # can answer the Tier 1 flows (CompanyBackend)


async def _check(name: str, call: Callable[[], Awaitable[Any]], say: Callable[[Any], str]) -> Check:
    try:
        return Check(name, True, say(await call()))
    except NotSupported as exc:
        return Check(name, True, f"not supported by this system ({exc.detail})")
    except BackendUnavailable as exc:
        return Check(name, False, exc.detail)


def _count(what: str) -> Callable[[Any], str]:
    return lambda found: f"{len(found)} {what} found"


def _found(what: str) -> Callable[[Any], str]:
    return lambda found: f"{what} found" if found else f"answered: no such {what}"


# ---- the no-code HTTP backend -------------------------------------------------------------------


def _validated(model: type[BaseModel], kind: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """A connector's settings checked by its pydantic model: every problem named, or raised."""
    try:
        return model.model_validate(dict(settings)).model_dump()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConnectorError(f"{kind} settings: {problems}") from None


def _http_validate(settings: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(settings) - {"mapping"})
    if unknown:
        raise ConnectorError(f"http connector settings take only 'mapping', not {unknown}")
    try:
        parse_mapping(settings.get("mapping"))
    except MappingError as exc:
        raise ConnectorError(str(exc)) from None
    return {"mapping": dict(settings["mapping"])}


def _http_secrets(settings: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    mapping = parse_mapping(settings.get("mapping"))
    return mapping.spec.auth.secret_names(), ()


def _http_build(name: str, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> HttpBackend:
    return HttpBackend(name, parse_mapping(settings["mapping"]), secrets)


async def _http_checks(backend: HttpBackend, probe: Probe) -> list[Check]:
    calls: dict[str, tuple[Callable[[], Awaitable[Any]], Callable[[Any], str]]] = {
        "find_customer": (lambda: backend.find_customer(probe.email), _found("customer")),
        "orders_for": (lambda: backend.orders_for(probe.email), _count("orders")),
        "order": (lambda: backend.order(probe.order), _found("order")),
        "account_for": (lambda: backend.account_for(probe.email), _found("account")),
        "free_slots": (lambda: backend.free_slots(after=probe.now, limit=3), _count("free slots")),
    }
    checks = []
    for operation in READ_ONLY:
        if not backend.supports(operation):
            checks.append(Check(operation, True, "not mapped (the flows that need it hand off)"))
            continue
        call, say = calls[operation]
        checks.append(await _check(operation, call, say))
    writes = [op for op in backend.mapping.operations if op not in READ_ONLY]
    if writes:
        checks.append(Check("writes", True, f"mapped, not called by a test: {', '.join(writes)}"))
    return checks


# ---- Shopify -----------------------------------------------------------------------------------


class ShopifySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shop: str = Field(
        min_length=1,
        max_length=300,
        description="the shop's name (acme), domain (acme.myshopify.com) or origin URL",
    )
    api_version: str = Field(default=API_VERSION, pattern=r"^\d{4}-\d{2}$")
    timeout_seconds: float = Field(default=5, gt=0, le=30)


def _shopify_validate(settings: Mapping[str, Any]) -> dict[str, Any]:
    return _validated(ShopifySettings, "shopify", settings)


def _shopify_build(
    name: str, settings: Mapping[str, Any], secrets: Mapping[str, str]
) -> ShopifyBackend:
    return ShopifyBackend(
        name,
        str(settings["shop"]),
        secrets["access_token"],
        api_version=str(settings.get("api_version") or API_VERSION),
        timeout_seconds=float(settings.get("timeout_seconds") or 5),
    )


async def _shopify_checks(backend: ShopifyBackend, probe: Probe) -> list[Check]:
    return [
        await _check("shop", backend.shop, lambda shop: f"shop {shop.get('name', '?')!r}"),
        await _check(
            "find_customer", lambda: backend.find_customer(probe.email), _found("customer")
        ),
        await _check("orders_for", lambda: backend.orders_for(probe.email), _count("orders")),
        await _check("order", lambda: backend.order(probe.order), _found("order")),
    ]


# ---- HubSpot (a CRM: tickets on resolve) -------------------------------------------------------


SyncedField = Literal[  # hybridcx.profiles.fieldsync.FIELDS
    "name",
    "phone",
    "vip",
    "lifetime_value",
    "marketing_consent",
    "training_consent",
    "analytics_consent",
    "outreach_consent",
    "language",
    "preferred_channel",
    "contact_hours",
]
ConflictRule = Literal["crm_wins", "hybridcx_wins", "newest_wins"]


class HubSpotSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(default=DEFAULT_HOST, pattern=r"^https?://", max_length=300)
    pipeline: str = Field(default="0", max_length=64, description="the ticket pipeline's id")
    closed_stage: str = Field(default="4", max_length=64, description="its closed stage's id")
    # The stage a ticket goes back to when its conversation is reopened (default: New).
    reopened_stage: str = Field(default="1", min_length=1, max_length=64)
    link_base: str | None = Field(
        default=None, pattern=r"^https?://", max_length=300, description="hybridcx's own URL"
    )
    # The webhook URL exactly as HubSpot calls it (it signs it); behind a proxy the server
    # sees another. Default: the URL the request arrived at.
    webhook_url: str | None = Field(default=None, pattern=r"^https?://", max_length=500)
    timeout_seconds: float = Field(default=10, gt=0, le=60)
    # An event on the contact's timeline for every resolved conversation, from this event
    # template of the operator's HubSpot app (tokens: channel, summary, category, csat,
    # link). None: no timeline events.
    timeline_event_template_id: str | None = Field(default=None, pattern=r"^\d{1,20}$")
    # A customer HubSpot has no contact for gets one (email, name, phone) when a sync needs
    # it: a ticket, a push, a timeline event. False: those go without a contact.
    create_contacts: bool = True
    # customer fields from the CRM, a conflict rule per field (profiles.fieldsync)
    field_rules: dict[SyncedField, ConflictRule] = Field(default_factory=dict)
    properties: dict[SyncedField, Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=dict, description="the HubSpot property each field is read from"
    )


def _hubspot_validate(settings: Mapping[str, Any]) -> dict[str, Any]:
    return _validated(HubSpotSettings, "hubspot", settings)


def _hubspot_build(
    name: str, settings: Mapping[str, Any], secrets: Mapping[str, str]
) -> HubSpotCrm:
    return HubSpotCrm(
        name,
        secrets["access_token"],
        host=str(settings.get("host") or DEFAULT_HOST),
        pipeline=str(settings.get("pipeline") or "0"),
        closed_stage=str(settings.get("closed_stage") or "4"),
        timeout_seconds=float(settings.get("timeout_seconds") or 10),
    )


async def _hubspot_checks(crm: HubSpotCrm, probe: Probe) -> list[Check]:
    return [
        await _check("find_contact", lambda: crm.find_contact(probe.email), _found("contact")),
        await _check(
            "tickets", crm.can_read_tickets, lambda n: "tickets readable" if n else "no tickets yet"
        ),
    ]


# ---- Salesforce (a CRM: cases on resolve) --------------------------------------------------------


class SalesforceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instance_url: str = Field(
        pattern=r"^https://", max_length=300
    )  # https://acme.my.salesforce.com
    api_version: str = Field(default=SF_API_VERSION, pattern=r"^\d{2,3}\.\d$")
    case_status: str = Field(default="Closed", max_length=40)
    case_origin: str = Field(default="Web", max_length=40)
    # The Case's Status when its conversation is reopened (resolved again: ``case_status``).
    reopened_status: str = Field(default="Working", min_length=1, max_length=40)
    # Case fields for the survey answer (custom fields such as CSAT__c); None: only the
    # CaseComment.
    csat_field: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
    nps_field: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
    link_base: str | None = Field(default=None, pattern=r"^https?://", max_length=300)
    timeout_seconds: float = Field(default=10, gt=0, le=60)
    # A CA bundle to trust (an intercepting proxy, a test instance); default: the system's.
    ca_file: str | None = Field(default=None, max_length=500)
    # Customer fields both ways, a conflict rule per field (profiles.fieldsync); the Contact
    # field each is kept in (name: FirstName + LastName, phone: Phone; the others only when
    # mapped, since they are custom fields an org may not have). Field names go into SOQL,
    # so only API names are accepted.
    field_rules: dict[SyncedField, ConflictRule] = Field(default_factory=dict)
    properties: dict[
        SyncedField,
        Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,79}$")],
    ] = Field(default_factory=dict, description="the Contact field each customer field is in")
    # Inbound: poll Contacts changed since the cursor (SystemModstamp), leaving out the last
    # ``poll_lag_seconds`` (transactions still committing in Salesforce).
    poll: bool = False
    # A customer the org has no Contact for gets one (FirstName, LastName, Email, Phone) when
    # a sync needs it: a Case, a push, a callback Task. False: those go without a Contact.
    create_contacts: bool = True
    poll_lag_seconds: int = Field(default=60, ge=0, le=3600)


def _salesforce_validate(settings: Mapping[str, Any]) -> dict[str, Any]:
    return _validated(SalesforceSettings, "salesforce", settings)


def _salesforce_build(
    name: str, settings: Mapping[str, Any], secrets: Mapping[str, str]
) -> SalesforceCrm:
    return SalesforceCrm(
        name,
        secrets["access_token"],
        instance_url=str(settings["instance_url"]),
        api_version=str(settings.get("api_version") or SF_API_VERSION),
        case_status=str(settings.get("case_status") or "Closed"),
        case_origin=str(settings.get("case_origin") or "Web"),
        csat_field=settings.get("csat_field") or None,
        nps_field=settings.get("nps_field") or None,
        timeout_seconds=float(settings.get("timeout_seconds") or 10),
        ca_file=settings.get("ca_file") or None,
    )


async def _salesforce_checks(crm: SalesforceCrm, probe: Probe) -> list[Check]:
    return [
        await _check("find_contact", lambda: crm.find_contact(probe.email), _found("contact")),
        await _check(
            "cases", crm.can_read_cases, lambda n: "cases readable" if n else "no cases yet"
        ),
    ]


KINDS: dict[str, ConnectorKind] = {
    "http": ConnectorKind(
        name="http",
        description="the company's own REST API, through a no-code YAML mapping",
        validate=_http_validate,
        secrets=_http_secrets,
        build=_http_build,
        checks=_http_checks,
    ),
    "shopify": ConnectorKind(
        name="shopify",
        description="a Shopify store: orders, fulfillments and tracking, customers",
        validate=_shopify_validate,
        secrets=lambda _settings: (("access_token",), ("webhook_secret",)),
        build=_shopify_build,
        checks=_shopify_checks,
    ),
    "hubspot": ConnectorKind(
        name="hubspot",
        description="HubSpot CRM: a ticket with the summary for every resolved conversation",
        validate=_hubspot_validate,
        secrets=lambda _settings: (("access_token",), ("client_secret",)),
        build=_hubspot_build,
        checks=_hubspot_checks,
        serves_flows=False,
    ),
    "salesforce": ConnectorKind(
        name="salesforce",
        description="Salesforce: a Case with the summary for every resolved conversation",
        validate=_salesforce_validate,
        secrets=lambda _settings: (("access_token",), ()),
        build=_salesforce_build,
        checks=_salesforce_checks,
        serves_flows=False,
    ),
}
# Kinds that receive resolved conversations (hybridcx.integrations.sync).
CRM_KINDS = frozenset(k.name for k in KINDS.values() if not k.serves_flows)


def kind(name: str) -> ConnectorKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ConnectorError(
            f"unknown connector kind {name!r}; use one of {', '.join(KINDS)}"
        ) from None
