"""The one place training text loses its personal data.

`redact_for_training` is the only function the learning loop calls on customer text before it is
stored as a training example or shown in a discovery cluster. When the shared privacy library
(presidio-based `hybridcx.privacy`) lands, point this function at it; nothing else changes.
"""

from __future__ import annotations

import re

from hybridcx.knowledge.engine.pii import luhn_valid, mask_pii

IBAN = "[IBAN]"
ORDER = "[ORDER]"
ACCOUNT = "[ACCOUNT]"
CARD = "[CARD]"
NAME = "[NAME]"

# IBAN: country code, two check digits, 11-30 alphanumerics, optionally in groups of four.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
# Card numbers the phone/card rules of mask_pii leave alone (e.g. run together with text).
_DIGIT_RUN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")
_ACCOUNT = re.compile(r"\b(?:AC|ACC|ACCT)[- ]?\d{3,}\b", re.IGNORECASE)
_ORDER = re.compile(
    r"\b((?:order|order number|order no\.?|order #|invoice|account|account number|account no\.?)"
    r"\s*(?:is\s+|number\s+|no\.?\s*|#\s*|:\s*)?)#?(\d{3,})\b",
    re.IGNORECASE,
)
_HASH_NUMBER = re.compile(r"#\d{3,}\b")
# "my name is jane doe" in lower case too (mask_pii needs a capital letter).
_NAME_AFTER = re.compile(
    r"(?i)\b(my name is|my name's|name:|this is|call me)\s+([a-z][a-z'’-]+(?:\s+[a-z][a-z'’-]+)?)"
)
_NOT_NAME = frozenset(
    [
        "a",
        "an",
        "the",
        "not",
        "about",
        "regarding",
        "urgent",
        "my",
        "your",
        "at",
        "on",
        "back",
        "later",
        "please",
        "from",
        "in",
    ]
)


def _iban(match: re.Match[str]) -> str:
    raw = match.group(0).replace(" ", "")
    if not 15 <= len(raw) <= 34:
        return match.group(0)
    digits = "".join(str(int(c, 36)) for c in raw[4:] + raw[:4])
    return IBAN if int(digits) % 97 == 1 else match.group(0)


def _card(match: re.Match[str]) -> str:
    return CARD if luhn_valid(match.group(0)) else match.group(0)


def _order(match: re.Match[str]) -> str:
    return match.group(1) + (ACCOUNT if "acc" in match.group(1).lower() else ORDER)


def _name(match: re.Match[str]) -> str:
    words = match.group(2).split()
    if words[0].lower() in _NOT_NAME:
        return match.group(0)
    return f"{match.group(1)} {NAME}"


def redact_for_training(text: str) -> str:
    """Mask emails, phone numbers, card numbers (Luhn), IBANs (mod 97), street addresses,
    names after "my name is" and the like, order and account numbers."""
    text = _IBAN.sub(_iban, text)
    text = _DIGIT_RUN.sub(_card, text)
    # Numbers first: "order 1002 on its way" must not read as a street address.
    text = _ACCOUNT.sub(ACCOUNT, text)
    text = _ORDER.sub(_order, text)
    text = _HASH_NUMBER.sub(ORDER, text)
    text = mask_pii(text)
    return _NAME_AFTER.sub(_name, text)
