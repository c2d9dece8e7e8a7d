"""Builds a workspace's pipeline from its policy and the AI components available."""

from __future__ import annotations

from hybridcx.flows.spec import FlowsFile
from hybridcx.pipeline.base import Pipeline, Step
from hybridcx.pipeline.policy import RoutingPolicy
from hybridcx.pipeline.steps.assess import (
    ComplexityStep,
    LegalComplianceRule,
    SentimentScorer,
    SentimentStep,
)
from hybridcx.pipeline.steps.flow import FlowStep
from hybridcx.pipeline.steps.payment_guard import PaymentDataGuard
from hybridcx.pipeline.steps.responder import ResponderStep
from hybridcx.pipeline.steps.routing import RoutingPolicyStep
from hybridcx.pipeline.steps.rules import (
    CustomerRequestIntentRule,
    CustomerRequestRule,
    HumanOnlyRule,
    VipRule,
)
from hybridcx.pipeline.steps.understand import Understander, UnderstandStep


def build_pipeline(
    policy: RoutingPolicy,
    *,
    understander: Understander | None = None,
    sentiment: SentimentScorer | None = None,
    flows: FlowsFile | None = None,
) -> Pipeline:
    """redact -> understand -> assess -> act (flows) -> decide -> respond.

    Without an understander or flows the pipeline still applies the model-free rules."""
    steps: list[Step] = [
        PaymentDataGuard(),  # privacy (issue 9): cards/CVVs out, secure payment offered
        HumanOnlyRule(),
        CustomerRequestRule(policy.customer_request_commands, policy.customer_request_phrases),
    ]
    if understander is not None:
        steps.append(UnderstandStep(understander))
        steps.append(
            CustomerRequestIntentRule(
                policy.customer_request_intents, confidence_threshold=policy.confidence_threshold
            )
        )
    if sentiment is not None:
        steps.append(SentimentStep(sentiment, policy.sentiment))
    steps.append(LegalComplianceRule(policy.legal_compliance_patterns))
    if understander is not None:
        steps.append(
            ComplexityStep(policy.complexity, high_value_lifetime=policy.high_value_lifetime)
        )
    steps.append(VipRule())
    if flows is not None and understander is not None:
        steps.append(
            FlowStep(
                flows, confidence_threshold=policy.confidence_threshold, smalltalk=policy.smalltalk
            )
        )
    steps += [RoutingPolicyStep(policy), ResponderStep()]
    return Pipeline(steps)
