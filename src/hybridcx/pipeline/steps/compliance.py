"""Pipeline steps for the workspace's compliance rules (``compliance.rules`` in the policy)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from hybridcx.pipeline.base import Reply, TurnContext
from hybridcx.pipeline.policy import ComplianceRule


class ComplianceRuleStep:
    """Finds the regulated topics of this turn, by confident intent or by pattern.

    A rule with ``ai_allowed: false`` takes the conversation from the AI at once (reason
    ``compliance_rule``, at the rule's tier); the others let the AI answer with the rule's
    disclosures (``DisclosureStep``)."""

    name = "compliance_rules"

    def __init__(self, rules: Mapping[str, ComplianceRule], *, confidence_threshold: float) -> None:
        self.rules = dict(rules)
        self.threshold = confidence_threshold
        self.patterns = {
            name: [re.compile(p, re.IGNORECASE) for p in rule.patterns]
            for name, rule in self.rules.items()
        }

    def __call__(self, ctx: TurnContext) -> None:
        if ctx.text is None or not self.rules:
            return
        confident = (ctx.confidence or 0.0) >= self.threshold and not ctx.out_of_scope
        for name, rule in self.rules.items():
            by_intent = confident and ctx.intent in rule.intents
            if not (by_intent or any(p.search(ctx.text) for p in self.patterns[name])):
                continue
            ctx.compliance_rules.append(name)
            if not rule.ai_allowed:
                ctx.add_reason("compliance_rule")
                ctx.scores["compliance_tier"] = max(
                    float(rule.tier), ctx.scores.get("compliance_tier", 0.0)
                )
        if ctx.compliance_rules:
            seen = list(ctx.ai_state.get("compliance_rules", []))
            ctx.ai_state["compliance_rules"] = seen + [
                r for r in ctx.compliance_rules if r not in seen
            ]


class DisclosureStep:
    """Appends each applying rule's required disclosures to the AI's last reply of the turn."""

    name = "disclosures"

    def __init__(self, rules: Mapping[str, ComplianceRule]) -> None:
        self.rules = dict(rules)

    def __call__(self, ctx: TurnContext) -> None:
        if not ctx.compliance_rules:
            return
        last = next(
            (i for i in reversed(range(len(ctx.replies))) if ctx.replies[i].author == "ai"), None
        )
        if last is None:
            return  # a person has the conversation: saying it is theirs (the rubric checks)
        reply = ctx.replies[last]
        text = reply.text
        for name in ctx.compliance_rules:
            for disclosure in self.rules[name].disclosures:
                if disclosure.lower() not in text.lower():
                    text = f"{text}\n\n{disclosure}"
        ctx.replies[last] = Reply(reply.author, text, reply.buttons)
