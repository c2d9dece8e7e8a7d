"""Personal-data masking for past cases and prompts now lives in :mod:`hybridcx.privacy`.

Kept as a thin alias so the knowledge engine's public names (``mask_pii``, ``luhn_valid``) stay.
"""

from __future__ import annotations

from hybridcx.kit.redaction import CARD, EMAIL, NAME, PHONE, luhn_valid
from hybridcx.kit.redaction import redact_fast as mask_pii

__all__ = ["CARD", "EMAIL", "NAME", "PHONE", "luhn_valid", "mask_pii"]
