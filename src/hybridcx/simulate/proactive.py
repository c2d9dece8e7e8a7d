"""Proactive mode: prevention, measured against a control group.

Customers whose first issue a signal could have seen coming (a late order, an appointment:
``PREVENTABLE``) are *eligible*. A seeded share of them is held out as the **control group**
and gets no notice; the others are **notified**, and each notified customer then contacts us
anyway only with probability ``1 - effect``. The traffic model generates customers who contact
us, so the control group's contact rate is 1 by construction; what the run measures is the
notified group's rate, and the difference times the notified customers is the **contacts
avoided** (with the sampling noise a real experiment has). A share of the notified customers
answers the notice (``response_share``): the outreach response rate.

Everything is drawn from the run's seed: the same seed, the same groups and the same outcome.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from hybridcx.simulate.traffic import Contact

#: Issues a signal sees before the customer does (the late-shipment and appointment signals).
PREVENTABLE = frozenset(
    {"order_status", "refund_status", "reschedule_appointment", "cancel_appointment"}
)


@dataclass(frozen=True)
class ProactiveConfig:
    effect: float = 0.5  # chance a notified customer then does not contact us
    holdout: float = 0.2  # share of eligible customers held out as the control group
    response_share: float = 0.2  # share of notified customers who reply to the notice

    def __post_init__(self) -> None:
        for name in ("effect", "holdout", "response_share"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"proactive {name} must be between 0 and 1, got {value}")


def apply(
    contacts: list[Contact], config: ProactiveConfig, seed: int
) -> tuple[list[Contact], dict[str, Any]]:
    """The contacts that still happen, and the prevention report."""
    rng = random.Random(f"hybridcx-sim:{seed}:proactive")
    kept: list[Contact] = []
    eligible = control = notified = avoided = replied = 0
    for contact in contacts:
        if contact.issues[0].label not in PREVENTABLE:
            kept.append(contact)
            continue
        eligible += 1
        if rng.random() < config.holdout:
            control += 1
            kept.append(contact)
            continue
        notified += 1
        replied += rng.random() < config.response_share
        if rng.random() < config.effect:
            avoided += 1
            continue
        kept.append(contact)
    treated_rate = (notified - avoided) / notified if notified else None
    control_rate = 1.0 if control else None
    measured = (
        round((control_rate - treated_rate) * notified)
        if control_rate is not None and treated_rate is not None
        else None
    )
    return kept, {
        "effect": config.effect,
        "holdout": config.holdout,
        "eligible": eligible,
        "control_group": control,
        "notified": notified,
        "contacts_avoided": avoided,
        "control_contact_rate": control_rate,
        "notified_contact_rate": round(treated_rate, 4) if treated_rate is not None else None,
        "measured_contacts_avoided": measured,
        "responses": replied,
        "response_rate": round(replied / notified, 4) if notified else None,
    }


def render_proactive(p: dict[str, Any]) -> str:
    """The prevention section of the text report."""
    rate = p["notified_contact_rate"]
    response = p["response_rate"]
    return "\n".join(
        [
            "",
            "Proactive outreach (control group held out)",
            f"  eligible customers     {p['eligible']}  (control {p['control_group']}, "
            f"notified {p['notified']})",
            f"  contact rate           control {p['control_contact_rate']}, notified "
            f"{rate if rate is not None else '-'}",
            f"  contacts avoided       {p['contacts_avoided']} "
            f"(measured against control: {p['measured_contacts_avoided']})",
            f"  outreach response rate {response if response is not None else '-'}",
        ]
    )
