"""What the AI (or, for human-only customers, the system) says back on this turn."""

from __future__ import annotations

from hybridcx.pipeline.base import Reply, TurnContext

AI_DISCLOSURE = "You're chatting with our AI assistant."
HOW_TO_REACH_A_PERSON = 'You can talk to a person at any time: just type "agent".'


class ResponderStep:
    """Greets with the AI disclosure, announces handoffs, and otherwise answers honestly.

    Until understanding steps exist, a message the AI cannot handle gets an honest reply that
    offers a person. A customer who opted out of AI never gets an AI-authored message.
    """

    name = "responder"

    def __call__(self, ctx: TurnContext) -> None:
        decision = ctx.decision
        assert decision is not None, "ResponderStep must run after RoutingPolicyStep"
        human_only = "human_only" in decision.reasons
        if ctx.is_opening:
            ctx.replies.append(self._opening(ctx, human_only=human_only, handoff=decision.handoff))
        elif ctx.with_humans:
            return  # a person has it (or is about to): the AI stays quiet in the transcript
        elif decision.handoff:
            text = _handoff_text(decision.reasons)
            ctx.replies.append(Reply("system" if human_only else "ai", text))
        elif not ctx.replies:
            ctx.replies.append(Reply("ai", _fallback_text()))

    @staticmethod
    def _opening(ctx: TurnContext, *, human_only: bool, handoff: bool) -> Reply:
        first = ctx.customer.name.split()[0] if ctx.customer.name.strip() else ""
        hello = f"Hi {first}!" if first else "Hi!"
        if human_only:
            return Reply(
                "system",
                f"{hello} You asked to be served by our team only, so your conversation goes "
                "straight to a person. No AI will reply in this conversation.",
            )
        if handoff:
            return Reply(
                "ai",
                f"{hello} {AI_DISCLOSURE} I'm passing you to a member of our team; "
                "meanwhile, tell me what you need and I'll pass it on.",
            )
        return Reply(
            "ai", f"{hello} {AI_DISCLOSURE} How can I help you today? {HOW_TO_REACH_A_PERSON}"
        )


def _handoff_text(reasons: tuple[str, ...]) -> str:
    for reason in HANDOFF_TEXT_ORDER:
        if reason in reasons:
            return HANDOFF_TEXT[reason]
    return "I'm bringing in a member of our team to help; they'll see everything so far."


HANDOFF_TEXT = {
    "customer_request": "Of course. I'm connecting you with a person now; they'll see everything so far.",
    "human_only": "Connecting you with a member of our team.",
    "legal_compliance": (
        "This needs one of our senior team members, so I'm passing your conversation to them now; "
        "they'll see everything so far."
    ),
    "negative_sentiment": (
        "I'm sorry this has been frustrating. I'm bringing in a member of our team right away; "
        "they'll see everything so far."
    ),
    "low_confidence": (
        "I'm not sure I understood that correctly, so I'm connecting you with a member of our team; "
        "they'll see everything so far."
    ),
    "repeated_failure": "I'm clearly not getting this right, so I'm bringing in a person to help you.",
    "human_intent": "A member of our team is best placed to help with this; I'm connecting you now.",
    "complex": "That's one for a member of our team; I'm connecting you now with everything so far.",
    "compliance_rule": (
        "This is something only our specialist team can handle, so I'm passing your conversation "
        "to them now; they'll see everything so far."
    ),
    "suspicious_input": (
        "I can't continue with this here, so I'm passing the conversation to a member of our team."
    ),
    "backend_unavailable": (
        "I'm connecting you with a member of our team who can look into it; "
        "they'll see everything so far."
    ),
    "flow_failed": (
        "I'm connecting you with a member of our team who can sort this out; "
        "they'll see everything so far."
    ),
}
HANDOFF_TEXT_ORDER = (
    "customer_request",
    "human_only",
    "suspicious_input",
    "legal_compliance",
    "compliance_rule",
    "negative_sentiment",
    "backend_unavailable",  # before repeated_failure: the AI did not fail, the system did
    "flow_failed",
    "repeated_failure",
    "human_intent",
    "complex",
    "low_confidence",
)


def _fallback_text() -> str:
    return (
        "I'm an AI assistant and I can't answer that one reliably yet. "
        'Would you like me to connect you with a person? Just type "agent".'
    )
