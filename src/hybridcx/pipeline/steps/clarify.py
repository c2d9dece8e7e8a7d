"""Clarifying questions: when the model cannot tell two intents apart, ask instead of guessing.

Starting the wrong flow costs the customer more than one question, so a message whose top two
intents are close gets "which do you need: A or B?" with a button for each and one for
something else. The answer (a button, "the first one", or a message the model reads as one of
the two) is read on the next turn, right after understanding, so the rest of the pipeline sees
the intent the customer chose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from hybridcx.pipeline.base import Reply, TurnContext
from hybridcx.pipeline.policy import ClarifyPolicy

PENDING_KEY = "clarify"
SOMETHING_ELSE = "Something else"
_FIRST = re.compile(r"^(1|one|first|the first( one)?|a|option 1|\(?1\)?)$")
_SECOND = re.compile(r"^(2|two|second|the second( one)?|b|option 2|\(?2\)?)$")
_NEITHER = re.compile(r"^(something else|neither|none( of (them|those|these))?|other|no)$")


def intent_label(intent: str, policy: ClarifyPolicy) -> str:
    return policy.labels.get(intent) or intent.replace("_", " ").capitalize()


def _normalised(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s()]", " ", text.lower()).split())


class ClarifyQuestionStep:
    """Asks which of the two closest intents the customer meant, when they are close and
    neither is small talk. Runs before the flows; a question asked handles the turn."""

    name = "clarify"

    def __init__(
        self,
        policy: ClarifyPolicy,
        *,
        smalltalk: Iterable[str] = (),
        person_intents: Iterable[str] = (),
    ) -> None:
        self.policy = policy
        self.smalltalk = frozenset(smalltalk)
        # A customer who may be asking for a person gets one, not a quiz.
        self.person_intents = frozenset(person_intents)

    def __call__(self, ctx: TurnContext) -> None:
        if not self._applies(ctx):
            return
        (first, p1), (second, p2) = ctx.ranking[0], ctx.ranking[1]
        if p1 - p2 >= self.policy.margin or p1 + p2 < self.policy.min_combined:
            return
        if {first, second} & self.smalltalk:
            return
        if {intent for intent, _ in ctx.ranking[:3]} & self.person_intents:
            return
        labels = [intent_label(first, self.policy), intent_label(second, self.policy)]
        ctx.replies.append(
            Reply(
                "ai",
                f"Just to be sure I help with the right thing: do you want to "
                f"{labels[0].lower()} or {labels[1].lower()}?",
                (labels[0], labels[1], SOMETHING_ELSE),
            )
        )
        ctx.ai_state[PENDING_KEY] = {
            "options": [first, second],
            "labels": labels,
            "text": ctx.text,
            "entities": {k: list(v) for k, v in ctx.entities.items()},
        }
        ctx.handled = True
        ctx.scores["clarify_asked"] = 1.0

    def _applies(self, ctx: TurnContext) -> bool:
        return (
            self.policy.enabled
            and ctx.text is not None
            and not ctx.with_humans
            and not ctx.handled
            and not ctx.out_of_scope
            and not ctx.safety_flags
            and not ctx.reasons  # a turn that already goes to a person is not questioned
            and not ctx.ai_state.get("flow")
            and len(set(ctx.part_intents)) < 2  # several requests is not ambiguity
            and len(ctx.ranking) >= 2
        )


class ClarifyAnswerStep:
    """Reads the answer to a clarifying question asked on the previous turn. A chosen option
    becomes this turn's intent (with the first message's entities); "something else" is asked
    what then; any other message is understood as usual."""

    name = "clarify_answer"

    def __call__(self, ctx: TurnContext) -> None:
        pending: dict[str, Any] | None = ctx.ai_state.pop(PENDING_KEY, None)
        if not pending or ctx.text is None or ctx.with_humans:
            return
        answer = _normalised(ctx.text)
        if _NEITHER.match(answer):
            ctx.replies.append(Reply("ai", "No problem: what can I help you with?"))
            ctx.handled = True
            return
        chosen = self._choice(ctx, answer, pending)
        if chosen is None:
            return
        ctx.intent, ctx.confidence, ctx.out_of_scope = chosen, 1.0, False
        ctx.ranking = [(chosen, 1.0)]
        ctx.part_intents = []
        ctx.entities = {**dict(pending.get("entities") or {}), **dict(ctx.entities)}
        ctx.scores["intent_confidence"] = 1.0
        ctx.scores["clarified"] = 1.0

    @staticmethod
    def _choice(ctx: TurnContext, answer: str, pending: dict[str, Any]) -> str | None:
        options: list[str] = list(pending.get("options") or [])
        labels = [_normalised(label) for label in pending.get("labels") or []]
        if len(options) != 2:
            return None
        for option, label in zip(options, labels, strict=False):
            if answer == label:
                return option
        if _FIRST.match(answer):
            return options[0]
        if _SECOND.match(answer):
            return options[1]
        if ctx.intent in options and not ctx.out_of_scope:
            return ctx.intent  # "the order one, please": the model reads it as one of the two
        return None
