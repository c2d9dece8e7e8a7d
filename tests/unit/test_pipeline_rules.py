"""The model-free routing rules: "get me a person", human-only opt-out and VIP."""

from __future__ import annotations

import pytest

from hybridcx.pipeline.base import CustomerProfile, TurnContext
from hybridcx.pipeline.policy import load_policy
from hybridcx.pipeline.steps.rules import CustomerRequestRule, HumanOnlyRule, VipRule, normalize

REGULAR = CustomerProfile(id="c1", name="Ada Lovelace", email="ada@example.com")
VIP = CustomerProfile(id="c2", name="Grace Hopper", email="grace@example.com", vip=True)
HUMAN_ONLY = CustomerProfile(id="c3", name="Alan Turing", email="alan@example.com", human_only=True)


def ctx_for(text: str | None, customer: CustomerProfile = REGULAR) -> TurnContext:
    return TurnContext(text=text, customer=customer, channel="webchat", status="bot", tier=1)


@pytest.fixture(scope="module")
def rule() -> CustomerRequestRule:
    policy = load_policy()
    return CustomerRequestRule(policy.customer_request_commands, policy.customer_request_phrases)


def run(rule: CustomerRequestRule, text: str | None) -> list[str]:
    ctx = ctx_for(text)
    rule(ctx)
    return ctx.reasons


# ---- CustomerRequestRule with the default policy ---------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "agent",
        "human",
        "representative",
        "Real person!",
        "speak to a person",
        "person",
        "operator",
        "live agent",
        "an agent",
        "talk to a human",
    ],
)
def test_one_line_commands_escalate(rule: CustomerRequestRule, text: str) -> None:
    assert run(rule, text) == ["customer_request"]


@pytest.mark.parametrize(
    "text",
    [
        "can I talk to a human please",
        "I want a real person",
        "Please connect me to a person, this is useless",
        "I'd like to speak with an agent about my bill",
        "is there a live agent available?",
        "Can I talk to someone about this?",
        "get me a customer service representative now",
    ],
)
def test_phrases_inside_longer_messages_escalate(rule: CustomerRequestRule, text: str) -> None:
    assert run(rule, text) == ["customer_request"]


@pytest.mark.parametrize(
    "text",
    [
        "where is my order",
        "my travel agent booked it",
        "humane society",
        "a surreal personal story",
        "unreal personas",
        "I need a personal loan",
        "the agent told me it would arrive today",
        "human resources sent me here",
        "what are your opening hours?",
        "",
        "   ",
        "!!!",
    ],
)
def test_ordinary_messages_do_not_escalate(rule: CustomerRequestRule, text: str) -> None:
    assert run(rule, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "AGENT",
        "Agent.",
        "  agent  ",
        "agent???",
        "HUMAN!!!",
        "Speak To A Person.",
        "speak   to a\tperson",
        "real-person",
        "CAN I TALK TO A HUMAN, PLEASE?!",
        "I want a REAL PERSON...",
    ],
)
def test_case_whitespace_and_punctuation_do_not_matter(
    rule: CustomerRequestRule, text: str
) -> None:
    assert run(rule, text) == ["customer_request"]


def test_opening_turn_never_adds_customer_request(rule: CustomerRequestRule) -> None:
    assert run(rule, None) == []


def test_matches_reports_the_same_as_the_step(rule: CustomerRequestRule) -> None:
    assert rule.matches("Agent!")
    assert rule.matches("could I speak to a human")
    assert not rule.matches("where is my order")


def test_reason_is_added_once_even_if_rule_runs_twice(rule: CustomerRequestRule) -> None:
    ctx = ctx_for("agent")
    rule(ctx)
    rule(ctx)
    assert ctx.reasons == ["customer_request"]


def test_keeps_reasons_added_by_earlier_rules(rule: CustomerRequestRule) -> None:
    ctx = ctx_for("agent", HUMAN_ONLY)
    HumanOnlyRule()(ctx)
    rule(ctx)
    assert ctx.reasons == ["human_only", "customer_request"]


# ---- CustomerRequestRule with custom words ----------------------------------------------------


def test_custom_commands_only_match_the_whole_message() -> None:
    rule = CustomerRequestRule(commands=["Staff!"], phrases=[])
    assert rule.matches("staff")
    assert rule.matches("STAFF.")
    assert not rule.matches("I want staff")
    assert not rule.matches("agent")


def test_custom_phrases_match_whole_words_inside_messages() -> None:
    rule = CustomerRequestRule(commands=[], phrases=["a manager"])
    assert rule.matches("let me talk to A Manager now")
    assert not rule.matches("a managerial question")
    assert not rule.matches("ask the data manager")
    assert not rule.matches("manager")


def test_no_commands_and_no_phrases_never_match() -> None:
    rule = CustomerRequestRule(commands=[], phrases=[])
    assert not rule.matches("agent")
    assert not rule.matches("speak to a person")
    ctx = ctx_for("agent")
    rule(ctx)
    assert ctx.reasons == []


def test_phrase_punctuation_is_normalized_like_messages() -> None:
    rule = CustomerRequestRule(commands=[], phrases=["a.b"])
    # The phrase means the words "a b"; a "." is not a regex wildcard.
    assert not rule.matches("axb")
    assert rule.matches("well a-b then")


def test_normalize_lowercases_and_collapses_punctuation() -> None:
    assert normalize("  Real   PERSON!! ") == "real person"
    assert normalize("I'd like... a human?") == "i'd like a human"
    assert normalize("") == ""


# ---- HumanOnlyRule and VipRule -----------------------------------------------------------------


@pytest.mark.parametrize("text", [None, "hello", "agent"])
def test_human_only_rule_flags_only_opted_out_customers(text: str | None) -> None:
    opted_out = ctx_for(text, HUMAN_ONLY)
    HumanOnlyRule()(opted_out)
    assert opted_out.reasons == ["human_only"]

    for customer in (REGULAR, VIP):
        ctx = ctx_for(text, customer)
        HumanOnlyRule()(ctx)
        assert "human_only" not in ctx.reasons


@pytest.mark.parametrize("text", [None, "hello", "agent"])
def test_vip_rule_flags_only_vip_customers(text: str | None) -> None:
    vip = ctx_for(text, VIP)
    VipRule()(vip)
    assert vip.reasons == ["vip"]

    for customer in (REGULAR, HUMAN_ONLY):
        ctx = ctx_for(text, customer)
        VipRule()(ctx)
        assert "vip" not in ctx.reasons


def test_vip_and_human_only_customer_gets_both_reasons() -> None:
    both = CustomerProfile(id="c4", name="B", email="b@example.com", vip=True, human_only=True)
    ctx = ctx_for("hi", both)
    HumanOnlyRule()(ctx)
    VipRule()(ctx)
    assert ctx.reasons == ["human_only", "vip"]
