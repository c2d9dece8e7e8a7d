"""Several requests in one message ("where is my order, and also how do I reset my password?").

When every part is a request the AI serves itself (a Tier 1 flow, a knowledge answer or small
talk), the parts are served one after the other: the first now, the next when it is done (the
flow step starts it). Only a message with a part the AI cannot serve is a complex contact.

A part the AI cannot read (out of scope, or no intent confident enough) is never dropped
silently: when the other parts are served, the customer is told which words were not
understood and asked to say them again afterwards (or to ask for a person).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from hybridcx.pipeline.base import Reply, TurnContext
from hybridcx.pipeline.steps.understand import RequestPart

#: ai_state key of the requests still to serve: [{"intent", "text", "confidence"}, ...].
PENDING_REQUESTS_KEY = "pending_requests"
#: ai_state key set while a multi-request message is being served.
SEQUENCE_KEY = "multi_request"
#: How much of an unread part is quoted back to the customer.
QUOTE_CHARS = 80
_LEADING_JOINER = re.compile(r"^(?:(?:and|also|plus|then|as well)\b[\s,]*)+", re.IGNORECASE)
#: Clauses that ask for nothing of their own ("...and I need help", "please help me"): not a
#: request the AI failed to read, so the customer is not asked to say them again.
_NO_REQUEST = re.compile(
    r"^(?:(?:and|so|but)\s+)?(?:please\s+)?(?:"
    r"(?:i\s+)?(?:really\s+|urgently\s+)?(?:need|want|would like|could use)\s+(?:some\s+|your\s+)?"
    r"(?:help|assistance|support)(?:\s+(?:with\s+(?:this|that|it)|please|asap|now|urgently))?"
    r"|(?:can|could)\s+(?:you|someone|somebody)\s+help(?:\s+me)?(?:\s+please)?"
    r"|help(?:\s+me)?(?:\s+please)?"
    r"|thanks?(?:\s+you)?(?:\s+(?:so\s+much|in advance))?"
    r")[\s.!?]*$",
    re.IGNORECASE,
)


def servable(parts: Sequence[RequestPart], automated: frozenset[str]) -> bool:
    """Two or more parts, each confidently one distinct request the AI serves itself."""
    intents = [p.intent for p in parts]
    return (
        len(parts) >= 2
        and all(i is not None and i in automated for i in intents)
        and len(set(intents)) == len(intents)
    )


def unread_note(unread: Sequence[RequestPart]) -> str:
    """What the customer is told about the parts of their message the AI could not read."""
    quoted = " and ".join(f"\u201c{_quote(p.text)}\u201d" for p in unread)
    return (
        f"I'm not sure what you meant by {quoted}, so I'll help with the rest first. "
        'Tell me that part again in other words afterwards, or type "agent" for a person.'
    )


def asks_nothing(text: str) -> bool:
    """A clause with no request of its own ("and I need help", "thanks")."""
    return _NO_REQUEST.match(text.strip().strip(",;")) is not None


def _quote(text: str) -> str:
    text = _LEADING_JOINER.sub("", text.strip().lstrip(",; ")).rstrip(".?!,;") or text.strip()
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rstrip() + "\u2026"


class MultiRequestStep:
    """Queues the parts of a servable multi-request message for the flow step, which serves
    them in order (each with its own text); the first part's intent is the turn's."""

    name = "multi_request"

    def __init__(self, automated: Iterable[str]) -> None:
        self.automated = frozenset(automated)

    def __call__(self, ctx: TurnContext) -> None:
        if (
            ctx.text is None
            or ctx.with_humans
            or ctx.handled
            or ctx.reasons
            or ctx.ai_state.get("flow")
        ):
            return
        readable = [p for p in ctx.parts if p.intent is not None]
        unread = [p for p in ctx.parts if p.intent is None and not asks_nothing(p.text)]
        if unread and readable and all(p.intent in self.automated for p in readable):
            # The rest is served; the customer hears which words were not understood.
            ctx.replies.append(Reply("ai", unread_note(unread)))
            ctx.scores["unread_parts"] = float(len(unread))
            if len(readable) == 1:
                only = readable[0]
                ctx.intent, ctx.confidence, ctx.out_of_scope = only.intent, only.confidence, False
                return
        if not servable(readable, self.automated):
            return
        first = readable[0]
        ctx.intent, ctx.confidence, ctx.out_of_scope = first.intent, first.confidence, False
        ctx.ai_state[PENDING_REQUESTS_KEY] = [
            {"intent": p.intent, "text": p.text, "confidence": p.confidence} for p in readable
        ]
        ctx.ai_state[SEQUENCE_KEY] = True
        ctx.scores["requests"] = float(len(readable))
