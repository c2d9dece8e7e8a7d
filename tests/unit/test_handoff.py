"""The warm-handoff package and its one-paragraph summary."""

from __future__ import annotations

from hybridcx.pipeline.base import CustomerProfile, RoutingDecision, TranscriptLine
from hybridcx.pipeline.steps.handoff import build_handoff, summarize

ADA = CustomerProfile(id="c1", name="Ada Lovelace", email="ada@example.com")
ADA_VERIFIED = CustomerProfile(id="c1", name="Ada Lovelace", email="ada@example.com", verified=True)


def decision(*reasons: str, intent: str | None = None) -> RoutingDecision:
    return RoutingDecision(
        tier=2,
        handoff=True,
        reasons=reasons,
        scores={"confidence_threshold": 0.7},
        intent=intent,
        confidence=0.42 if intent else None,
        sentiment=-0.5 if intent else None,
    )


TRANSCRIPT = (
    TranscriptLine("ai", "Hi Ada! You're chatting with our AI assistant."),
    TranscriptLine("customer", "My parcel never arrived"),
    TranscriptLine("ai", "I'm an AI assistant and I can't answer that one reliably yet."),
    TranscriptLine("customer", "agent"),
)


def test_build_handoff_has_reasons_signals_summary_and_transcript() -> None:
    package = build_handoff(
        ADA, decision("customer_request", "vip", intent="delivery"), TRANSCRIPT, channel="webchat"
    )
    assert package["reasons"] == ["customer_request", "vip"]
    assert package["intent"] == "delivery"
    assert package["confidence"] == 0.42
    assert package["sentiment"] == -0.5
    assert isinstance(package["summary"], str) and package["summary"]
    assert package["summary"] == summarize(
        ADA, decision("customer_request", "vip", intent="delivery"), TRANSCRIPT, channel="webchat"
    )
    assert package["transcript"] == [
        {"author": line.author, "text": line.text} for line in TRANSCRIPT
    ]


def test_build_handoff_with_no_signals_or_transcript() -> None:
    package = build_handoff(ADA, decision("vip"), (), channel="portal")
    assert package["reasons"] == ["vip"]
    assert package["intent"] is None
    assert package["confidence"] is None
    assert package["sentiment"] is None
    assert package["transcript"] == []
    assert "has not written yet" in package["summary"]


def test_summary_names_the_customer_and_channel() -> None:
    text = summarize(ADA, decision("customer_request"), TRANSCRIPT, channel="webchat")
    assert "Ada Lovelace" in text
    assert "ada@example.com" in text
    assert "webchat" in text


def test_summary_falls_back_to_the_email_without_a_name() -> None:
    nameless = CustomerProfile(id="c9", name="", email="nobody@example.com")
    text = summarize(nameless, decision("vip"), TRANSCRIPT, channel="webchat")
    assert text.startswith("nobody@example.com")


def test_summary_says_verified_or_unverified() -> None:
    verified = summarize(ADA_VERIFIED, decision("vip"), TRANSCRIPT, channel="webchat")
    unverified = summarize(ADA, decision("vip"), TRANSCRIPT, channel="webchat")
    assert "verified" in verified and "unverified" not in verified
    assert "unverified" in unverified


def test_summary_includes_the_first_and_last_thing_the_customer_said() -> None:
    text = summarize(ADA, decision("customer_request"), TRANSCRIPT, channel="webchat")
    assert "My parcel never arrived" in text
    assert '"agent"' in text
    assert "2 customer messages" in text
    # AI lines are not quoted as customer words
    assert "can't answer that one" not in text


def test_summary_with_a_single_customer_message_quotes_it_once() -> None:
    transcript = (TranscriptLine("customer", "Where is my refund?"),)
    text = summarize(ADA, decision("low_confidence"), transcript, channel="webchat")
    assert text.count("Where is my refund?") == 1


def test_summary_explains_the_reasons_in_words() -> None:
    text = summarize(
        ADA, decision("customer_request", "low_confidence"), TRANSCRIPT, channel="webchat"
    )
    assert "asked for a person" in text
    assert "not confident" in text


def test_summary_keeps_unknown_reason_codes_and_handles_no_reason() -> None:
    assert "brand_new_reason" in summarize(
        ADA, decision("brand_new_reason"), TRANSCRIPT, channel="webchat"
    )
    assert "routed to a person" in summarize(ADA, decision(), TRANSCRIPT, channel="webchat")


def test_summary_mentions_intent_and_flags() -> None:
    vip_human_only = CustomerProfile(
        id="c2", name="Grace", email="g@example.com", vip=True, human_only=True
    )
    text = summarize(vip_human_only, decision("vip", intent="billing"), (), channel="webchat")
    assert "billing" in text
    assert "VIP" in text
    assert "human only" in text


def test_summary_clips_very_long_text() -> None:
    long = "word " * 2000
    transcript = (TranscriptLine("customer", long),)
    text = summarize(ADA, decision("customer_request"), transcript, channel="webchat")
    assert len(text) < 600
    assert "…" in text
    assert "word word word" in text


def test_summary_collapses_whitespace_in_quotes() -> None:
    transcript = (TranscriptLine("customer", "line one\n\n   line\ttwo"),)
    text = summarize(ADA, decision("customer_request"), transcript, channel="webchat")
    assert "line one line two" in text
    assert "\n" not in text


def test_empty_transcript_says_the_customer_has_not_written_yet() -> None:
    text = summarize(ADA, decision("vip"), (), channel="webchat")
    assert "The customer has not written yet." in text
    only_ai = (TranscriptLine("ai", "Hi Ada!"), TranscriptLine("system", "Queued."))
    assert "has not written yet" in summarize(ADA, decision("vip"), only_ai, channel="webchat")
