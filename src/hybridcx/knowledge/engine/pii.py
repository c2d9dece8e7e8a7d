"""Mask personal data in past cases before they are indexed: regexes plus a Luhn check.

Recall matters more than precision here (a masked word costs a little search quality; a leaked
card number costs much more), but card numbers are Luhn-checked so order numbers survive.
Names are found only where the text announces them (introductions, greetings, sign-offs):
a general name recognizer needs a statistical model (spaCy via presidio, ~23 ms a message).
"""

from __future__ import annotations

import re

EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
CARD = "[CARD]"
ADDRESS = "[ADDRESS]"
NAME = "[NAME]"

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]?\d{2,4}){2,4}(?![\w])"
)
_STREET_WORDS = (
    "street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
    "terrace|square|sq|highway|hwy|parkway|pkwy|close|crescent|strasse|straße|weg|allee|platz"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'.-]*\s+){{1,4}}(?:{_STREET_WORDS})\b\.?"
    r"(?:,?\s+(?:apt|apartment|suite|unit|flat)\.?\s*#?\w+)?",
    re.IGNORECASE,
)
_NAME_WORD = r"[A-Z][a-z'’-]+(?:[- ][A-Z][a-z'’-]+){0,2}"
_INTRO = re.compile(
    rf"(?i:\b(?:my name is|my name's|this is|i am|i'm|im|name:|call me|it's)\s+)({_NAME_WORD})"
)
_GREETING = re.compile(
    rf"(?m)^\s*(?i:hi|hello|hey|dear|good (?:morning|afternoon|evening))[ ,]+({_NAME_WORD})\b"
)
_SIGN_OFF = re.compile(
    r"(?m)(?:^|[.!]\s+)(?i:thanks|thank you|cheers|regards|best|best regards|kind regards|"
    rf"sincerely|many thanks|br)[,!.]?(?:\s*\n\s*|[ \t]+|\s*-\s*)({_NAME_WORD})\s*$"
)
#: Capitalized words after "I'm" that are states or greetings, not names.
_NOT_NAMES_TEXT = """Sorry Fine Good Happy Sad Not Still Just Very So Really Trying Looking Having Going Getting
    Unable Afraid Sure Done Here There Back Away Also Glad Interested Writing Calling Contacting
    Reaching Wondering Frustrated Angry Confused Waiting New Customer Support Team All Everyone
    There Again The A An In On At From With Your Our Hello Hi Thanks Thank Please Regards Best"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _mask_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return CARD if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group(0)


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    # Dates (2024-05-01), amounts and short order numbers have too few digits or no separators.
    if len(digits) < 7 or len(digits) > 15:
        return text
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) or (text.isdigit() and not text.startswith("0")):
        return text
    return PHONE


def _mask_name(match: re.Match[str]) -> str:
    name = match.group(1)
    words = re.split(r"[- ]", name)
    keep = []
    for word in words:
        if word in _NOT_NAMES:
            break
        keep.append(word)
    if not keep:
        return match.group(0)
    masked_part = " ".join(keep) if " " in name else "-".join(keep)
    start = match.start(1) - match.start(0)
    whole = match.group(0)
    return whole[:start] + NAME + whole[start + len(masked_part) :]


def mask_pii(text: str) -> str:
    """Replace emails, card numbers, phone numbers, street addresses and announced names."""
    text = _EMAIL.sub(EMAIL, text)
    text = _CARD.sub(_mask_card, text)
    text = _PHONE.sub(_mask_phone, text)
    text = _ADDRESS.sub(ADDRESS, text)
    for pattern in (_INTRO, _GREETING, _SIGN_OFF):
        text = pattern.sub(_mask_name, text)
    return text
