"""A quick-reply button the AI offered is an answer (item 1).

The classifier may read a slot label ("Tue 08 Dec 09:00 at Northwind Riverside") as a question
about opening hours; the flow must still take it as the customer's choice, on any date.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from hybridcx.flows.backend import Slot
from hybridcx.flows.engine import match_button
from hybridcx.flows.memory_backend import MemoryBackend
from hybridcx.flows.spec import load_flows
from hybridcx.pipeline.base import ArticleRef, CustomerProfile, TurnContext, TurnServices
from hybridcx.pipeline.factory import build_pipeline
from hybridcx.pipeline.policy import load_policy
from hybridcx.pipeline.steps.assess import SentimentScore
from hybridcx.pipeline.steps.understand import Understanding

LABELS = [
    "Tue 08 Dec 09:00 at Northwind Downtown (12 Market St)",
    "Tue 08 Dec 09:00 at Northwind Riverside (88 Quay Rd)",
    "Tue 08 Dec 11:00 at Northwind Downtown (12 Market St)",
    "Wed 09 Dec 14:00 at Northwind Riverside (88 Quay Rd)",
]


@pytest.mark.parametrize(
    ("reply", "index"),
    [
        (LABELS[1], 1),
        (LABELS[1].upper() + "!", 1),
        ("2", 1),
        ("option 3", 2),
        ("#4", 3),
        ("the second one", 1),
        ("second", 1),
        ("The first option", 0),
        ("last one", 3),
        ("Tuesday 9am at Riverside", 1),
        ("tue 9:00 riverside", 1),
        ("11am downtown", 2),
        ("Wednesday at 2pm", 3),
        ("I'll take Wednesday 9 December at 2 pm please", 3),
    ],
)
def test_a_reply_picks_the_button_it_names(reply: str, index: int) -> None:
    assert match_button(reply, LABELS) == LABELS[index]


@pytest.mark.parametrize(
    "reply",
    [
        "what are your opening hours?",  # a question, not a choice
        "Riverside",  # fits two buttons: ambiguous, so no pick
        "Tuesday 9am",  # likewise
        "Friday 10am",  # fits none
        "5",  # there are only four
        "yes",
        "",
    ],
)
def test_a_reply_that_names_no_single_button_picks_none(reply: str) -> None:
    assert match_button(reply, LABELS) is None


def test_no_buttons_no_pick() -> None:
    assert match_button("2", []) is None


# ---- through the pipeline, with a classifier that reads every slot label as a question -------


class SlotsLookLikeQuestions:
    """Starts the booking flow, then calls everything else a confident opening-hours question:
    without the button rule each click would be taken as a digression."""

    def understand(self, text: str, *, now: datetime | None = None) -> Understanding:
        if "book" in text.lower():
            return Understanding(
                "book_appointment", 0.96, out_of_scope=False, ranking=[("book_appointment", 0.96)]
            )
        return Understanding(
            "opening_hours", 0.93, out_of_scope=False, ranking=[("opening_hours", 0.93)]
        )


class OpeningHoursArticle:
    """Knowledge that answers the opening-hours question the classifier thinks it heard."""

    async def article(self, slug: str) -> ArticleRef | None:
        if slug == "opening-hours":
            return ArticleRef(slug, "Opening hours", "Open 9-19 on weekdays.")
        return None

    async def answer(self, query: str) -> None:
        return None


class Neutral:
    def score(self, text: str) -> SentimentScore:
        return SentimentScore(0.0, 0.0)


# Month and year ends, both 2027 DST changes (EU and US), a weekend, a leap day.
DATES = [
    datetime(2026, 12, 7, 9, 0),
    datetime(2026, 12, 31, 16, 30),
    datetime(2027, 1, 31, 8, 0),
    datetime(2027, 3, 14, 1, 30),
    datetime(2027, 3, 28, 0, 45),
    datetime(2027, 10, 31, 1, 15),
    datetime(2026, 12, 12, 11, 0),
    datetime(2028, 2, 29, 23, 0),
]


def _backend(now: datetime) -> MemoryBackend:
    backend = MemoryBackend()
    day = now.date() + timedelta(days=1)
    for hour in (9, 11, 14):
        for location in ("Northwind Downtown (12 Market St)", "Northwind Riverside (88 Quay Rd)"):
            starts = datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)
            slot = Slot(f"{hour}-{location[10:13]}", starts, location)
            backend.slots[slot.id] = (slot, None)
    return backend


def _turn(
    text: str, ai_state: dict[str, Any], backend: MemoryBackend, now: datetime
) -> TurnContext:
    pipeline = build_pipeline(
        load_policy(),
        understander=SlotsLookLikeQuestions(),
        sentiment=Neutral(),
        flows=load_flows(),
    )
    ctx = TurnContext(
        text=text,
        customer=CustomerProfile("c1", "Alex", "alex@example.com"),
        channel="webchat",
        status="bot",
        tier=1,
        ai_state=ai_state,
        services=TurnServices(backend=backend, knowledge=OpeningHoursArticle()),
        now=now,
    )
    asyncio.run(pipeline.arun(ctx))
    return ctx


def _tolerant(label: str) -> str:
    """'Wed 09 Dec 14:00 at Northwind Riverside (...)' -> 'Wednesday 2pm at Riverside'."""
    hour = int(label.split()[3][:2])
    when = f"{hour % 12 or 12}{'pm' if hour >= 12 else 'am'}"
    names = {"Mon": "Monday", "Tue": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday"}
    names |= {"Fri": "Friday", "Sat": "Saturday", "Sun": "Sunday"}
    return f"{names[label.split()[0]]} {when} at {label.split()[6]}"


@pytest.mark.parametrize("now", DATES, ids=lambda d: d.strftime("%Y-%m-%d"))
@pytest.mark.parametrize("form", ["exact", "ordinal", "digit", "tolerant"])
def test_clicking_a_slot_asks_to_confirm_that_slot(now: datetime, form: str) -> None:
    backend = _backend(now)
    ai_state: dict[str, Any] = {}
    offer = _turn("I'd like to book an appointment", ai_state, backend, now)
    buttons = list(offer.replies[-1].buttons)
    assert len(buttons) == 4 and ai_state["flow"]["flow"] == "book_appointment"
    chosen = buttons[1]
    reply = {
        "exact": chosen,
        "ordinal": "the second one",
        "digit": "2",
        "tolerant": _tolerant(chosen),
    }[form]
    ctx = _turn(reply, ai_state, backend, now)
    assert ctx.replies[-1].text == f"Shall I book {chosen} for you?"
    assert list(ctx.replies[-1].buttons) == ["Yes", "No"]
    assert ctx.decision is not None and not ctx.decision.handoff
    done = _turn("Yes", ai_state, backend, now)
    assert done.replies[-1].text.startswith(f"You're booked for {chosen}")
    assert "flow" not in ai_state
    assert not any("Open 9-19" in r.text for r in ctx.replies + done.replies)
