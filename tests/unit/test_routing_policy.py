"""RoutingPolicyStep: reasons and signals -> one RoutingDecision."""

from __future__ import annotations

import pytest

from hybridcx.pipeline.base import (
    ConversationStatus,
    CustomerProfile,
    Pipeline,
    RoutingDecision,
    TurnContext,
)
from hybridcx.pipeline.policy import RoutingPolicy, load_policy
from hybridcx.pipeline.steps.routing import RoutingPolicyStep

CUSTOMER = CustomerProfile(id="c1", name="Ada", email="ada@example.com")


def ctx_for(
    *,
    reasons: tuple[str, ...] = (),
    confidence: float | None = None,
    status: ConversationStatus = "bot",
    tier: int = 1,
    text: str | None = "hello",
) -> TurnContext:
    ctx = TurnContext(text=text, customer=CUSTOMER, channel="webchat", status=status, tier=tier)
    for reason in reasons:
        ctx.add_reason(reason)
    ctx.confidence = confidence
    return ctx


def decide(ctx: TurnContext, policy: RoutingPolicy | None = None) -> RoutingDecision:
    RoutingPolicyStep(policy or load_policy())(ctx)
    assert ctx.decision is not None
    return ctx.decision


@pytest.mark.parametrize("tier", [1, 2, 3])
def test_no_reasons_means_no_handoff_and_tier_unchanged(tier: int) -> None:
    decision = decide(ctx_for(tier=tier))
    assert decision.handoff is False
    assert decision.tier == tier
    assert decision.reasons == ()


@pytest.mark.parametrize("reason", ["customer_request", "vip", "human_only"])
def test_person_reasons_hand_off_at_tier_2(reason: str) -> None:
    decision = decide(ctx_for(reasons=(reason,)))
    assert decision.handoff is True
    assert decision.tier == 2
    assert decision.reasons == (reason,)


@pytest.mark.parametrize("tier3", ["legal_compliance", "high_value"])
def test_a_tier_3_reason_wins_over_tier_2(tier3: str) -> None:
    decision = decide(ctx_for(reasons=("customer_request", tier3)))
    assert decision.handoff is True
    assert decision.tier == 3
    # order does not matter
    decision = decide(ctx_for(reasons=(tier3, "vip")))
    assert decision.tier == 3


def test_tier_mapping_is_read_from_the_policy() -> None:
    policy = RoutingPolicy(reason_tiers={"vip": 3, "customer_request": 2})
    assert decide(ctx_for(reasons=("vip",)), policy).tier == 3
    assert decide(ctx_for(reasons=("customer_request",)), policy).tier == 2


def test_unmapped_reason_defaults_to_tier_2() -> None:
    decision = decide(ctx_for(reasons=("something_new",)), RoutingPolicy())
    assert decision.handoff is True
    assert decision.tier == 2


def test_tier_never_goes_down() -> None:
    decision = decide(ctx_for(reasons=("customer_request",), tier=3))
    assert decision.tier == 3


@pytest.mark.parametrize("confidence", [0.0, 0.3, 0.69])
def test_confidence_below_threshold_adds_low_confidence(confidence: float) -> None:
    decision = decide(ctx_for(confidence=confidence))
    assert "low_confidence" in decision.reasons
    assert decision.handoff is True
    assert decision.tier == 2
    assert decision.confidence == confidence


@pytest.mark.parametrize("confidence", [0.70, 0.71, 0.95, 1.0])
def test_confidence_at_or_above_threshold_does_not(confidence: float) -> None:
    decision = decide(ctx_for(confidence=confidence))
    assert "low_confidence" not in decision.reasons
    assert decision.handoff is False


def test_no_confidence_signal_means_no_low_confidence() -> None:
    decision = decide(ctx_for(confidence=None))
    assert "low_confidence" not in decision.reasons
    assert decision.handoff is False


@pytest.mark.parametrize(
    ("threshold", "confidence", "low"),
    [(0.5, 0.6, False), (0.9, 0.6, True), (0.5, 0.49, True), (0.9, 0.9, False)],
)
def test_threshold_comes_from_the_policy(threshold: float, confidence: float, low: bool) -> None:
    policy = load_policy().model_copy(update={"confidence_threshold": threshold})
    decision = decide(ctx_for(confidence=confidence), policy)
    assert ("low_confidence" in decision.reasons) is low
    assert decision.handoff is low
    assert decision.scores["confidence_threshold"] == threshold


@pytest.mark.parametrize("status", ["queued", "assigned"])
def test_with_humans_keeps_handoff_true(status: ConversationStatus) -> None:
    decision = decide(ctx_for(status=status, tier=2))
    assert decision.handoff is True
    assert decision.tier == 2


@pytest.mark.parametrize("status", ["queued", "assigned"])
def test_with_humans_low_confidence_is_not_a_new_reason(status: ConversationStatus) -> None:
    decision = decide(ctx_for(status=status, confidence=0.1, tier=2))
    assert decision.handoff is True
    assert "low_confidence" not in decision.reasons


@pytest.mark.parametrize("status", ["bot", "resolved"])
def test_not_with_humans_and_no_reasons_is_no_handoff(status: ConversationStatus) -> None:
    assert decide(ctx_for(status=status)).handoff is False


def test_decision_carries_signals_and_keeps_existing_scores() -> None:
    ctx = ctx_for(confidence=0.9)
    ctx.intent = "order_status"
    ctx.sentiment = -0.2
    ctx.scores["intent:order_status"] = 0.9
    decision = decide(ctx)
    assert decision.intent == "order_status"
    assert decision.confidence == 0.9
    assert decision.sentiment == -0.2
    assert decision.scores["intent:order_status"] == 0.9
    assert decision.scores["confidence_threshold"] == pytest.approx(0.70)
    as_dict = decision.to_dict()
    assert as_dict["reasons"] == []
    assert as_dict["intent"] == "order_status"
    assert as_dict["tier"] == 1
    assert as_dict["handoff"] is False


def test_pipeline_without_a_routing_step_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        Pipeline([]).run(ctx_for())


def test_pipeline_runs_steps_in_order_and_returns_the_decision() -> None:
    seen: list[str] = []

    class Mark:
        name = "mark"

        def __call__(self, ctx: TurnContext) -> None:
            seen.append("mark")
            ctx.add_reason("vip")

    result = Pipeline([Mark(), RoutingPolicyStep(load_policy())]).run(ctx_for())
    assert seen == ["mark"]
    assert result.decision.reasons == ("vip",)
    assert result.decision.handoff is True
    assert result.replies == ()
