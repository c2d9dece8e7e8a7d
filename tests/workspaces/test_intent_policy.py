"""The intent mappings of a workspace policy: validated at load, merged with the defaults."""

from __future__ import annotations

import pytest

from hybridcx.pipeline.policy import PolicyError, default_policy_data, load_policy, parse_policy


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_policy(text, base=default_policy_data())


def test_a_workspace_maps_its_own_intents_next_to_the_defaults_and_can_drop_one() -> None:
    policy = parse(
        """
intent_skills: {visa_renewal: visas, order_status: null}
intent_categories: {visa_renewal: "  Visas   and permits "}
next_best_actions: {visa_renewal: [lookup_account]}
"""
    )
    assert policy.intent_skills["visa_renewal"] == "visas"
    assert "order_status" not in policy.intent_skills  # dropped with null
    assert policy.intent_skills["password_reset"] == "tech"  # the demo company's, kept
    assert policy.intent_categories["visa_renewal"] == "Visas and permits"
    assert policy.next_best_actions["visa_renewal"] == ["lookup_account"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("next_best_actions: {visa_renewal: [issue_refund]}", "unknown action"),
        ("intent_categories: {visa_renewal: '  '}", "empty name"),
        ("intent_skills: {visa_renewal: ''}", "empty name"),
        ("next_best_actions: {visa_renewal: lookup_account}", "valid list"),
    ],
)
def test_a_bad_mapping_is_refused_when_the_file_is_loaded(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse(text)


def test_the_packaged_defaults_are_the_demo_companys_data() -> None:
    policy = load_policy(None)
    assert policy.intent_skills["order_status"] == "orders"
    assert policy.intent_categories["refund_status"] == "Returns & refunds"
    assert policy.next_best_actions["reschedule_appointment"] == [
        "lookup_appointments",
        "offer_appointment_slots",
    ]
