"""The one redaction step of the learning loop, and the consent rule (pure functions)."""

from __future__ import annotations

import pytest

from hybridcx.improvement.redact import redact_for_training
from hybridcx.improvement.service import has_training_consent


@pytest.mark.parametrize(
    ("text", "gone", "mask"),
    [
        ("my email is jane.doe+shop@mail.co.uk thanks", "jane.doe", "[EMAIL]"),
        ("card 4111 1111 1111 1111 was charged", "4111", "[CARD]"),
        ("card 5555555555554444 was charged", "5555555555554444", "[CARD]"),
        ("refund to DE89 3704 0044 0532 0130 00 please", "3704", "[IBAN]"),
        ("refund to GB82WEST12345698765432", "GB82", "[IBAN]"),
        ("call me on +1 (415) 555-0100 tomorrow", "555-0100", "[PHONE]"),
        ("My name is Jane Doe and my tent leaks", "Jane", "[NAME]"),
        ("hi, my name is jane doe", "jane", "[NAME]"),
        ("where is order 1001?", "1001", "[ORDER]"),
        ("Is order #1002 on its way?", "1002", "[ORDER]"),
        ("my account AC-1001 is locked", "AC-1001", "[ACCOUNT]"),
        ("account number 55512345 is locked", "55512345", "[ACCOUNT]"),
    ],
)
def test_personal_data_is_masked(text: str, gone: str, mask: str) -> None:
    redacted = redact_for_training(text)
    assert gone not in redacted and mask in redacted


def test_what_the_model_needs_survives() -> None:
    text = "I want to return the 2 person tent I bought in May, it cost 149.99"
    assert redact_for_training(text) == text
    # Digits that fail the checksums are not cards or IBANs.
    assert "4111 1111 1111 1112" in redact_for_training("code 4111 1111 1111 1112")
    assert "call me at [PHONE]" in redact_for_training("call me at 415 555 0100")


@pytest.mark.parametrize(
    ("consents", "required", "allowed"),
    [
        ({"training": True}, True, True),
        ({"training": "yes"}, True, True),
        ({"training": False}, True, False),
        ({"training": False}, False, False),
        ({}, True, False),
        (None, True, False),
        ({"marketing": True}, False, True),
    ],
)
def test_training_consent(
    consents: dict[str, object] | None, required: bool, allowed: bool
) -> None:
    assert has_training_consent(consents, required=required) is allowed


def test_consent_in_the_privacy_modules_shape_decides() -> None:
    from hybridcx.improvement.service import has_training_consent

    withdrawn = {"training": {"granted": False, "at": "2026-11-27T09:00:00Z", "source": "api"}}
    granted = {"training": {"granted": True, "at": "2026-11-27T09:00:00Z", "source": "api"}}
    assert not has_training_consent(withdrawn, required=False)
    assert has_training_consent(granted, required=True)
    assert has_training_consent({"training": True}, required=True)
    assert not has_training_consent({}, required=True)
