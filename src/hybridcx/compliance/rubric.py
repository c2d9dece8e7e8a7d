"""The quality rubric checks the policy's required disclosures too (criterion ``compliance``)."""

from __future__ import annotations

from hybridcx.pipeline.policy import RoutingPolicy
from hybridcx.quality.rubric import RubricConfig


def with_policy_disclosures(rubric: RubricConfig, policy: RoutingPolicy) -> RubricConfig:
    """A copy of ``rubric`` whose regulated intents include the policy's intent-keyed rules:
    a conversation about such an intent must contain one of the rule's disclosures."""
    compliance = {k: list(v) for k, v in rubric.compliance.items()}
    for rule in policy.compliance.rules.values():
        for intent in rule.intents:
            if rule.disclosures:
                compliance[intent] = [*compliance.get(intent, []), *rule.disclosures]
    return rubric.model_copy(update={"compliance": compliance})
