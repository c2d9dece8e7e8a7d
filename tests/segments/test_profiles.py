"""Segment profiles without a server: matching, the first profile wins, the
overrides a turn gets, and policy overrides checked when the file is read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hybridcx.kit.errors import InvalidInput
from hybridcx.kit.ids import utcnow
from hybridcx.models import Customer
from hybridcx.segments.profiles import EXAMPLE_FILE, parse_segments_file, segment_name


def _customer(**kw: object) -> Customer:
    base: dict[str, object] = {
        "vip": False,
        "lifetime_value": 0.0,
        "attributes": {},
        "created_at": utcnow() - timedelta(days=400),
    }
    return Customer(**{**base, **kw})


def test_the_first_matching_profile_applies() -> None:
    profiles = parse_segments_file(EXAMPLE_FILE.read_text("utf-8"))
    assert segment_name(profiles, _customer(vip=True)) == "vip"
    assert segment_name(profiles, _customer(lifetime_value=6000.0)) == "vip"
    business_vip = _customer(vip=True, attributes={"account_type": "business"})
    assert segment_name(profiles, business_vip) == "vip"  # file order
    assert segment_name(profiles, _customer(attributes={"account_type": "business"})) == "business"
    assert segment_name(profiles, _customer(attributes={"lifecycle": "new"})) == "new_customer"
    assert segment_name(profiles, _customer()) == "standard"
    assert segment_name(profiles, None) == "standard"


def test_new_within_days_reads_the_creation_date() -> None:
    profiles = parse_segments_file("segments:\n  - {name: fresh, match: {new_within_days: 30}}\n")
    assert segment_name(profiles, _customer(created_at=utcnow() - timedelta(days=3))) == "fresh"
    assert segment_name(profiles, _customer()) == "standard"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("segments:\n  - {name: a, match: {}, policy: {confidence_threshold: 2}}", "invalid"),
        ("segments:\n  - {name: a, match: {}, policy: {no_such_key: 1}}", "invalid"),
        (
            "segments:\n  - {name: a, match: {}, policy: {flow_variants: {no_flow: {x: 1}}}}",
            "invalid",
        ),
        ("segments:\n  - {name: standard, match: {}}", "unique"),
        ("segments:\n  - {name: a, match: {colour: red}}", "colour"),
    ],
)
def test_a_wrong_profile_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_segments_file(text, source="default.segments.yaml")
