"""The rubric on example conversations, good and bad, with the evidence each criterion cites."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hybridcx.quality.coaching import handler_summary
from hybridcx.quality.rubric import (
    ConversationRecord,
    Line,
    RubricConfig,
    load_rubric,
    score_conversation,
)

RUBRIC = RubricConfig()
OPENER = Line("m0", "ai", "Hello! I'm the Northwind AI assistant. How can I help?")


def criteria(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["criterion"]: c for c in result["criteria"]}


def good_agent_conversation() -> ConversationRecord:
    return ConversationRecord(
        id="good",
        handler="A1",
        intent="refund_status",
        category="refund_status",
        identity_verified=True,
        handle_seconds=300,
        lines=[
            OPENER,
            Line("m1", "customer", "My refund never arrived, this is ridiculous", -0.7),
            Line("m2", "system", "Alice Agent has joined the conversation."),
            Line("m3", "agent", "Hi, I'm Alice. I'm so sorry about the wait on your refund."),
            Line("m4", "agent", "It was issued today and arrives within 5 business days."),
            Line("m5", "agent", "Is there anything else I can help with?"),
            Line("m6", "customer", "No, that's all, thank you!", 0.6),
        ],
    )


def bad_agent_conversation() -> ConversationRecord:
    return ConversationRecord(
        id="bad",
        handler="A2",
        intent="refund_status",
        category="refund_status",
        identity_verified=False,
        handle_seconds=1500,
        lines=[
            OPENER,
            Line("m1", "customer", "My refund never arrived, this is ridiculous", -0.7),
            Line("m3", "agent", "Refund was issued."),
            Line("m6", "customer", "Whatever. Useless.", -0.9),
        ],
    )


def test_a_good_conversation_scores_full_marks_with_evidence() -> None:
    result = score_conversation(
        good_agent_conversation(), RUBRIC, peer_handle_seconds=[280, 300, 320]
    )
    by = criteria(result)
    assert result["score"] == 100.0 and result["handled_by"] == "agent"
    assert by["greeting_disclosure"]["evidence"] == ["m0", "m3"]
    assert by["identity_verification"]["score"] == 1.0
    assert by["empathy"]["evidence"] == ["m1", "m3"]
    assert by["resolution_confirmed"]["evidence"] == ["m6"]
    assert by["compliance"]["evidence"] == ["m4"]  # "business days" for refund_status
    assert by["sentiment_recovered"]["evidence"] == ["m1", "m6"]
    assert by["handle_time"]["score"] == 1.0


def test_a_bad_conversation_fails_where_it_should() -> None:
    result = score_conversation(
        bad_agent_conversation(), RUBRIC, peer_handle_seconds=[280, 300, 320]
    )
    by = criteria(result)
    assert by["greeting_disclosure"]["score"] == 0.667  # the AI did; the agent did not greet
    assert by["identity_verification"]["score"] == 0.0
    assert by["empathy"]["score"] == 0.0 and by["empathy"]["evidence"] == ["m1", "m6"]
    assert by["resolution_confirmed"]["score"] == 0.0
    assert by["compliance"]["score"] == 0.0
    assert by["sentiment_recovered"]["score"] == 0.0
    assert by["handle_time"]["score"] == 0.0  # 1500 s > 2 x median 300 s
    assert result["score"] is not None and result["score"] < 20


def test_criteria_that_do_not_apply_are_left_out_of_the_score() -> None:
    record = ConversationRecord(
        id="faq",
        handler="ai",
        intent="opening_hours",
        lines=[
            OPENER,
            Line("m1", "customer", "When do you open?", 0.0),
            Line("m2", "ai", "We open at 9:00. Did that help?"),
            Line("m3", "customer", "yes", 0.2),
        ],
    )
    result = score_conversation(record, RUBRIC)
    by = criteria(result)
    assert result["handled_by"] == "ai" and result["agent_id"] is None
    for name in ("identity_verification", "empathy", "compliance", "handle_time"):
        assert by[name]["applicable"] is False and by[name]["score"] is None
    assert by["resolution_confirmed"]["evidence"] == ["m2", "m3"]
    assert result["score"] == 100.0


def test_the_ai_is_held_to_disclosure() -> None:
    record = ConversationRecord(
        id="nodisclose",
        handler="ai",
        lines=[Line("m0", "ai", "Hello, how can I help?"), Line("m1", "customer", "hi", 0.0)],
    )
    assert criteria(score_conversation(record, RUBRIC))["greeting_disclosure"]["score"] == 0.5


def test_rubric_from_yaml(tmp_path: Any) -> None:
    path = tmp_path / "demo.quality.yaml"
    path.write_text("compliance:\n  opening_hours: ['public holidays']\nweights:\n  empathy: 2\n")
    rubric = load_rubric(path)
    assert rubric.compliance == {"opening_hours": ["public holidays"]}
    assert rubric.weights == {"empathy": 2.0}
    assert load_rubric(None) == RubricConfig()


def test_coaching_names_the_weakest_criteria_with_examples() -> None:
    peers = [280, 300, 320]
    good = score_conversation(good_agent_conversation(), RUBRIC, peer_handle_seconds=peers)
    bad = score_conversation(bad_agent_conversation(), RUBRIC, peer_handle_seconds=peers)
    week1, week2 = datetime(2026, 3, 2), datetime(2026, 3, 2) + timedelta(days=7)
    summary = handler_summary([good, bad], {"good": week1, "bad": week2})
    assert summary["conversations"] == 2
    assert summary["criteria"]["compliance"] == 0.5
    assert [t["week"] for t in summary["trend"]] == ["2026-W10", "2026-W11"]
    assert summary["trend"][0]["average_score"] == 100.0
    (first, second) = summary["coaching"]
    assert first["average"] <= second["average"] < 1
    assert first["examples"] == ["bad"]


def test_knowledge_accuracy_against_the_articles_used() -> None:
    from hybridcx.quality.rubric import KnowledgeUse, knowledge_accuracy

    article = "Returns are free within 30 days of delivery. Bring the receipt to any store."
    lines = [
        Line("m1", "customer", "can i return my shoes?", turn_id="t1"),
        Line(
            "m2",
            "ai",
            "Returns are free within 30 days of delivery.\n\nSource: Returns",
            turn_id="t1",
        ),
        Line("m3", "customer", "and gift cards?", turn_id="t2"),
        Line("m4", "ai", "Gift cards never expire and work online too.", turn_id="t2"),
    ]
    rubric = RubricConfig()

    def score(uses: list[KnowledgeUse]) -> Any:
        record = ConversationRecord("c", lines, "ai", knowledge=uses)
        return knowledge_accuracy(record, rubric)

    faithful = score([KnowledgeUse("t1", {"a1": article})])
    assert faithful.applicable and faithful.score == 1.0 and faithful.evidence == ["m2"]
    # The second answer claims things the cited article does not say.
    mixed = score([KnowledgeUse("t1", {"a1": article}), KnowledgeUse("t2", {"a1": article})])
    assert mixed.score == 0.5 and "only" in mixed.note
    removed = score([KnowledgeUse("t1", {"a1": None})])
    assert removed.score == 0.0 and "no longer published" in removed.note
    assert not score([]).applicable
