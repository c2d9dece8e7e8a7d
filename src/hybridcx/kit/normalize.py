"""How emails and phone numbers are normalised before their blind index is computed."""

from __future__ import annotations

import re


def normalize_email(email: str) -> str:
    return email.strip().lower()


def normalize_phone(phone: str) -> str:
    """E.164 when the number parses ("+1 (415) 555-0100" and "+14155550100" are one number),
    else its digits with a leading + kept."""
    e164 = to_e164(phone)
    if e164 is not None:
        return e164
    phone = phone.strip()
    digits = re.sub(r"\D", "", phone)
    return ("+" if phone.startswith("+") else "") + digits


def to_e164(raw: str | None, default_region: str | None = None) -> str | None:
    """E.164 (``+14155550132``) for anything that parses as a possible number, else None.

    Providers such as Twilio already send E.164; people type every other shape."""
    import phonenumbers

    text = (raw or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
