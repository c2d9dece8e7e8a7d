"""Pipeline steps of the safety layer: the input guard first, the output filter last."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hybridcx.pipeline.base import Reply, TurnContext
from hybridcx.pipeline.safety.injection import classify
from hybridcx.pipeline.safety.normalize import normalize_input
from hybridcx.pipeline.safety.output import BLOCKED_REPLY, ORDER, ProtectedData, foreign_order

REFUSAL = (
    "I can't help with that. I'm the AI assistant for your orders, account, appointments and our "
    'policies, and I can connect you with a person at any time: just type "agent".'
)
ABUSE_REPLY = (
    "I want to help, but I can't continue with abusive language. I'm passing this conversation "
    "to a member of our team."
)
# Attack attempts in one conversation before a person reviews it.
MAX_SUSPICIOUS_TURNS = 2


class InputGuardStep:
    """Normalises the message (invisible characters, homoglyphs, compatibility forms) for every
    later step, and flags prompt injection, exfiltration attempts, encoded payloads and abuse.

    A flagged turn runs no flow and no knowledge search (so no LLM call sees it); the AI refuses,
    and a repeat attempt or abuse goes to a person with reason ``suspicious_input``."""

    name = "input_guard"

    def __call__(self, ctx: TurnContext) -> None:
        if ctx.text is None:
            return
        ctx.text = normalize_input(ctx.text)
        verdict = classify(ctx.text)
        if not verdict.suspicious:
            return
        ctx.safety_flags.extend(verdict.evidence)
        attempts = int(ctx.ai_state.get("suspicious_turns", 0)) + 1
        ctx.ai_state["suspicious_turns"] = attempts
        ctx.handled = True  # answered by the refusal, not an AI failure
        ctx.scores["suspicious_turns"] = float(attempts)
        if "abuse" in verdict.categories or attempts >= MAX_SUSPICIOUS_TURNS:
            ctx.add_reason("suspicious_input")


class SafetyReplyStep:
    """The refusal for a flagged turn that stays with the AI (runs before routing)."""

    name = "safety_reply"

    def __call__(self, ctx: TurnContext) -> None:
        if ctx.safety_flags and not ctx.replies and not ctx.with_humans:
            abusive = any(f.startswith("abuse:") for f in ctx.safety_flags)
            if not (abusive and "suspicious_input" in ctx.reasons):
                ctx.replies.append(Reply("ai", REFUSAL))


class OutputFilterStep:
    """Blocks an AI reply that reproduces protected text or another customer's identifiers."""

    name = "output_filter"

    def __call__(self, ctx: TurnContext) -> Awaitable[None] | None:
        if not any(r.author == "ai" for r in ctx.replies):
            return None  # nothing the AI says this turn: nothing to load or check
        protected = ctx.services.protected
        if callable(protected):  # loaded only for turns that have an AI reply
            return self._load_and_check(ctx, protected)
        return self._check(ctx, protected)

    async def _load_and_check(
        self, ctx: TurnContext, load: Callable[[], Awaitable[ProtectedData]]
    ) -> None:
        pending = self._check(ctx, await load())
        if pending is not None:
            await pending

    def _check(self, ctx: TurnContext, protected: object) -> Awaitable[None] | None:
        if not isinstance(protected, ProtectedData):
            protected = ProtectedData(customer_email=ctx.customer.email or "")
        for i, reply in enumerate(ctx.replies):
            if reply.author == "ai":
                reason = protected.leaked(reply.text)
                if reason is not None:
                    self._block(ctx, i, reason)
        if ctx.services.backend is None or not any(
            r.author == "ai" and ORDER.search(r.text) for r in ctx.replies
        ):
            return None  # synchronous when there is nothing to look up
        return self._check_orders(ctx)

    async def _check_orders(self, ctx: TurnContext) -> None:
        for i, reply in enumerate(ctx.replies):
            if reply.author == "ai" and await foreign_order(
                reply.text, ctx.services.backend, ctx.customer.email
            ):
                self._block(ctx, i, "other_customer_order")

    @staticmethod
    def _block(ctx: TurnContext, index: int, reason: str) -> None:
        ctx.blocked_outputs.append(reason)
        ctx.replies[index] = Reply("ai", BLOCKED_REPLY)
