"""Customer fields from a CRM into hybridcx, with a conflict rule per field.

A CRM contact (read back from the CRM when its webhook names it) is applied to the hybridcx
customer with the same email, field by field, by the connector's ``field_rules``:

- ``crm_wins`` (the default): the CRM's value replaces hybridcx's;
- ``hybridcx_wins``: hybridcx keeps its value (the CRM's is ignored);
- ``newest_wins``: the CRM's value replaces hybridcx's only when the contact changed after the
  customer did (the contact's ``updatedAt`` against the customer's ``updated_at``; for a
  consent, against the time that consent was recorded; for a preference, against the time the
  preferences were).

The preferences (``customers.preferences``: channel, language, contact hours) travel as text,
since a CRM property is one value: the channel as one of ``webchat``, ``email``, ``sms``,
``voice``; the language as a short BCP-47 tag; the contact hours as
``mon,tue,wed,thu,fri 09:00-17:00 Europe/Paris`` (days, a span, an IANA time zone). A value
hybridcx cannot read is left out, as a blank one is.

The same contact twice changes nothing (idempotent). Each application that changes something is
an audit entry (``customer.updated``, actor type ``integration``) naming the fields changed and
the fields a rule kept, with the source: the sync's event.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.audit import record as audit
from hybridcx.customers.repository import find_customer_by_email
from hybridcx.kit.ids import utcnow
from hybridcx.kit.normalize import to_e164
from hybridcx.kit.time import iso
from hybridcx.models import Customer, IntegrationConnector
from hybridcx.privacy.consent import PURPOSES, read_consents, updated_consents
from hybridcx.profiles.preferences import (
    CONTACT_CHANNELS,
    DAYS,
    ContactHours,
    Preferences,
    read_preferences,
)
from hybridcx.profiles.repository import follow_merges

RULES = ("crm_wins", "hybridcx_wins", "newest_wins")
#: The customer fields a CRM can set, and the CRM property each is read from by default
#: (HubSpot's names; ``properties`` in the connector settings maps others).
FIELDS: dict[str, str | None] = {
    "name": None,  # firstname + lastname
    "phone": "phone",
    "vip": "hybridcx_vip",
    "lifetime_value": "total_revenue",
    "marketing_consent": "hybridcx_marketing_consent",
    "training_consent": "hybridcx_training_consent",
    "analytics_consent": "hybridcx_analytics_consent",
    "outreach_consent": "hybridcx_outreach_consent",
    "language": "hs_language",
    "preferred_channel": "hybridcx_preferred_channel",
    "contact_hours": "hybridcx_contact_hours",
}
#: The synced field -> its key in ``customers.preferences``.
PREFERENCES: dict[str, str] = {
    "language": "language",
    "preferred_channel": "channel",
    "contact_hours": "contact_hours",
}
#: The synced field -> the consent purpose it is (``hybridcx.privacy.consent.PURPOSES``).
CONSENTS: dict[str, str] = {f"{purpose}_consent": purpose for purpose in PURPOSES}
#: A key of ``customers.preferences`` -> the synced field.
PREFERENCE_FIELDS = {key: field for field, key in PREFERENCES.items()}
#: What a CRM may call a channel, beyond hybridcx's own names.
_CHANNEL_ALIASES = {"chat": "webchat", "web chat": "webchat", "phone": "voice", "text": "sms"}


#: Salesforce keeps the name in FirstName + LastName and the phone in Phone; the other fields
#: are custom fields an org adds, so they sync only when ``properties`` names them.
SALESFORCE_FIELDS: dict[str, str] = {"phone": "Phone"}
NAME_PARTS = {"hubspot": ("firstname", "lastname"), "salesforce": ("FirstName", "LastName")}


def property_names(settings: dict[str, Any], *, kind: str = "hubspot") -> dict[str, str]:
    """hybridcx field -> the CRM property it is kept in (the name aside: ``NAME_PARTS``)."""
    mapped = dict(settings.get("properties") or {})
    defaults: dict[str, str | None] = dict(SALESFORCE_FIELDS) if kind == "salesforce" else FIELDS
    out: dict[str, str] = {}
    for f in FIELDS:
        prop = mapped.get(f) or defaults.get(f)
        if f != "name" and prop:
            out[f] = str(prop)
    return out


def rule_of(settings: dict[str, Any], field: str) -> str:
    return str(dict(settings.get("field_rules") or {}).get(field, "crm_wins"))


def outgoing(
    customer: Customer, fields: list[str], props: dict[str, str], *, kind: str
) -> dict[str, Any]:
    """The CRM properties for these customer fields, as the CRM takes them (HubSpot: strings;
    Salesforce: JSON values)."""
    out: dict[str, Any] = {}
    text = kind == "hubspot"
    for field in fields:
        value = _current(customer, field)
        if field == "name":
            first, _, last = (customer.name or "").strip().rpartition(" ")
            first_prop, last_prop = NAME_PARTS[kind]
            out[first_prop], out[last_prop] = first, last
            continue
        prop = props.get(field)
        if prop is None:
            continue
        if field == "contact_hours":
            value = format_hours(value)
        if text:
            value = (
                ""
                if value is None
                else (str(value).lower() if isinstance(value, bool) else str(value))
            )
        out[prop] = value
    return out


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str) and value:
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def _truthy(value: Any) -> bool | None:
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y"):
        return True
    if text in ("false", "0", "no", "n"):
        return False
    return None


def _incoming(contact: dict[str, Any], props: dict[str, str]) -> dict[str, Any]:
    """The values the contact has, as hybridcx values (a blank or unreadable value: none)."""
    out: dict[str, Any] = {}
    name = f"{contact.get('firstname') or ''} {contact.get('lastname') or ''}".strip()[:200]
    if name:
        out["name"] = name
    phone = contact.get(props.get("phone", "\0"))
    if phone and (e164 := to_e164(str(phone))):
        out["phone"] = e164
    vip_value = contact.get(props.get("vip", "\0"))
    vip = _truthy(vip_value) if vip_value not in (None, "") else None
    if vip is not None:
        out["vip"] = vip
    ltv = contact.get(props.get("lifetime_value", "\0"))
    if ltv not in (None, ""):
        try:
            amount = float(str(ltv))
            if amount >= 0:
                out["lifetime_value"] = round(amount, 2)
        except ValueError:
            pass
    for field in CONSENTS:
        consent = contact.get(props.get(field, "\0"))
        if consent not in (None, "") and (granted := _truthy(consent)) is not None:
            out[field] = granted
    for pref in PREFERENCES:
        pref_value = contact.get(props.get(pref, "\0"))
        if pref_value not in (None, "") and (read := read_preference(pref, pref_value)):
            out[pref] = read
    return out


def format_hours(hours: dict[str, Any] | None) -> str | None:
    """Contact hours as a CRM keeps them: ``mon,tue 09:00-17:00 Europe/Paris``."""
    if not hours:
        return None
    return f"{','.join(hours['days'])} {hours['start']}-{hours['end']} {hours['timezone']}"


def parse_hours(text: str) -> dict[str, Any] | None:
    """``format_hours``'s text back (day ranges such as ``mon-fri`` read too); None when it is
    not contact hours hybridcx can keep."""
    parts = text.strip().split()
    if len(parts) != 3 or parts[1].count("-") != 1:
        return None
    days: list[str] = []
    for item in parts[0].lower().split(","):
        first, _, last = item.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            return None
        a, b = DAYS.index(first), DAYS.index(last or first)
        days += [DAYS[(a + i) % 7] for i in range((b - a) % 7 + 1)]
    start, end = parts[1].split("-")
    try:
        hours = ContactHours(days=days, start=start, end=end, timezone=parts[2])  # type: ignore[arg-type]
    except ValidationError:
        return None
    return hours.model_dump()


def read_preference(field: str, value: Any) -> Any:
    """A CRM's value of a preference as hybridcx keeps it, or None when it cannot be read."""
    text = str(value).strip()
    if field == "contact_hours":
        return parse_hours(text)
    if field == "preferred_channel":
        channel = _CHANNEL_ALIASES.get(text.lower(), text.lower())
        return channel if channel in CONTACT_CHANNELS else None
    if len(text) > 20:
        return None
    try:
        return Preferences(language=text).language
    except ValidationError:
        return None


def _current(customer: Customer, field: str) -> Any:
    if field in CONSENTS:
        return read_consents(customer.consents)[CONSENTS[field]].granted
    if field in PREFERENCES:
        prefs = read_preferences(customer.preferences).model_dump(mode="json")
        return prefs.get(PREFERENCES[field])
    return getattr(customer, field)


def _changed_at(customer: Customer, field: str) -> datetime | None:
    if field in CONSENTS:
        return parse_time(read_consents(customer.consents)[CONSENTS[field]].at)
    if field in PREFERENCES:  # never recorded: the CRM's is the only one
        return parse_time((customer.preferences or {}).get("updated_at"))
    return customer.updated_at


async def apply_contact(
    session: AsyncSession,
    connector: IntegrationConnector,
    contact: dict[str, Any],
    *,
    source: str,
    props: dict[str, str] | None = None,
) -> bool:
    """Apply one CRM contact to the hybridcx customer with its email. Customers hybridcx has
    never seen are not copied in. Returns whether anything changed."""
    email = str(contact.get("email") or "").strip()
    if not email:
        return False
    customer = await follow_merges(
        session, await find_customer_by_email(session, connector.workspace_id, email)
    )
    if customer is None or customer.erased_at is not None:
        return False
    settings = dict(connector.settings or {})
    rules = dict(settings.get("field_rules") or {})
    contact_at = parse_time(contact.get("_updated_at"))
    changed: list[str] = []
    kept: dict[str, str] = {}
    names = props if props is not None else property_names(settings)
    incoming = _incoming(contact, names)
    # as they were before this contact: a field it sets must not make the next one look newer
    ours_at = {field: _changed_at(customer, field) for field in incoming}
    for field, value in incoming.items():
        if value == _current(customer, field):
            continue
        rule = rules.get(field, "crm_wins")
        if rule == "hybridcx_wins":
            kept[field] = rule
            continue
        if rule == "newest_wins":
            ours = ours_at[field]
            if contact_at is None or (ours is not None and contact_at <= ours):
                kept[field] = rule
                continue
        _set(customer, field, value, source=source)
        changed.append(field)
    if changed or kept:
        audit(
            session,
            action="customer.updated" if changed else "customer.sync_skipped",
            actor_type="integration",
            actor_id=connector.name,
            workspace_id=connector.workspace_id,
            target_type="customer",
            target_id=customer.id,
            details={"fields": changed, "kept": kept, "source": source},
        )
    if changed:
        await session.flush()
    return bool(changed)


def _set(customer: Customer, field: str, value: Any, *, source: str) -> None:
    if field in CONSENTS:
        customer.consents = updated_consents(
            customer.consents, {CONSENTS[field]: bool(value)}, source=source, at=utcnow()
        )
    elif field in PREFERENCES:
        customer.preferences = {
            **(customer.preferences or {}),
            PREFERENCES[field]: value,
            "updated_at": iso(utcnow()),
            "updated_by": source,
        }
    else:
        setattr(customer, field, value)
