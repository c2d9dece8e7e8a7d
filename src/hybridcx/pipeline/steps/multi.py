"""Several requests in one message ("where is my order, and also how do I reset my password?").

When every part is a request the AI serves itself (a Tier 1 flow, a knowledge answer or small
talk), the parts are served one after the other: the first now, the next when it is done (the
flow step starts it). Only a message with a part the AI cannot serve is a complex contact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hybridcx.pipeline.base import TurnContext
from hybridcx.pipeline.steps.understand import RequestPart

#: ai_state key of the requests still to serve: [{"intent", "text", "confidence"}, ...].
PENDING_REQUESTS_KEY = "pending_requests"
#: ai_state key set while a multi-request message is being served.
SEQUENCE_KEY = "multi_request"


def servable(parts: Sequence[RequestPart], automated: frozenset[str]) -> bool:
    """Two or more parts, each confidently one distinct request the AI serves itself."""
    intents = [p.intent for p in parts]
    return (
        len(parts) >= 2
        and all(i is not None and i in automated for i in intents)
        and len(set(intents)) == len(intents)
    )


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
            or not servable(ctx.parts, self.automated)
        ):
            return
        first = ctx.parts[0]
        ctx.intent, ctx.confidence, ctx.out_of_scope = first.intent, first.confidence, False
        ctx.ai_state[PENDING_REQUESTS_KEY] = [
            {"intent": p.intent, "text": p.text, "confidence": p.confidence} for p in ctx.parts
        ]
        ctx.ai_state[SEQUENCE_KEY] = True
        ctx.scores["requests"] = float(len(ctx.parts))
