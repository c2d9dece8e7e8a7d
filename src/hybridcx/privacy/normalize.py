"""How emails and phone numbers are normalised before their blind index is computed."""

from __future__ import annotations

import re


def normalize_email(email: str) -> str:
    return email.strip().lower()


def normalize_phone(phone: str) -> str:
    """Digits with a leading + kept: "+1 (415) 555-0100" and "+14155550100" are one number."""
    phone = phone.strip()
    digits = re.sub(r"\D", "", phone)
    return ("+" if phone.startswith("+") else "") + digits
