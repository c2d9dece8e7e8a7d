"""Turns the reasons and signals gathered so far into a RoutingDecision."""

from __future__ import annotations

from hybridcx.pipeline.base import RoutingDecision, TurnContext
from hybridcx.pipeline.policy import RoutingPolicy


class RoutingPolicyStep:
    name = "routing_policy"

    def __init__(self, policy: RoutingPolicy) -> None:
        self.policy = policy

    def __call__(self, ctx: TurnContext) -> None:
        policy = self.policy
        ai_turn = ctx.text is not None and not ctx.with_humans and not ctx.handled
        confident = (ctx.confidence or 0.0) >= policy.confidence_threshold and not ctx.out_of_scope
        if ai_turn and confident and ctx.intent in policy.human_intents:
            ctx.add_reason("human_intent")
        elif (
            ai_turn
            and "flow_failed" not in ctx.reasons  # the flow read the message, not the intents
            and ctx.confidence is not None
            and (ctx.confidence < policy.confidence_threshold or ctx.out_of_scope)
        ):
            ctx.add_reason("low_confidence")
        if not ctx.with_humans and int(ctx.ai_state.get("failures", 0)) >= policy.max_ai_failures:
            ctx.add_reason("repeated_failure")
        tier = ctx.tier
        for reason in ctx.reasons:
            tier = max(tier, policy.tier_for(reason))
        if "compliance_rule" in ctx.reasons:
            tier = max(tier, int(ctx.scores.get("compliance_tier", 0)))
        if "human_intent" in ctx.reasons and ctx.intent:
            tier = max(tier, policy.human_intents.get(ctx.intent, 2))
        scores = dict(ctx.scores)
        scores["confidence_threshold"] = policy.confidence_threshold
        ctx.decision = RoutingDecision(
            tier=tier,
            handoff=bool(ctx.reasons) or ctx.with_humans,
            reasons=tuple(ctx.reasons),
            scores=scores,
            intent=ctx.intent,
            confidence=ctx.confidence,
            sentiment=ctx.sentiment,
            emotion=ctx.emotion,
            thresholds={
                "confidence": policy.confidence_threshold,
                "negative_sentiment": _off(policy.sentiment.negative_below, -1.0),
                "upset": ctx.scores.get(
                    "upset_threshold", _off(policy.sentiment.frustration_above, 1.0)
                ),
                "sentiment_trend_drop": policy.sentiment.trend_drop,
                "complexity": policy.complexity.threshold,
                "high_value_lifetime": policy.high_value_lifetime,
                "max_ai_failures": float(policy.max_ai_failures),
            },
        )


def _off(value: float | None, never: float) -> float:
    """A threshold that is switched off, as the value that never triggers."""
    return never if value is None else value
