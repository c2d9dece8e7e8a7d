"""Builds the default pipeline for a policy; later issues add understanding steps here."""

from __future__ import annotations

from hybridcx.pipeline.base import Pipeline
from hybridcx.pipeline.policy import RoutingPolicy
from hybridcx.pipeline.steps.responder import ResponderStep
from hybridcx.pipeline.steps.routing import RoutingPolicyStep
from hybridcx.pipeline.steps.rules import CustomerRequestRule, HumanOnlyRule, VipRule


def build_pipeline(policy: RoutingPolicy) -> Pipeline:
    return Pipeline(
        [
            HumanOnlyRule(),
            CustomerRequestRule(policy.customer_request_commands, policy.customer_request_phrases),
            VipRule(),
            RoutingPolicyStep(policy),
            ResponderStep(),
        ]
    )
