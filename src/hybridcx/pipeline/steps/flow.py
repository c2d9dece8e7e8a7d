"""Tier 1 automation: runs task flows and answers FAQs and small talk."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from hybridcx.flows.actions import ACTIONS
from hybridcx.flows.backend import BackendUnavailable, NotSupported
from hybridcx.flows.engine import (
    FlowEngine,
    FlowOutcome,
    FlowState,
    FlowTurn,
    is_cancel,
    is_yes_or_no,
    match_button,
)
from hybridcx.flows.outreach_context import with_outreach_context
from hybridcx.flows.spec import FlowsFile
from hybridcx.pipeline.base import Reply, TurnContext
from hybridcx.pipeline.steps.multi import PENDING_REQUESTS_KEY, SEQUENCE_KEY

_WORDS = re.compile(r"[^\W\d_]{2,}")
# Reasons that take a conversation away from the AI at once: no flow runs on such a turn.
ESCALATING = frozenset(
    {
        "customer_request",
        "human_only",
        "vip",
        "legal_compliance",
        "negative_sentiment",
        "compliance_rule",
        "suspicious_input",
    }
)


class FlowStep:
    """Continues the active flow (slot answers, digressions, cancel) or starts one for a
    confident Tier 1 intent; answers FAQ intents from knowledge articles.

    Marks the turn ``handled`` when the AI helped, and counts a failure in ``ai_state`` when it
    could not, which the routing policy turns into ``repeated_failure``."""

    name = "flow"

    def __init__(
        self,
        flows: FlowsFile,
        *,
        confidence_threshold: float,
        smalltalk: Mapping[str, str],
        human_intents: Iterable[str] = (),
        limits: Mapping[str, Any] | None = None,
    ) -> None:
        self.flows = flows
        self.threshold = confidence_threshold
        self.smalltalk = dict(smalltalk)
        # Intents people handle: no flow starts for them even if one is defined.
        self.human_intents = frozenset(human_intents)
        self.limits = dict(limits or {})

    async def __call__(self, ctx: TurnContext) -> None:
        if ctx.text is None or ctx.with_humans or ctx.handled:
            return  # an earlier step (a clarifying question) already dealt with this message
        if ESCALATING & set(ctx.reasons):
            ctx.ai_state.pop("flow", None)  # a person takes over; the flow is dropped
            ctx.ai_state.pop(PENDING_REQUESTS_KEY, None)
            ctx.ai_state.pop(SEQUENCE_KEY, None)
            return
        if ctx.safety_flags:
            return  # an adversarial turn never advances a flow (the safety guard answered)
        engine = FlowEngine(self.flows, ACTIONS, ctx.services.backend)
        turn = FlowTurn(
            text=ctx.text,
            entities=with_outreach_context(ctx.ai_state, ctx.entities),
            email=ctx.customer.email,
            name=ctx.customer.name,
            verified=ctx.customer.verified,
            now=ctx.now or datetime.now(),
            limits=self.limits,
        )
        failures_before = int(ctx.ai_state.get("failures", 0))
        try:
            await self._run(ctx, engine, turn)
        except BackendUnavailable as exc:
            self._backend_down(ctx, exc)
        if turn.verified_by_code:
            ctx.ai_state["identity_verified"] = "one_time_code"
        ctx.action_requests.extend(turn.requests)
        if not ctx.handled:
            ctx.ai_state["failures"] = failures_before + 1  # once per turn, however it failed

    async def _run(self, ctx: TurnContext, engine: FlowEngine, turn: FlowTurn) -> None:
        active = ctx.ai_state.get("flow")
        outcome: FlowOutcome | None
        if active:
            outcome = await self._continue(ctx, engine, FlowState.from_dict(active), turn)
        elif ctx.scores.get("requests"):
            outcome = None  # several requests in one message: served in order below
        else:
            outcome = await self._start(ctx, engine, turn)
        if outcome is not None:
            self._apply(ctx, outcome)
        if ctx.ai_state.get(SEQUENCE_KEY):
            await self._next_requests(ctx, engine, turn)

    @staticmethod
    def _backend_down(ctx: TurnContext, exc: BackendUnavailable) -> None:
        """The company's system is down (or cannot do this): say so honestly, drop the flow
        and hand the conversation to a person (reason ``backend_unavailable``)."""
        ctx.ai_state.pop("flow", None)
        ctx.ai_state.pop(PENDING_REQUESTS_KEY, None)
        ctx.ai_state.pop(SEQUENCE_KEY, None)
        if isinstance(exc, NotSupported):
            text = "I'm sorry, that's not something I can do for you here myself."
        else:
            text = "I'm sorry, I can't reach our systems right now to check that for you."
        ctx.replies.append(Reply("ai", text))
        ctx.handled = False
        ctx.scores["backend_unavailable"] = 1.0
        ctx.add_reason("backend_unavailable")

    async def _next_requests(self, ctx: TurnContext, engine: FlowEngine, turn: FlowTurn) -> None:
        """Several requests in one message (steps.multi): when one is done, start the next."""
        ctx.scores["multi_request"] = 1.0
        pending: list[dict[str, Any]] = ctx.ai_state.get(PENDING_REQUESTS_KEY) or []
        first_turn = bool(ctx.scores.get("requests"))
        if first_turn:
            ctx.handled = True  # nothing served yet: start with the first part
        while ctx.handled and not ctx.ai_state.get("flow") and pending:
            request = pending.pop(0)
            # The part's own reading, not this message's: on a later turn the message is the
            # answer that finished the previous part ("1001"), which reads as out of scope.
            ctx.intent, ctx.confidence = request["intent"], float(request["confidence"])
            ctx.out_of_scope = False
            if ctx.served_intents or not first_turn:
                ctx.replies.append(Reply("ai", "Now, your other request."))
            ctx.handled = False
            part = replace(turn, text=str(request["text"]))
            outcome = await self._start(ctx, engine, part, text=str(request["text"]))
            if outcome is not None:
                self._apply(ctx, outcome)
            if not ctx.handled:
                ctx.add_reason("complex")  # a part the AI could not serve after all
        if pending:
            ctx.ai_state[PENDING_REQUESTS_KEY] = pending
        else:
            ctx.ai_state.pop(PENDING_REQUESTS_KEY, None)
            if not ctx.ai_state.get("flow"):
                ctx.ai_state.pop(SEQUENCE_KEY, None)

    def _confident(self, ctx: TurnContext) -> bool:
        return (
            bool(ctx.intent) and not ctx.out_of_scope and (ctx.confidence or 0.0) >= self.threshold
        )

    async def _start(
        self, ctx: TurnContext, engine: FlowEngine, turn: FlowTurn, *, text: str | None = None
    ) -> FlowOutcome | None:
        confident = self._confident(ctx)
        flow = engine.flow_for_intent(ctx.intent) if confident else None
        if ctx.intent in self.human_intents:
            flow = None
        if flow:
            return await engine.start(flow, turn)
        if (
            confident
            and ctx.intent not in self.flows.faq_intents
            and ctx.intent not in self.smalltalk
        ):
            return None  # a request knowledge does not cover (the policy may send it to a person)
        # knowledge may answer what the intents do not cover
        answer = await self._answer(ctx, text=text)
        if answer:
            ctx.replies.append(Reply("ai", answer))
            ctx.handled = True
            if ctx.intent:
                ctx.served_intents.append(ctx.intent)
        return None

    async def _continue(
        self, ctx: TurnContext, engine: FlowEngine, state: FlowState, turn: FlowTurn
    ) -> FlowOutcome:
        text = ctx.text or ""
        picked = match_button(text, engine.offered(state))
        if picked is not None:
            # A button the AI offered is an answer, whatever the classifier makes of its words
            # (a slot label can read like a question about opening hours).
            turn.text = picked
            return await engine.reply(state, turn)
        if is_cancel(text):
            return await engine.cancel(state)
        awaited = engine.awaiting(state)
        # "My order number is 1001" answers "which order?" even though the model reads it as
        # an order-status question: a message carrying the entity the flow waits for is an
        # answer, not a digression (taking it as one asked the same question again, forever).
        answers_question = (awaited.confirm is not None and is_yes_or_no(text)) or (
            awaited.collect is not None
            and awaited.entity != "text"
            and bool(ctx.entities.get(awaited.entity))
        )
        if (
            not answers_question
            and self._confident(ctx)
            and ctx.intent not in engine.spec(state).intents
        ):
            # A confident, different request mid-flow: a digression, then back to the flow.
            other = engine.flow_for_intent(ctx.intent)
            if other and ctx.intent not in self.human_intents:
                return await engine.start(other, turn, paused=engine.pause(state))
            answer = await self._answer(ctx)
            if answer:
                lead = f"{answer}\n\nNow, back to where we were: "
                return await engine.reprompt(state, count_attempt=False, lead=lead)
        outcome = await engine.reply(state, turn)
        if not outcome.no_value:
            return outcome
        # Asking again is the AI failing to help once (repeated_failure counts these).
        ctx.ai_state["failures"] = int(ctx.ai_state.get("failures", 0)) + 1
        return await engine.reprompt(state, count_attempt=True, lead="Sorry, I didn't get that. ")

    async def _answer(self, ctx: TurnContext, *, text: str | None = None) -> str | None:
        """Small talk, or an answer from knowledge: retrieved and cited, or the FAQ's article.
        `text` is the part of the message being answered (default: all of it)."""
        intent = ctx.intent or ""
        if intent in self.smalltalk and self._confident(ctx):
            return self.smalltalk[intent]
        knowledge = ctx.services.knowledge
        if knowledge is None:
            return None
        found = await knowledge.answer(text or ctx.text or "")
        if found is not None:
            ctx.knowledge_used = [{"id": i, "version": v} for i, v in found.articles]
            return f"{found.text}\n\n{_cite(found.sources)}"
        slug = self.flows.faq_intents.get(intent)
        if slug and self._confident(ctx):
            article = await knowledge.article(slug)
            if article is not None:
                if article.id:
                    ctx.knowledge_used = [{"id": article.id, "version": article.version}]
                return f"{article.body}\n\nSource: {article.title}"
        return None

    @staticmethod
    def _apply(ctx: TurnContext, outcome: FlowOutcome) -> None:
        flow_before = (ctx.ai_state.get("flow") or {}).get("flow")
        for i, text in enumerate(outcome.replies):
            last = i == len(outcome.replies) - 1
            ctx.replies.append(Reply("ai", text, tuple(outcome.buttons) if last else ()))
        if outcome.state is not None:
            ctx.ai_state["flow"] = outcome.state.to_dict()
        else:
            ctx.ai_state.pop("flow", None)
        ctx.handled = not outcome.failed
        ctx.scores["flow_failed"] = 1.0 if outcome.failed else 0.0
        if outcome.failed:
            # The flow gave up (answers it could not use, a lookup that failed): a person takes
            # it for that reason, not because the last answer ("1001") read as no intent.
            ctx.add_reason("flow_failed")
        if outcome.completed and outcome.state is None and (flow_before or ctx.intent):
            ctx.served_intents.append(str(ctx.intent if flow_before is None else flow_before))


def _cite(sources: tuple[tuple[str, str], ...]) -> str:
    names = [f"{title} ({link})" if link else title for title, link in sources]
    return ("Source: " if len(names) == 1 else "Sources: ") + "; ".join(names)
