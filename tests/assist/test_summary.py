"""The extractive post-contact summary (no model): the issue, what was done, what is pending."""

from __future__ import annotations

from hybridcx.assist.summary import MAX_SUMMARY_CHARS, summarize_conversation
from hybridcx.pipeline.base import TranscriptLine
from hybridcx.pipeline.policy import load_policy


def lines(*pairs: tuple[str, str]) -> list[TranscriptLine]:
    return [TranscriptLine(author, text) for author, text in pairs]  # type: ignore[arg-type]


DAMAGED = lines(
    ("customer", "Hi"),
    ("ai", "Hi! I'm the AI assistant. How can I help?"),
    ("customer", "My parcel arrived damaged and the jacket is torn. Order 1001."),
    ("customer", "agent"),
    ("agent", "Sorry about that! I've sent a free replacement by express delivery."),
    ("agent", "You will receive a return label by email within 2 days."),
    ("customer", "Thanks, that helps"),
)


def test_it_names_the_issue_what_was_done_and_what_is_pending() -> None:
    s = summarize_conversation(
        DAMAGED,
        customer_name="Alex",
        intent="damaged_item",
        reasons=["customer_request"],
        resolved=True,
        categories=load_policy(None).intent_categories,  # the demo company's
    )
    assert s.category == "Orders" and s.source == "extractive"
    # the issue is the first real question, not the greeting
    assert s.issue == "My parcel arrived damaged and the jacket is torn."
    assert s.done == [
        "handed to a person because the customer asked for a person",
        'agent: "I\'ve sent a free replacement by express delivery."',
    ]
    assert s.pending == ['promised: "You will receive a return label by email within 2 days."']
    assert s.text.startswith(
        'Alex contacted us about orders: "My parcel arrived damaged and the jacket is torn.".'
    )
    assert "Done: " in s.text and "free replacement" in s.text
    assert "Pending: promised" in s.text and s.text.endswith("Resolved.")


def test_an_unanswered_last_message_and_an_open_conversation_are_pending() -> None:
    s = summarize_conversation(
        lines(("customer", "Where is my refund for order 1002?")),
        customer_name="",
        intent="refund_status",
        reasons=[],
        resolved=False,
        categories=load_policy(None).intent_categories,
    )
    assert s.text.startswith('The customer contacted us about returns & refunds: "Where is')
    assert s.done == [] and "Done: nothing recorded yet." in s.text
    assert s.pending == ['unanswered: "Where is my refund for order 1002?"']
    assert s.text.endswith("Open.")
    empty = summarize_conversation([], customer_name="", intent=None, reasons=[], resolved=False)
    assert empty.category == "General" and empty.pending == ["the conversation is still open"]


def test_the_summary_is_length_limited() -> None:
    chatty = lines(
        *[
            ("agent", f"I've updated record number {i} with a long explanation " * 3)
            for i in range(40)
        ]
    )
    s = summarize_conversation(chatty, customer_name="Pat", intent=None, reasons=[], resolved=True)
    assert len(s.text) <= MAX_SUMMARY_CHARS and len(s.done) == 3


def test_an_offer_is_not_a_deed_and_a_hand_off_notice_is_not_an_answer() -> None:
    offered = lines(
        ("customer", "I forgot my password and can't sign in"),
        ("ai", "I can email a password reset link to a•••@example.com. Shall I send it?"),
    )
    s = summarize_conversation(
        offered, customer_name="Alex", intent="password_reset", reasons=[], resolved=False
    )
    # nothing was done yet; the AI's offer is the answer so far
    assert s.done == ['AI answered: "I can email a password reset link to a•••@example.com."']
    handed = lines(
        ("customer", "My order arrived damaged and I need help"),
        ("ai", "A member of our team is best placed to help with this; I'm connecting you now."),
    )
    s = summarize_conversation(
        handed, customer_name="", intent="damaged_item", reasons=["human_intent"], resolved=False
    )
    assert s.done == ["handed to a person because a topic our team handles"]
    assert s.pending == ["the conversation is still open"]


def test_the_category_is_the_workspaces_and_general_without_one() -> None:
    ours = {"damaged_item": "Breakages", "visa_renewal": "Visas"}
    s = summarize_conversation(
        DAMAGED,
        customer_name="Alex",
        intent="visa_renewal",
        reasons=[],
        resolved=True,
        categories=ours,
    )
    assert s.category == "Visas" and s.text.startswith("Alex contacted us about visas")
    for categories in (None, {}, ours):
        unmapped = summarize_conversation(
            DAMAGED,
            customer_name="Alex",
            intent="order_status",
            reasons=[],
            resolved=True,
            categories=categories,
        )
        assert unmapped.category == "General"
