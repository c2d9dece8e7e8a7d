"""Builds a workspace's pipeline from its policy and the AI components available."""

from __future__ import annotations

from hybridcx.flows.spec import FlowsFile
from hybridcx.pipeline.base import Pipeline, Step
from hybridcx.pipeline.policy import RoutingPolicy
from hybridcx.pipeline.safety.steps import InputGuardStep, OutputFilterStep, SafetyReplyStep
from hybridcx.pipeline.steps.assess import (
    ComplexityStep,
    LegalComplianceRule,
    SentimentScorer,
    SentimentStep,
)
from hybridcx.pipeline.steps.clarify import ClarifyAnswerStep, ClarifyQuestionStep
from hybridcx.pipeline.steps.compliance import ComplianceRuleStep, DisclosureStep
from hybridcx.pipeline.steps.flow import FlowStep
from hybridcx.pipeline.steps.multi import MultiRequestStep
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
    """guard -> understand -> assess -> comply -> act (flows) -> decide -> respond -> filter.

    Without an understander or flows the pipeline still applies the model-free rules."""
    steps: list[Step] = [
        PaymentDataGuard(),  # privacy: cards/CVVs out, secure payment offered
        InputGuardStep(),
        HumanOnlyRule(),
        CustomerRequestRule(policy.customer_request_commands, policy.customer_request_phrases),
    ]
    if understander is not None:
        steps.append(UnderstandStep(understander))
        steps.append(ClarifyAnswerStep())
        steps.append(
            CustomerRequestIntentRule(
                policy.customer_request_intents, confidence_threshold=policy.confidence_threshold
            )
        )
    if sentiment is not None:
        steps.append(SentimentStep(sentiment, policy.sentiment))
    steps.append(LegalComplianceRule(policy.legal_compliance_patterns))
    automated = automated_intents(policy, flows)
    if understander is not None:
        steps.append(
            ComplexityStep(
                policy.complexity,
                high_value_lifetime=policy.high_value_lifetime,
                automated=automated,
            )
        )
        if flows is not None:
            steps.append(MultiRequestStep(automated))
    steps.append(VipRule())
    rules = policy.compliance.rules
    steps.append(ComplianceRuleStep(rules, confidence_threshold=policy.confidence_threshold))
    if flows is not None and understander is not None:
        steps.append(
            ClarifyQuestionStep(
                policy.clarify,
                smalltalk=policy.smalltalk,
                person_intents=policy.customer_request_intents,
            )
        )
        approvals = policy.compliance.approvals
        limits = {
            "refund_over": approvals.refund_over,
            "account_changes": approvals.account_changes,
            "verify_before_actions": list(policy.compliance.verify_before_actions),
        }
        steps.append(
            FlowStep(
                flows,
                confidence_threshold=policy.confidence_threshold,
                smalltalk=policy.smalltalk,
                human_intents=policy.human_intents,
                limits=limits,
            )
        )
    steps += [
        SafetyReplyStep(),
        RoutingPolicyStep(policy),
        ResponderStep(),
        OutputFilterStep(),
        DisclosureStep(rules),
    ]
    return Pipeline(steps)


def automated_intents(policy: RoutingPolicy, flows: FlowsFile | None) -> frozenset[str]:
    """Intents the AI serves itself: a flow, a knowledge article or small talk, unless the
    policy gives them to people."""
    if flows is None:
        return frozenset()
    served = {i for flow in flows.flows.values() for i in flow.intents}
    served |= set(flows.faq_intents) | set(policy.smalltalk)
    return frozenset(served - set(policy.human_intents) - set(policy.customer_request_intents))
