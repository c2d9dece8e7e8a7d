"""The PII library: checksummed patterns (fast path) and the full analyzer (presidio + spaCy)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hybridcx.kit.log_redaction import redact_log_event
from hybridcx.kit.redaction import iban_valid, luhn_valid, ssn_valid
from hybridcx.privacy import pii


@pytest.mark.parametrize(
    "number",
    ["4111111111111111", "5500000000000004", "340000000000009", "6011000000000004"],
)
def test_luhn_accepts_test_cards(number: str) -> None:
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["4111111111111112", "1234567812345678", "5500000000000005"])
def test_luhn_rejects_near_misses(number: str) -> None:
    assert not luhn_valid(number)


@pytest.mark.parametrize(
    "iban",
    ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "FR1420041010050500013M02606"],
)
def test_iban_mod97_accepts_valid(iban: str) -> None:
    assert iban_valid(iban)


@pytest.mark.parametrize(
    "iban", ["GB82 WEST 1234 5698 7654 33", "DE89370400440532013001", "XX00", "GB82WEST"]
)
def test_iban_mod97_rejects_invalid(iban: str) -> None:
    assert not iban_valid(iban)


def test_ssn_format_rules() -> None:
    assert ssn_valid("078", "05", "1120")
    for area, group, serial in (
        ("000", "12", "3456"),
        ("666", "12", "3456"),
        ("900", "12", "3456"),
        ("123", "00", "4567"),
        ("123", "45", "0000"),
    ):
        assert not ssn_valid(area, group, serial)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111 1111 1111 1111 cvv 123", "card [CARD] cvv [CVV]"),
        ("Refund to 5500-0000-0000-0004 please", "Refund to [CARD] please"),
        ("4111111111111111, security code: 9876", "[CARD], security code: [CVV]"),
        ("the 3 digit code on the back is 321", "the 3 digit code on the back is [CVV]"),
        ("Tracking 4111111111111112 arrived", "Tracking 4111111111111112 arrived"),
        ("Order 1001 costs 123 dollars", "Order 1001 costs 123 dollars"),
    ],
)
def test_payment_data_masked_on_ingest(text: str, expected: str) -> None:
    assert pii.mask_payment_data(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IBAN GB82 WEST 1234 5698 7654 32 thanks", "IBAN [IBAN] thanks"),
        ("pay into DE89370400440532013000", "pay into [IBAN]"),
        ("not an IBAN: DE89370400440532013001", "not an IBAN: DE89370400440532013001"),
        ("SSN 078-05-1120", "SSN [NATIONAL_ID]"),
        ("my social security number is 078051120", "my social security number is [NATIONAL_ID]"),
        ("NI number AB 12 34 56 C", "NI number [NATIONAL_ID]"),
        ("write to maria@example.com", "write to [EMAIL]"),
    ],
)
def test_fast_path_masks_checksummed_ids(text: str, expected: str) -> None:
    assert pii.redact_fast(text) == expected


def test_redact_secrets_keeps_article_contact_details() -> None:
    text = (
        "Call our store on 020 7946 0958 or write to help@northwind.example; card 4111111111111111"
    )
    assert pii.redact_secrets(text) == (
        "Call our store on 020 7946 0958 or write to help@northwind.example; card [CARD]"
    )


def test_full_path_finds_names_the_patterns_cannot() -> None:
    text = "Maria Gonzalez asked about order 1001 and Tom Becker answered."
    assert pii.redact_fast(text) == text  # no announcement: the patterns leave names alone
    out = pii.redact(text)
    assert "Maria" not in out and "Becker" not in out
    assert "[NAME]" in out and "order 1001" in out


def test_redact_for_training_removes_every_kind() -> None:
    text = (
        "Hi, I'm John Smith (john.smith@example.com, +1 415 555 0100), card 4111 1111 1111 1111 "
        "cvv 123, IBAN GB82 WEST 1234 5698 7654 32, SSN 078-05-1120."
    )
    out = pii.redact_for_training(text)
    for secret in ("John", "Smith", "john.smith", "415 555", "4111", "123,", "GB82", "078-05"):
        assert secret not in out, (secret, out)


def test_model_files_are_hash_checked(tmp_path: Path) -> None:
    pii.verify_model(pii.packaged_model_dir())  # the pinned package matches the recorded hashes
    copy = tmp_path / "model"
    shutil.copytree(pii.packaged_model_dir(), copy)
    with (copy / "ner" / "model").open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(pii.PIIModelError, match="SHA-256"):
        pii.verify_model(copy)


def test_log_processor_redacts_strings() -> None:
    event = {"event": "x", "detail": "card 4111 1111 1111 1111 from maria@example.com", "n": 3}
    out = redact_log_event(None, "info", event)
    assert out["detail"] == "card [CARD] from [EMAIL]" and out["n"] == 3


def test_an_id_whose_digits_pass_the_luhn_check_is_not_a_card() -> None:
    from hybridcx.kit.redaction import mask_payment_data

    agent_id = "91d43f86-5732-4028-868c-789e8cb41b26"  # 8657324028868 passes Luhn
    assert mask_payment_data(f"to agent {agent_id}") == f"to agent {agent_id}"
    assert "[CARD]" in mask_payment_data("my card is 4111 1111 1111 1111, ok?")
    assert "[CARD]" in mask_payment_data("card:4111111111111111")
