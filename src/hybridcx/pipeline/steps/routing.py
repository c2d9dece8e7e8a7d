"""Turns the reasons and signals gathered so far into a RoutingDecision."""

from __future__ import annotations

from hybridcx.pipeline.base import RoutingDecision, TurnContext
from hybridcx.pipeline.policy import RoutingPolicy


class RoutingPolicyStep:
    name = "routing_policy"

    def __init__(self, policy: RoutingPolicy) -> None:
        self.policy = policy

    def __call__(self, ctx: TurnContext) -> None:
        if (
            ctx.confidence is not None
            and ctx.confidence < self.policy.confidence_threshold
            and not ctx.with_humans
        ):
            ctx.add_reason("low_confidence")
        tier = ctx.tier
        for reason in ctx.reasons:
            tier = max(tier, self.policy.tier_for(reason))
        scores = dict(ctx.scores)
        scores["confidence_threshold"] = self.policy.confidence_threshold
        ctx.decision = RoutingDecision(
            tier=tier,
            handoff=bool(ctx.reasons) or ctx.with_humans,
            reasons=tuple(ctx.reasons),
            scores=scores,
            intent=ctx.intent,
            confidence=ctx.confidence,
            sentiment=ctx.sentiment,
        )
