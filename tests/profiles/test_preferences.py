"""The customer profile's preferences, consents and segment: staff record a
customer's preferred channel, language and contact hours (validated, audited, scoped to the
workspace); the profile answers them with the consents and the segment profile matched; a merge
keeps the survivor's and fills its gaps from the absorbed customer, an unmerge takes them back;
the GDPR export carries them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hybridcx.kit.db import transaction
from hybridcx.models import Customer
from hybridcx.profiles.preferences import ContactHours, Preferences, fill_gaps
from hybridcx.segments.profiles import EXAMPLE_FILE, segments_path
from tests.profiles.test_merge import call, customer_of, supervisor, webchat_and_sms
from tests.support import Api, LiveServer

HOURS = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "18:00",
         "timezone": "Europe/Paris"}  # fmt: skip


# ---- the rules, alone --------------------------------------------------------------------


def test_contact_hours_are_read_in_the_customers_time_zone() -> None:
    hours = ContactHours.model_validate(HOURS)
    # Monday 2026-12-07: 08:30 UTC is 09:30 in Paris (in), 17:30 UTC is 18:30 (out).
    assert hours.allows(datetime(2026, 12, 7, 8, 30))
    assert not hours.allows(datetime(2026, 12, 7, 17, 30))
    assert not hours.allows(datetime(2026, 12, 12, 10, 0))  # a Saturday
    night = ContactHours.model_validate(
        {"days": ["fri"], "start": "22:00", "end": "02:00", "timezone": "UTC"}
    )
    assert night.allows(datetime(2026, 12, 11, 23, 0))  # Friday night
    assert night.allows(datetime(2026, 12, 12, 1, 0))  # still Friday's span, on Saturday
    assert not night.allows(datetime(2026, 12, 13, 1, 0))  # Saturday's night is not in it


def test_language_tags_are_canonical_short_bcp47() -> None:
    assert Preferences(language="pt_br").language == "pt-BR"
    assert Preferences(language="zh-hant-tw").language == "zh-Hant-TW"
    for bad in ("english", "e", "en-USA"):
        with pytest.raises(ValueError, match="BCP-47"):
            Preferences(language=bad)


def test_a_merge_fills_only_the_survivors_gaps() -> None:
    ours = {"channel": "email"}
    theirs = {"channel": "sms", "language": "fr", "updated_at": "x"}
    merged, filled = fill_gaps(ours, theirs)
    assert merged == {"channel": "email", "language": "fr"} and filled == ["language"]


# ---- over HTTP ---------------------------------------------------------------------------


@pytest.fixture
def segments(server: LiveServer) -> Iterator[Path]:
    path = segments_path(server.runtime.policies.policy_dir, "default")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(EXAMPLE_FILE.read_text("utf-8"), "utf-8")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _set_attributes(server: LiveServer, customer_id: str, attributes: dict[str, Any]) -> None:
    async def go() -> None:
        async with transaction(server.runtime.sessions) as session:
            customer = await session.get(Customer, customer_id)
            assert customer is not None
            customer.attributes = attributes

    server.call(go())


def test_staff_record_preferences_and_the_profile_shows_consents_and_segment(
    server: LiveServer, api: Api, segments: Path
) -> None:
    sup = supervisor(api)
    conv = api.start(email="rene@example.com", name="René <b>Dupont</b>")
    cid = customer_of(api, sup, conv["id"])
    _set_attributes(server, cid, {"account_type": "business", "language": "fr"})
    call(
        api,
        sup,
        "PUT",
        f"/api/v1/customers/{cid}/consents",
        json={"consents": {"marketing": True}, "source": "phone call"},
    )
    # The agent handling the conversation records the preferences.
    agent = api.login("agent@example.com", "demo-agent")
    body = {"channel": "email", "language": "fr-ca", "contact_hours": HOURS}
    saved = call(api, agent, "PUT", f"/api/v1/customers/{cid}/preferences", json=body)
    assert saved["channel"] == "email" and saved["language"] == "fr-CA"
    assert saved["contact_hours"] == HOURS and saved["updated_at"]

    profile = call(api, sup, "GET", f"/api/v1/customers/{cid}")
    assert profile["preferences"]["channel"] == "email"
    assert profile["preferences"]["contact_hours"]["timezone"] == "Europe/Paris"
    consents = {c["purpose"]: c for c in profile["consents"]}
    assert consents["marketing"]["granted"] is True and consents["marketing"]["at"]
    assert consents["training"]["granted"] is False
    assert profile["segments"]["profile"]["name"] == "business"
    assert profile["segments"]["matched"] is True
    assert profile["segments"]["attributes"] == {"account_type": "business", "language": "fr"}

    # A key left out clears it (PUT is the whole set).
    call(api, agent, "PUT", f"/api/v1/customers/{cid}/preferences", json={"channel": "sms"})
    again = call(api, sup, "GET", f"/api/v1/customers/{cid}/preferences")
    assert again["channel"] == "sms" and again["contact_hours"] is None

    # The GDPR export carries them.
    admin = api.login("admin@example.com", "demo-admin")
    export = call(api, admin, "GET", f"/api/v1/customers/{cid}/export")
    assert export["preferences"]["channel"] == "sms"

    entries = call(api, admin, "GET", "/api/v1/audit", params={"limit": 200})
    entries = entries["items"] if isinstance(entries, dict) else entries
    assert any(e["action"] == "customer.preferences_updated" for e in entries), (
        "the change is audited"
    )


def test_a_customer_without_a_matching_segment_is_standard(server: LiveServer, api: Api) -> None:
    sup = supervisor(api)
    conv = api.start(email="plain@example.com", name="Plain")
    cid = customer_of(api, sup, conv["id"])
    profile = call(api, sup, "GET", f"/api/v1/customers/{cid}")
    assert profile["segments"]["profile"]["name"] == "standard"
    assert profile["segments"]["matched"] is False
    assert profile["preferences"] == {
        "channel": None,
        "language": None,
        "contact_hours": None,
        "updated_at": None,
        "updated_by": None,
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"channel": "fax"}, "channel"),
        ({"language": "klingon-language"}, "BCP-47"),
        ({"contact_hours": {**HOURS, "timezone": "Mars/Olympus"}}, "unknown time zone"),
        ({"contact_hours": {**HOURS, "start": "25:00"}}, "HH:MM"),
        ({"contact_hours": {**HOURS, "days": ["someday"]}}, "days"),
        ({"contact_hours": {**HOURS, "end": "09:00"}}, "must differ"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_preferences_are_a_422_that_says_what_is_wrong(
    server: LiveServer, api: Api, body: dict[str, Any], message: str
) -> None:
    sup = supervisor(api)
    conv = api.start(email="bad@example.com", name="Bad")
    cid = customer_of(api, sup, conv["id"])
    r = api.staff(sup, "PUT", f"/api/v1/customers/{cid}/preferences", json=body)
    assert r.status_code == 422, r.text
    assert message in r.text
    r = api.staff(sup, "PUT", "/api/v1/customers/no-such-customer/preferences", json={})
    assert r.status_code == 404, r.text


def test_a_merge_keeps_the_survivors_preferences_and_fills_its_gaps(
    server: LiveServer, api: Api
) -> None:
    sup = supervisor(api)
    web, sms = webchat_and_sms(api, sup)
    call(api, sup, "PUT", f"/api/v1/customers/{web}/preferences", json={"channel": "webchat"})
    call(
        api,
        sup,
        "PUT",
        f"/api/v1/customers/{sms}/preferences",
        json={"channel": "sms", "language": "es", "contact_hours": HOURS},
    )
    call(api, sup, "POST", f"/api/v1/customers/{web}/merge", json={"customer_id": sms})
    merged = call(api, sup, "GET", f"/api/v1/customers/{web}")["preferences"]
    assert merged["channel"] == "webchat"  # the survivor's stands
    assert merged["language"] == "es" and merged["contact_hours"] == HOURS  # gaps filled
    # The merged-away id edits the survivor's.
    via_old = call(api, sup, "GET", f"/api/v1/customers/{sms}/preferences")
    assert via_old["customer_id"] == web

    call(api, sup, "POST", f"/api/v1/customers/{sms}/unmerge", json={})
    survivor = call(api, sup, "GET", f"/api/v1/customers/{web}")["preferences"]
    assert survivor["channel"] == "webchat" and survivor["language"] is None
    assert survivor["contact_hours"] is None
    absorbed = call(api, sup, "GET", f"/api/v1/customers/{sms}")["preferences"]
    assert absorbed["channel"] == "sms" and absorbed["language"] == "es"
