"""Compliance rules in the pipeline (no server): the shipped finance and healthcare examples."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest

from hybridcx.compliance.rubric import with_policy_disclosures
from hybridcx.pipeline.base import CustomerProfile, TurnContext
from hybridcx.pipeline.factory import build_pipeline
from hybridcx.pipeline.policy import RoutingPolicy, load_policy, parse_policy
from hybridcx.quality.rubric import RubricConfig
from tests.unit.test_assessment_steps import FakeSentiment, FakeUnderstander

EXAMPLES = Path(__file__).parents[2] / "src" / "hybridcx" / "pipeline" / "examples"


def example(name: str) -> RoutingPolicy:
    return load_policy(EXAMPLES / f"{name}.yaml")


def run(policy: RoutingPolicy, text: str) -> TurnContext:
    pipeline = build_pipeline(policy, understander=FakeUnderstander(), sentiment=FakeSentiment())
    ctx = TurnContext(
        text=text,
        customer=CustomerProfile("c1", "Alex", "alex@example.com"),
        channel="webchat",
        status="bot",
        tier=1,
        now=datetime(2026, 11, 27, 9, 0),
    )
    asyncio.run(pipeline.arun(ctx))
    return ctx


def test_examples_are_valid_and_keep_the_defaults() -> None:
    for name in ("finance", "healthcare"):
        policy = example(name)
        assert policy.compliance.rules and policy.compliance.verify_before_actions
        assert "cancel_order" not in policy.human_intents
        assert policy.human_intents["complaint"] == 2  # defaults merged underneath
        assert policy.legal_compliance_patterns  # untouched default


def test_default_policy_has_no_rules_but_holds_refunds_over_50() -> None:
    policy = load_policy()
    assert policy.compliance.rules == {}
    assert policy.compliance.approvals.refund_over == 50
    assert "cancel_and_refund" in policy.compliance.verify_before_actions


def test_finance_investment_question_gets_the_disclosure_and_stays_with_the_ai() -> None:
    ctx = run(example("finance"), "Should I put my savings into crypto or index funds?")
    assert ctx.compliance_rules == ["investment_information"]
    assert ctx.decision is not None and "compliance_rule" not in ctx.decision.reasons
    assert ctx.replies[-1].author == "ai"
    assert ctx.replies[-1].text.endswith("This is not financial advice.")


def test_finance_hardship_goes_to_a_specialist_at_tier_3() -> None:
    ctx = run(example("finance"), "I lost my job and I can't pay my credit card this month")
    assert "financial_hardship" in ctx.compliance_rules
    assert ctx.decision is not None and ctx.decision.handoff and ctx.decision.tier == 3
    assert "compliance_rule" in ctx.decision.reasons
    assert "specialist team" in ctx.replies[-1].text


def test_healthcare_emergency_hands_over_with_the_emergency_disclosure() -> None:
    ctx = run(
        example("healthcare"), "My father has chest pain and can't breathe, what dose of aspirin?"
    )
    assert {"emergency", "clinical_questions"} <= set(ctx.compliance_rules)
    assert ctx.decision is not None and ctx.decision.tier == 3 and ctx.decision.handoff
    text = ctx.replies[-1].text
    assert "call 911" in text and "I can't give medical advice." in text


def test_intent_rules_need_a_confident_intent() -> None:
    policy = parse_policy(
        "compliance:\n  rules:\n    hours:\n      intents: [opening_hours]\n"
        "      disclosures: ['Hours may differ on holidays.']\n",
        base=load_policy().model_dump(),
    )
    ctx = run(policy, "What are your opening hours?")  # the fake gives 0.95
    assert ctx.compliance_rules == ["hours"]
    assert ctx.replies[-1].text.endswith("Hours may differ on holidays.")
    assert run(policy, "zzz qqq").compliance_rules == []  # 0.2 confidence: no intent


def test_a_bad_rule_is_a_clear_policy_error() -> None:
    with pytest.raises(ValueError, match="ai_allowed"):
        parse_policy("compliance:\n  rules:\n    x:\n      ai_allowed: maybe\n")


def test_rubric_checks_intent_keyed_disclosures() -> None:
    rubric = with_policy_disclosures(RubricConfig(), example("finance"))
    assert rubric.compliance["account_status"] == ["Balances may not include pending transactions."]
    assert rubric.compliance["complaint"] == RubricConfig().compliance["complaint"]
