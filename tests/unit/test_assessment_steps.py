"""Assessment and Tier 1 steps of the pipeline, with a fake understander and sentiment scorer."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from hybridcx.flows.backend import Order
from hybridcx.flows.memory_backend import MemoryBackend
from hybridcx.flows.spec import load_flows
from hybridcx.pipeline.base import (
    ArticleRef,
    CustomerProfile,
    TranscriptLine,
    TurnContext,
    TurnServices,
)
from hybridcx.pipeline.factory import build_pipeline
from hybridcx.pipeline.policy import load_policy
from hybridcx.pipeline.steps.assess import SentimentScore, SentimentStep, trend_drop
from hybridcx.pipeline.steps.understand import Understanding

NOW = datetime(2026, 11, 27, 9, 0)
INTENTS = {
    "what are your opening hours?": ("opening_hours", 0.95),
    "where is my order?": ("order_status", 0.93),
    "i want to complain about the service": ("complaint", 0.9),
    "hello": ("greeting", 0.97),
    "where is my order and also can i change my delivery address to my office please": (
        "order_status",
        0.55,
    ),
}


class FakeUnderstander:
    def understand(self, text: str, *, now: datetime | None = None) -> Understanding:
        intent, conf = INTENTS.get(text.lower(), ("order_status", 0.2))
        entities: dict[str, list[Any]] = {}
        digits = "".join(c for c in text if c.isdigit())
        if len(digits) >= 4:
            entities["order_number"] = [digits]
        ranking = (
            [(intent, conf), ("change_delivery_address", 0.35)]
            if conf == 0.55
            else [(intent, conf)]
        )
        return Understanding(
            intent, conf, out_of_scope=conf < 0.3, ranking=ranking, entities=entities
        )


class FakeSentiment:
    def score(self, text: str, *, embedding: Any = None) -> SentimentScore:
        lowered = text.lower()
        if "furious" in lowered or "useless" in lowered:
            return SentimentScore(-0.8, 0.8, emotion="anger", emotions={"anger": 0.9})
        if "sick of" in lowered:  # upset, but no emotion cue passed its threshold
            return SentimentScore(-0.5, 0.7, emotions={"frustration": 0.2, "anxiety": 0.1})
        if "annoyed" in lowered:
            return SentimentScore(-0.4, 0.2, emotion="frustration")
        if "cancel" in lowered:  # a plain request the model reads as negative
            return SentimentScore(-0.9, 0.3)
        if "great" in lowered:
            return SentimentScore(0.7, 0.0)
        return SentimentScore(0.0, 0.0)


class FakeKnowledge:
    async def article(self, slug: str) -> ArticleRef | None:
        if slug == "opening-hours":
            return ArticleRef(slug, "Opening hours", "Open 9-19 on weekdays.")
        return None

    async def answer(self, query: str) -> None:
        return None


def _backend() -> MemoryBackend:
    b = MemoryBackend()
    b.orders["1001"] = (
        Order("1001", "shipped", "UPS", None, NOW.date() + timedelta(days=2), NOW),
        "alex@example.com",
    )
    return b


def turn(
    text: str, *, ai_state: dict[str, Any] | None = None, ltv: float = 0.0, history: list[str] = ()
) -> TurnContext:  # type: ignore[assignment]
    pipeline = build_pipeline(
        load_policy(),
        understander=FakeUnderstander(),
        sentiment=FakeSentiment(),
        flows=load_flows(),
    )
    ctx = TurnContext(
        text=text,
        customer=CustomerProfile("c1", "Alex", "alex@example.com", lifetime_value=ltv),
        channel="webchat",
        status="bot",
        tier=1,
        transcript=[TranscriptLine("customer", h) for h in history]
        + [TranscriptLine("customer", text)],
        ai_state=dict(ai_state or {}),
        services=TurnServices(backend=_backend(), knowledge=FakeKnowledge()),
        now=NOW,
    )
    asyncio.run(pipeline.arun(ctx))
    return ctx


def test_faq_is_answered_from_the_article_and_stays_tier_1() -> None:
    ctx = turn("What are your opening hours?")
    assert ctx.decision is not None and not ctx.decision.handoff and ctx.decision.tier == 1
    assert "Open 9-19" in ctx.replies[0].text and "Source: Opening hours" in ctx.replies[0].text
    assert ctx.decision.intent == "opening_hours" and ctx.decision.confidence == 0.95


def test_low_confidence_hands_over() -> None:
    ctx = turn("asdkj qwe zzz")
    assert ctx.decision is not None and ctx.decision.handoff
    assert ctx.decision.reasons == ("low_confidence",)
    assert ctx.decision.scores["intent_confidence"] == 0.2
    assert "not sure I understood" in ctx.replies[-1].text


def test_flow_answers_are_not_low_confidence() -> None:
    first = turn("Where is my order?")
    assert first.ai_state["flow"]["flow"] == "order_status" and not first.decision.handoff  # type: ignore[union-attr]
    second = turn("1001", ai_state=first.ai_state)  # the fake gives "1001" a 0.2 confidence
    assert second.decision is not None and not second.decision.handoff
    assert "Order 1001 is shipped" in second.replies[0].text
    assert "flow" not in second.ai_state


def test_angry_message_escalates_with_negative_sentiment() -> None:
    ctx = turn("This is useless, I'm furious")
    assert ctx.decision is not None and "negative_sentiment" in ctx.decision.reasons
    assert ctx.decision.scores["upset"] == 0.8 and ctx.decision.scores["emotion_anger"] == 0.9
    assert ctx.decision.emotion == "anger"
    assert ctx.decision.to_dict()["emotion"] == "anger"


def test_upset_without_a_named_cue_names_the_strongest_negative_emotion() -> None:
    ctx = turn("I am sick of this")
    assert ctx.decision is not None and "negative_sentiment" in ctx.decision.reasons
    assert ctx.decision.emotion == "frustration"


def test_upset_threshold_comes_from_the_model_unless_the_policy_sets_one() -> None:
    policy = load_policy()
    calm = SentimentScore(-0.5, 0.45, upset_threshold=0.4)
    ctx = TurnContext(
        text="x",
        customer=CustomerProfile("c1", "Alex", "a@example.com"),
        channel="webchat",
        status="bot",
        tier=1,
    )
    SentimentStep(_Fixed(calm), policy.sentiment)(ctx)
    assert "negative_sentiment" in ctx.reasons and ctx.scores["upset_threshold"] == 0.4
    stricter = policy.sentiment.model_copy(update={"frustration_above": 0.5})
    ctx = TurnContext(
        text="x",
        customer=CustomerProfile("c1", "Alex", "a@example.com"),
        channel="webchat",
        status="bot",
        tier=1,
    )
    SentimentStep(_Fixed(calm), stricter)(ctx)
    assert "negative_sentiment" not in ctx.reasons


class _Fixed:
    def __init__(self, score: SentimentScore) -> None:
        self.fixed = score

    def score(self, text: str, *, embedding: Any = None) -> SentimentScore:
        return self.fixed


def test_worsening_trend_escalates() -> None:
    ctx = turn("I'm annoyed now", history=["this is great", "ok"])
    assert ctx.decision is not None and "negative_sentiment" in ctx.decision.reasons
    assert ctx.decision.emotion == "frustration"


def test_a_drop_without_an_emotion_or_after_a_short_answer_does_not_escalate() -> None:
    ctx = turn("please cancel my appointment", history=["this is great"])
    assert ctx.decision is not None and "negative_sentiment" not in ctx.decision.reasons
    assert ctx.decision.scores["sentiment_trend_drop"] == 1.6
    assert trend_drop([0.7, 0.0, -0.4]) == 1.1 - 0.0 or trend_drop([0.7, 0.0, -0.4]) > 1.0


def test_legal_threat_goes_to_tier_3() -> None:
    ctx = turn("I will take legal action if this isn't fixed")
    assert (
        ctx.decision is not None
        and ctx.decision.tier == 3
        and "legal_compliance" in ctx.decision.reasons
    )


def test_data_protection_request_is_legal_compliance() -> None:
    ctx = turn("Please delete my personal data under GDPR")
    assert ctx.decision is not None and "legal_compliance" in ctx.decision.reasons


def test_human_intent_goes_to_a_person() -> None:
    ctx = turn("I want to complain about the service")
    assert (
        ctx.decision is not None
        and ctx.decision.reasons == ("human_intent",)
        and ctx.decision.tier == 2
    )


def test_two_requests_in_one_message_are_complex_and_tier_3_for_high_value() -> None:
    text = "where is my order and also can I change my delivery address to my office please"
    regular = turn(text)
    assert (
        regular.decision is not None
        and "complex" in regular.decision.reasons
        and regular.decision.tier == 2
    )
    valuable = turn(text, ltv=50_000)
    assert valuable.decision is not None and valuable.decision.tier == 3
    assert {"complex", "high_value"} <= set(valuable.decision.reasons)


def test_two_failures_escalate_as_repeated_failure() -> None:
    first = turn("Where is my order?")
    second = turn("blah", ai_state=first.ai_state)  # unusable answer: asked again
    assert second.decision is not None and not second.decision.handoff
    assert "didn't get that" in second.replies[0].text
    third = turn("blah blah", ai_state=second.ai_state)
    assert third.decision is not None and "repeated_failure" in third.decision.reasons


def test_small_talk_is_answered() -> None:
    ctx = turn("hello")
    assert (
        ctx.decision is not None
        and not ctx.decision.handoff
        and "AI assistant" in ctx.replies[0].text
    )


def test_customer_request_mid_flow_drops_the_flow() -> None:
    first = turn("Where is my order?")
    ctx = turn("agent", ai_state=first.ai_state)
    assert ctx.decision is not None and ctx.decision.reasons[0] == "customer_request"
    assert "flow" not in ctx.ai_state


def test_a_bare_code_never_escalates_or_digresses() -> None:
    class CodeLooksLikeAPerson(FakeUnderstander):
        def understand(self, text: str, *, now: datetime | None = None) -> Understanding:
            if text.isdigit():
                return Understanding(
                    "human_agent", 0.99, out_of_scope=False, ranking=[("human_agent", 0.99)]
                )
            return super().understand(text, now=now)

    pipeline = build_pipeline(
        load_policy(),
        understander=CodeLooksLikeAPerson(),
        sentiment=FakeSentiment(),
        flows=load_flows(),
    )
    ctx = TurnContext(
        text="482913",
        customer=CustomerProfile("c1", "Alex", "alex@example.com"),
        channel="webchat",
        status="bot",
        tier=1,
        services=TurnServices(backend=_backend(), knowledge=FakeKnowledge()),
        now=NOW,
    )
    asyncio.run(pipeline.arun(ctx))
    assert ctx.decision is not None and "customer_request" not in ctx.decision.reasons
