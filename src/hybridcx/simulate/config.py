"""The simulation's assumptions, in one place: every number the model invents lives here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Virtual time starts on a Monday at midnight (a fixed date keeps runs reproducible).
T0 = datetime(2026, 3, 2, 0, 0, 0)
CHANNELS = ("webchat", "email", "sms")

# Relative arrivals per hour of the day (0-23), per channel: chat peaks late morning and in
# the evening, email in office hours, SMS in the evening.
DAILY_CURVES: dict[str, tuple[float, ...]] = {
    "webchat": (
        1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 4, 6, 7, 7,
        6.5, 6.5, 6, 5.5, 5.5, 5, 5, 5.5, 6, 5, 3.5, 2,
    ),
    "email": (
        0.5, 0.3, 0.2, 0.2, 0.3, 0.5, 1, 3, 6, 8, 8, 7.5,
        6, 6.5, 7, 7, 6.5, 5, 3.5, 3, 2.5, 2, 1.5, 1,
    ),
    "sms": (
        0.8, 0.4, 0.3, 0.2, 0.2, 0.4, 0.8, 2, 3, 4, 4.5, 5,
        5.5, 5, 4.5, 4.5, 5, 5.5, 6, 6.5, 6.5, 5.5, 4, 2,
    ),
}  # fmt: skip

# How often customers raise each demo intent (relative). Uniform over the labels for other data.
DEMO_INTENT_WEIGHTS: dict[str, float] = {
    "order_status": 18, "password_reset": 8, "account_status": 6, "refund_status": 6,
    "opening_hours": 5, "shipping_policy": 5, "returns_policy": 5, "book_appointment": 5,
    "store_locations": 3, "discount_codes": 3, "gift_cards": 3, "payment_methods": 3,
    "warranty_policy": 3, "reschedule_appointment": 3, "cancel_appointment": 2,
    "damaged_item": 3, "cancel_order": 3, "product_availability": 3, "human_agent": 3,
    "change_delivery_address": 2, "complaint": 2, "update_contact_details": 2,
    "privacy_policy": 1, "oos": 4,
}  # fmt: skip


@dataclass(frozen=True)
class SimConfig:
    contacts: int = 2000
    agents: int = 12  # agents on duty at once during staffed hours (seats)
    hours: float = 24.0
    seed: int = 1
    channel_mix: dict[str, float] = field(
        default_factory=lambda: {"webchat": 0.6, "email": 0.25, "sms": 0.15}
    )
    # Customer segments (shares of contacts) and behaviour.
    vip_share: float = 0.06
    human_only_share: float = 0.04
    angry_share: float = 0.12
    two_issue_share: float = 0.12
    greet_first_share: float = 0.15
    variation_share: float = 0.6  # utterances typed with a prefix, suffix, lower case or typo
    verified_share: float = 0.3  # logged in: flows skip the identity questions
    has_account_share: float = 0.95
    high_value_share: float = 0.05  # lifetime value above the policy's high-value line
    # After the AI could not help: rephrase, ask for a person, or leave (the rest).
    rephrase_share: float = 0.5
    ask_agent_share: float = 0.3
    wrong_answer_share: float = 0.08  # a flow answer the AI must reject (wrong order number)
    say_no_share: float = 0.05  # "no" to a flow's confirmation
    thanks_share: float = 0.25
    drop_off_share: float = 0.03  # stops answering at each question a flow asks
    # Seconds a customer takes to write the next message (mean), by channel.
    think_seconds: dict[str, float] = field(
        default_factory=lambda: {"webchat": 25.0, "email": 1800.0, "sms": 90.0}
    )
    # Mean patience in the queue before abandoning (exponential), by channel.
    patience_seconds: dict[str, float] = field(
        default_factory=lambda: {"webchat": 240.0, "email": 86_400.0, "sms": 1200.0}
    )
    # Human handle time: lognormal with these means (seconds) by tier, times a channel factor.
    handle_mean_seconds: dict[int, float] = field(default_factory=lambda: {2: 300.0, 3: 600.0})
    handle_channel_factor: dict[str, float] = field(
        default_factory=lambda: {"webchat": 1.0, "email": 0.8, "sms": 1.2}
    )
    handle_sigma: float = 0.6
    # Staffed hours each day [open, close); the span is split into shifts of at most 8 hours.
    open_hour: float = 8.0
    close_hour: float = 22.0
    premium_every: int = 4  # every 4th seat has the "premium" (tier 3) skill
    capacity: int = 1  # conversations an agent works at once
    service_level_seconds: float = 20.0
    service_level_target: float = 0.8
    # After the conversation: a survey (CSAT 1-5 and NPS 0-10), answered by this share of
    # customers, with scores drawn around a mean that depends on the outcome (see docs).
    survey_share: float = 0.3
    # Customers whose issue was not solved (the AI could not help, or they gave up waiting)
    # come back about the same issue, on the same channel, after 1-24 hours (mean 4 h).
    recontact_share: float = 0.35
    # Share of conversations a person resolved where the fix did not hold (they may come back).
    human_unsolved_share: float = 0.1
    # A person hands this share of tier 2 conversations on to a specialist (tier 3) part-way.
    transfer_share: float = 0.05
    # Agent skill (see simulate/skills.py): 0 keeps every agent identical and the
    # outcome of a human contact unmodelled (the default); above 0 agents differ by intent in
    # resolution and handle time, and customers answer a survey (CSAT, "resolved?").
    skill_spread: float = 0.0
    skill_seed: int | None = None  # whose agents: defaults to ``seed`` (warm-up runs share it)
    survey_response_share: float = 0.7

    def __post_init__(self) -> None:
        if self.contacts < 1 or self.agents < 0 or self.hours <= 0:
            raise ValueError("contacts >= 1, agents >= 0 and hours > 0 are required")
        if not 0 <= self.open_hour < self.close_hour <= 24:
            raise ValueError("staffed hours must satisfy 0 <= open < close <= 24")
