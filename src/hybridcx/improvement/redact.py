"""The one place training text loses its personal data.

`redact_for_training` is the only function the learning loop calls on customer text before it is
stored as a training example or shown in a discovery cluster. It runs the shared privacy library
(``hybridcx.privacy.pii.redact_for_training``: checksummed cards/IBANs/national ids, CVVs,
emails, phones, addresses, and the names presidio's spaCy model finds), then masks what only
matters for training data: order and account numbers, and names typed after "my name is" in
lower case.
"""

from __future__ import annotations

import re

from hybridcx.privacy.pii import redact_for_training as redact_personal_data

ORDER = "[ORDER]"
ACCOUNT = "[ACCOUNT]"
NAME = "[NAME]"

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
    # Numbers first: "order 1002 on its way" must not read as a street address or a phone.
    text = _ACCOUNT.sub(ACCOUNT, text)
    text = _ORDER.sub(_order, text)
    text = _HASH_NUMBER.sub(ORDER, text)
    text = redact_personal_data(text)
    return _NAME_AFTER.sub(_name, text)
