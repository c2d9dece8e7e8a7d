"""Consent per customer and purpose, stored in ``customers.consents``.

Each purpose holds ``{"granted": bool, "at": ISO time, "source": "<who/where>"}``. Older rows
(``{"marketing": false}``) read as a grant or refusal with no time or source. Anything not
recorded is *not* consented: training on a customer's conversations needs an explicit grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hybridcx.kit.errors import InvalidInput
from hybridcx.kit.time import iso

#: What a customer can consent to. Training: their conversations may be used (PII-redacted even
#: then) to train models. Analytics: beyond the anonymous KPIs every contact feeds.
PURPOSES: dict[str, str] = {
    "training": "Use my conversations (with personal data removed) to train the AI.",
    "analytics": "Use my contact history for product and service analytics.",
    "marketing": "Send me marketing messages.",
    # proactive notices (a late order, an appointment tomorrow) by SMS or email
    "outreach": "Tell me proactively by SMS or email when something needs my attention.",
}


@dataclass(frozen=True)
class Consent:
    purpose: str
    granted: bool
    at: str | None
    source: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "description": PURPOSES.get(self.purpose, ""),
            "granted": self.granted,
            "at": self.at,
            "source": self.source,
        }


def read_consents(consents: dict[str, Any] | None) -> dict[str, Consent]:
    """Every known purpose, not-granted unless recorded otherwise."""
    stored = consents or {}
    out: dict[str, Consent] = {}
    for purpose in PURPOSES:
        raw = stored.get(purpose)
        if isinstance(raw, dict):
            out[purpose] = Consent(
                purpose, bool(raw.get("granted")), raw.get("at"), raw.get("source")
            )
        else:
            out[purpose] = Consent(purpose, bool(raw), None, None)
    return out


def updated_consents(
    consents: dict[str, Any] | None, changes: dict[str, bool], *, source: str, at: datetime
) -> dict[str, Any]:
    """A new consents mapping with ``changes`` recorded (time and source per changed purpose)."""
    unknown = sorted(set(changes) - set(PURPOSES))
    if unknown:
        raise InvalidInput(
            f"Unknown consent purpose(s) {', '.join(unknown)}; known: {', '.join(PURPOSES)}."
        )
    result: dict[str, Any] = {
        p: {"granted": c.granted, "at": c.at, "source": c.source}
        for p, c in read_consents(consents).items()
    }
    for purpose, granted in changes.items():
        result[purpose] = {"granted": bool(granted), "at": iso(at), "source": source}
    return result


def may_use_for(customer: Any, purpose: str) -> bool:
    if getattr(customer, "erased_at", None) is not None:
        return False
    consent = read_consents(getattr(customer, "consents", None)).get(purpose)
    return bool(consent and consent.granted)


def may_train_on(customer: Any) -> bool:
    """Whether a customer's conversations may go into a training set (still redacted with
    :func:`hybridcx.privacy.pii.redact_for_training`). No recorded grant means no."""
    return may_use_for(customer, "training")
