"""The fast, regex-only PII path: checksummed patterns and context rules, microseconds a message.

Recall matters more than precision here (a masked word costs a little search quality; a leaked
card number costs much more), but numbers are checksum-validated (Luhn for cards, mod-97 for
IBANs, the SSA's format rules for US SSNs) so order and tracking numbers survive. Names are found
only where the text announces them (introductions, greetings, sign-offs): a general name
recognizer needs the statistical model of the full path (:mod:`hybridcx.privacy.pii`).
"""

from __future__ import annotations

import re

EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
CARD = "[CARD]"
ADDRESS = "[ADDRESS]"
NAME = "[NAME]"
CVV = "[CVV]"
IBAN = "[IBAN]"
NATIONAL_ID = "[NATIONAL_ID]"

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# Not inside a longer token: the digits of an id such as a UUID ("…f86-5732-4028-868c…") can
# pass the Luhn check, and an id must never be masked.
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
# "cvv 123", "security code: 1234", "the 3 digit code on the back is 123"
_CVV = re.compile(
    r"(?i)\b(?:cvv2?|cvc2?|cid|csc|cav2|security code|verification (?:code|value|number)|"
    r"(?:3|three|4|four)[- ]digit (?:code|number)|code on the back)\b[^\d\n]{0,24}?(?<!\d)(\d{3,4})(?!\d)"
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_SSN = re.compile(r"(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])")
_SSN_CONTEXT = re.compile(r"(?i)\b(?:ssn|social security(?: number| no\.?)?)\b\D{0,16}(\d{9})\b")
_NINO = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
)
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


def iban_valid(candidate: str) -> bool:
    """ISO 13616 mod-97: the rearranged number, letters as 10..35, leaves 1."""
    iban = candidate.replace(" ", "").upper()
    if not (15 <= len(iban) <= 34) or not iban[:2].isalpha() or not iban[2:4].isdigit():
        return False
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """The SSA's rules: no area 000, 666 or 900-999, no group 00, no serial 0000."""
    a = int(area)
    return a not in (0, 666) and a < 900 and group != "00" and serial != "0000"


def _mask_iban(match: re.Match[str]) -> str:
    text = match.group(0)
    # Grouped IBANs may run into a following capitalised word: try the longest valid prefix.
    for end in range(len(text), 14, -1):
        if iban_valid(text[:end]) and (end == len(text) or text[end - 1] != " "):
            return IBAN + text[end:]
    return text


def _mask_ssn(match: re.Match[str]) -> str:
    return (
        NATIONAL_ID if ssn_valid(match.group(1), match.group(3), match.group(4)) else match.group(0)
    )


def _mask_ssn_context(match: re.Match[str]) -> str:
    digits = match.group(1)
    if not ssn_valid(digits[:3], digits[3:5], digits[5:]):
        return match.group(0)
    start = match.start(1) - match.start(0)
    return match.group(0)[:start] + NATIONAL_ID


def _mask_cvv(match: re.Match[str]) -> str:
    start = match.start(1) - match.start(0)
    whole = match.group(0)
    return whole[:start] + CVV + whole[start + len(match.group(1)) :]


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


def mask_payment_data(text: str) -> str:
    """Card numbers (Luhn-valid, spaced or dashed) and CVVs in context: what is masked on
    ingest, in every channel, before anything is stored."""
    text = _CARD.sub(_mask_card, text)
    return _CVV.sub(_mask_cvv, text)


def has_payment_data(text: str) -> bool:
    return CARD in text or CVV in text


def redact_secrets(text: str) -> str:
    """Only what is never legitimate outside a secure channel: cards, CVVs, IBANs, national
    ids. Safe on any text (knowledge articles keep their phone numbers and addresses)."""
    text = mask_payment_data(text)
    text = _IBAN.sub(_mask_iban, text)
    text = _SSN.sub(_mask_ssn, text)
    text = _SSN_CONTEXT.sub(_mask_ssn_context, text)
    return _NINO.sub(NATIONAL_ID, text)


def redact_fast(text: str) -> str:
    """Replace emails, cards, CVVs, IBANs, national ids (US SSN, UK NINO), phone numbers,
    street addresses and announced names with [TOKENS]."""
    text = _EMAIL.sub(EMAIL, text)
    text = mask_payment_data(text)
    text = _IBAN.sub(_mask_iban, text)
    text = _SSN.sub(_mask_ssn, text)
    text = _SSN_CONTEXT.sub(_mask_ssn_context, text)
    text = _NINO.sub(NATIONAL_ID, text)
    text = _PHONE.sub(_mask_phone, text)
    text = _ADDRESS.sub(ADDRESS, text)
    for pattern in (_INTRO, _GREETING, _SIGN_OFF):
        text = pattern.sub(_mask_name, text)
    return text
