"""The whole default pipeline (rules, routing, responder) on one turn."""

from __future__ import annotations

import pytest

from hybridcx.pipeline.base import (
    ConversationStatus,
    CustomerProfile,
    Pipeline,
    Reply,
    Step,
    TurnContext,
    TurnResult,
)
from hybridcx.pipeline.factory import build_pipeline
from hybridcx.pipeline.policy import load_policy
from hybridcx.pipeline.steps.responder import AI_DISCLOSURE, ResponderStep
from hybridcx.pipeline.steps.routing import RoutingPolicyStep

REGULAR = CustomerProfile(id="c1", name="Ada Lovelace", email="ada@example.com")
VIP = CustomerProfile(id="c2", name="Grace Hopper", email="grace@example.com", vip=True)
HUMAN_ONLY = CustomerProfile(id="c3", name="Alan Turing", email="alan@example.com", human_only=True)
NAMELESS = CustomerProfile(id="c4", name="  ", email="anon@example.com")

DISCLOSURE = "You're chatting with our AI assistant"


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline(load_policy())


def turn(
    pipeline: Pipeline,
    text: str | None,
    customer: CustomerProfile = REGULAR,
    *,
    status: ConversationStatus = "bot",
    tier: int = 1,
) -> TurnResult:
    ctx = TurnContext(text=text, customer=customer, channel="webchat", status=status, tier=tier)
    return pipeline.run(ctx)


def authors(replies: tuple[Reply, ...]) -> list[str]:
    return [r.author for r in replies]


def test_disclosure_constant_is_what_customers_see() -> None:
    assert AI_DISCLOSURE.startswith(DISCLOSURE)


# ---- opening turn ------------------------------------------------------------------------------


def test_opening_for_a_regular_customer_is_one_ai_greeting_with_disclosure(
    pipeline: Pipeline,
) -> None:
    result = turn(pipeline, None)
    assert len(result.replies) == 1
    reply = result.replies[0]
    assert reply.author == "ai"
    assert DISCLOSURE in reply.text
    assert "Ada" in reply.text
    assert "agent" in reply.text  # tells the customer how to reach a person
    assert result.decision.handoff is False
    assert result.decision.tier == 1
    assert result.decision.reasons == ()


def test_opening_without_a_name_still_greets(pipeline: Pipeline) -> None:
    result = turn(pipeline, None, NAMELESS)
    assert authors(result.replies) == ["ai"]
    assert result.replies[0].text.startswith("Hi!")
    assert DISCLOSURE in result.replies[0].text


def test_opening_for_human_only_is_a_system_message_and_no_ai(pipeline: Pipeline) -> None:
    result = turn(pipeline, None, HUMAN_ONLY)
    assert authors(result.replies) == ["system"]
    assert "ai" not in authors(result.replies)
    assert result.decision.handoff is True
    assert result.decision.tier == 2
    assert "human_only" in result.decision.reasons


@pytest.mark.parametrize("text", ["hello", "where is my order", "agent", "are you a bot?"])
@pytest.mark.parametrize("status", ["bot", "queued", "assigned"])
def test_human_only_never_gets_an_ai_message_later(
    pipeline: Pipeline,
    text: str,
    status: ConversationStatus,
) -> None:
    result = turn(pipeline, text, HUMAN_ONLY, status=status, tier=2)
    assert "ai" not in authors(result.replies)
    assert result.decision.handoff is True


def test_opening_for_a_vip_is_ai_and_a_tier_2_handoff(pipeline: Pipeline) -> None:
    result = turn(pipeline, None, VIP)
    assert authors(result.replies) == ["ai"]
    assert DISCLOSURE in result.replies[0].text
    assert result.decision.handoff is True
    assert result.decision.tier == 2
    assert result.decision.reasons == ("vip",)


# ---- later turns -------------------------------------------------------------------------------


def test_normal_message_gets_an_honest_ai_reply_offering_a_person(pipeline: Pipeline) -> None:
    result = turn(pipeline, "where is my order")
    assert authors(result.replies) == ["ai"]
    text = result.replies[0].text
    assert "AI" in text
    assert "person" in text
    assert "agent" in text
    assert result.decision.handoff is False
    assert result.decision.tier == 1


@pytest.mark.parametrize("text", ["agent", "Real person!", "can I talk to a human please"])
def test_asking_for_a_person_gets_an_ai_handoff_reply(pipeline: Pipeline, text: str) -> None:
    result = turn(pipeline, text)
    assert authors(result.replies) == ["ai"]
    assert "connecting you with a person" in result.replies[0].text
    assert result.decision.handoff is True
    assert result.decision.tier == 2
    assert result.decision.reasons == ("customer_request",)


def test_handoff_reply_differs_from_the_fallback(pipeline: Pipeline) -> None:
    handoff = turn(pipeline, "agent").replies[0].text
    fallback = turn(pipeline, "where is my order").replies[0].text
    assert handoff != fallback


@pytest.mark.parametrize("text", ["hello?", "agent", "where is my order"])
def test_no_ai_reply_when_assigned(pipeline: Pipeline, text: str) -> None:
    result = turn(pipeline, text, status="assigned", tier=2)
    assert result.replies == ()
    assert result.decision.handoff is True
    assert result.decision.tier == 2


@pytest.mark.parametrize("text", ["hello?", "agent"])
def test_no_ai_reply_while_queued(pipeline: Pipeline, text: str) -> None:
    result = turn(pipeline, text, status="queued", tier=2)
    assert result.replies == ()
    assert result.decision.handoff is True


def test_vip_message_in_bot_status_gets_a_team_handoff_reply(pipeline: Pipeline) -> None:
    result = turn(pipeline, "my parcel is late", VIP)
    assert authors(result.replies) == ["ai"]
    assert "team" in result.replies[0].text
    assert result.decision.handoff is True


# ---- low confidence (signal set by an earlier step) ---------------------------------------------


def test_low_confidence_hands_off_with_an_ai_reply() -> None:
    class Unsure:
        name = "unsure"

        def __call__(self, ctx: TurnContext) -> None:
            ctx.intent = "refund"
            ctx.confidence = 0.2

    policy = load_policy()
    steps: list[Step] = [Unsure(), RoutingPolicyStep(policy), ResponderStep()]
    ctx = TurnContext(text="umm", customer=REGULAR, channel="webchat", status="bot", tier=1)
    result = Pipeline(steps).run(ctx)
    assert result.decision.reasons == ("low_confidence",)
    assert result.decision.handoff is True
    assert authors(result.replies) == ["ai"]
    assert "team" in result.replies[0].text


def test_responder_keeps_a_reply_an_earlier_step_wrote() -> None:
    class Answer:
        name = "answer"

        def __call__(self, ctx: TurnContext) -> None:
            ctx.replies.append(Reply("ai", "Your order ships tomorrow."))

    steps: list[Step] = [Answer(), RoutingPolicyStep(load_policy()), ResponderStep()]
    ctx = TurnContext(text="order?", customer=REGULAR, channel="webchat", status="bot", tier=1)
    result = Pipeline(steps).run(ctx)
    assert result.replies == (Reply("ai", "Your order ships tomorrow."),)
