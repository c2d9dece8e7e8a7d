from __future__ import annotations

import pytest

from hybridcx.knowledge.engine import mask_pii
from hybridcx.knowledge.engine.pii import luhn_valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hi, my name is Maria Gonzalez and my email is maria.g@example.com.",
            "Hi, my name is [NAME] and my email is [EMAIL].",
        ),
        ("Call me on +1 (415) 555-0132 after 5.", "Call me on [PHONE] after 5."),
        ("My number is 020 7946 0958.", "My number is [PHONE]."),
        (
            "Card 4111 1111 1111 1111 was charged twice.",
            "Card [CARD] was charged twice.",
        ),
        ("Refund to 5500-0000-0000-0004 please", "Refund to [CARD] please"),
        (
            "I'm Jonas. I moved to 221B Baker Street, Apt 4, London.",
            "I'm [NAME]. I moved to [ADDRESS], London.",
        ),
        ("Ship it to 42 Elm Road please.", "Ship it to [ADDRESS] please."),
        (
            "Hello Priya,\nthanks for waiting.\nBest regards,\nTom Becker",
            "Hello [NAME],\nthanks for waiting.\nBest regards,\n[NAME]",
        ),
        ("It still fails. Thanks, Anna", "It still fails. Thanks, [NAME]"),
    ],
)
def test_masks_personal_data(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Order 100234 was placed on 2024-05-01 for $129.99.",
        "Tracking number 4111111111111112 is not a card (Luhn fails).",
        "I'm sorry but I'm not able to log in since version 2.4.1.",
        "Thanks for the help!",
        "The XR-2000 shows error E42 after 3 minutes.",
    ],
)
def test_leaves_ordinary_support_text_alone(text: str) -> None:
    assert mask_pii(text) == text


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
