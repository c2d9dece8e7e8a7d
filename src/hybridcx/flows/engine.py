"""Runs declarative flows: steps in order, asking for what is missing, validating answers.

The engine is pure apart from the company backend it is given: no database, no web, no settings.
Digressions (the customer asks something else mid-flow) are decided by the caller, which knows the
intent; the engine offers ``pause``/``resume`` and says when a reply held no usable value.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hybridcx.flows.backend import CompanyBackend
from hybridcx.flows.spec import FlowsFile, FlowSpec, StepSpec

YES = {
    "yes",
    "y",
    "yeah",
    "yep",
    "sure",
    "ok",
    "okay",
    "please do",
    "yes please",
    "go ahead",
    "correct",
    "do it",
    "confirm",
}
NO = {"no", "n", "nope", "no thanks", "don't", "do not", "not now", "no thank you"}
CANCEL = {
    "cancel",
    "stop",
    "never mind",
    "nevermind",
    "forget it",
    "quit",
    "exit",
    "cancel that",
    "stop that",
}


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


def is_cancel(text: str) -> bool:
    return _norm(text) in CANCEL


def is_yes_or_no(text: str) -> bool:
    return _norm(text) in YES | NO


_ORDINALS = {
    "first": 1, "1st": 1, "one": 1,
    "second": 2, "2nd": 2, "two": 2,
    "third": 3, "3rd": 3, "three": 3,
    "fourth": 4, "4th": 4, "four": 4,
    "fifth": 5, "5th": 5, "five": 5,
    "sixth": 6, "6th": 6, "six": 6,
}  # fmt: skip
_DAYS = {
    "monday": "mon", "tuesday": "tue", "tues": "tue", "wednesday": "wed", "thursday": "thu",
    "thurs": "thu", "friday": "fri", "saturday": "sat", "sunday": "sun",
}  # fmt: skip
_MONTHS = {
    "january": "jan", "february": "feb", "march": "mar", "april": "apr", "june": "jun",
    "july": "jul", "august": "aug", "september": "sep", "sept": "sep", "october": "oct",
    "november": "nov", "december": "dec",
}  # fmt: skip
# Words that carry no choice: "I'll take the second one please", "the one at Riverside".
_FILLER = frozenset(
    [
        "i",
        "i'll",
        "ill",
        "id",
        "i'd",
        "i'm",
        "take",
        "want",
        "would",
        "like",
        "choose",
        "pick",
        "go",
        "with",
        "for",
        "the",
        "a",
        "an",
        "one",
        "option",
        "number",
        "please",
        "at",
        "on",
        "in",
        "that",
        "this",
        "that's",
        "thats",
        "works",
        "work",
        "best",
        "fine",
        "me",
        "let's",
        "lets",
        "book",
        "slot",
        "time",
        "okay",
        "ok",
        "sounds",
        "good",
        "great",
        "yes",
    ]
)
_ORDINAL_ONLY = re.compile(
    r"(?:(?:option|number|no)\s*)?(\d{1,2})|(?:the\s+)?([a-z0-9]+)(?:\s+(?:one|option))?"
)
_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\b")


def _features(text: str) -> set[str]:
    """Comparable pieces of a choice: words (day and month names shortened), times as HH:MM."""
    norm = text.lower().replace(".", " ")
    features: set[str] = set()

    def time(match: re.Match[str]) -> str:
        hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
        if half is None and match.group(2) is None:
            return match.group(0)  # a bare number ("08" of a date) is not a time
        if half == "pm" and hour < 12:
            hour += 12
        elif half == "am" and hour == 12:
            hour = 0
        if hour < 24 and minute < 60:
            features.add(f"{hour:02d}:{minute:02d}")
        return " "

    norm = _TIME.sub(time, norm)
    for word in re.findall(r"[a-z0-9']+", norm):
        word = _DAYS.get(word, _MONTHS.get(word, word))
        if word not in _FILLER:
            features.add(word.lstrip("0") or "0" if word.isdigit() else word)
    return features


def match_button(text: str, buttons: list[str]) -> str | None:
    """The button a reply picks, or None: the label itself (any case or punctuation), its
    position ("2", "option 2", "the second one", "last"), or words that fit exactly one label
    ("Tuesday 9am at Riverside"). A reply that fits several labels picks none."""
    if not buttons:
        return None
    norm = _norm(text)
    for label in buttons:
        if _norm(label) == norm:
            return label
    position = _ORDINAL_ONLY.fullmatch(norm)
    if position:
        digits, word = position.groups()
        index = int(digits) if digits else len(buttons) if word == "last" else _ORDINALS.get(word)
        if index is not None and 1 <= index <= len(buttons):
            return buttons[index - 1]
    wanted = _features(text)
    if not wanted:
        return None
    fits = [label for label in buttons if wanted <= _features(label)]
    return fits[0] if len(fits) == 1 else None


@dataclass
class FlowTurn:
    """What the flow sees of one customer message."""

    text: str
    entities: Mapping[str, list[Any]]
    email: str
    name: str
    verified: bool
    now: datetime
    # From the workspace's compliance policy: approval limits and which consequential actions
    # need a verified customer (see hybridcx.flows.consequential).
    limits: Mapping[str, Any] = field(default_factory=dict)
    # Filled in by actions: a one-time code was checked, consequential actions requested.
    verified_by_code: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ActionContext:
    slots: dict[str, Any]
    turn: FlowTurn
    backend: CompanyBackend
    value: Any = None  # for validators: the candidate slot value


@dataclass
class ActionResult:
    say: list[str] = field(default_factory=list)
    ok: bool = True  # validators: was the value acceptable
    end: bool = False  # stop the flow here (completed)
    fail: bool = False  # the flow could not help (counts as an AI failure)
    value: Any = None  # validators: the normalized value to store
    goto: str | None = None  # go back to the step that collects this slot


Action = Callable[[ActionContext], Awaitable[ActionResult]]


@dataclass
class FlowState:
    flow: str
    step: int = 0
    slots: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    paused: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "step": self.step,
            "slots": self.slots,
            "attempts": self.attempts,
            "paused": self.paused,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FlowState:
        return cls(
            flow=str(data["flow"]),
            step=int(data.get("step", 0)),
            slots=dict(data.get("slots", {})),
            attempts=int(data.get("attempts", 0)),
            paused=list(data.get("paused", [])),
        )


@dataclass
class FlowOutcome:
    replies: list[str] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)
    state: FlowState | None = None  # None when no flow is active any more
    completed: bool = False
    failed: bool = False
    cancelled: bool = False
    no_value: bool = False  # the reply held nothing for the awaited slot (maybe a digression)


class FlowEngine:
    def __init__(
        self, flows: FlowsFile, actions: Mapping[str, Action], backend: CompanyBackend
    ) -> None:
        self.flows = flows.flows
        self.faq_intents = flows.faq_intents
        self.actions = actions
        self.backend = backend
        self._by_intent = {i: name for name, spec in self.flows.items() for i in spec.intents}
        missing = {
            name
            for spec in self.flows.values()
            for step in spec.steps
            for name in (step.action, step.validate_with)
            if name and name not in actions
        }
        if missing:
            raise ValueError(f"flows refer to unknown actions: {sorted(missing)}")

    def flow_for_intent(self, intent: str | None) -> str | None:
        return self._by_intent.get(intent or "")

    def spec(self, state: FlowState) -> FlowSpec:
        return self.flows[state.flow]

    def awaiting(self, state: FlowState) -> StepSpec:
        """The step whose answer the flow is waiting for."""
        return self.spec(state).steps[state.step]

    def offered(self, state: FlowState) -> list[str]:
        """The buttons shown with the question the flow is waiting on."""
        return self._buttons(self.awaiting(state), state)

    async def start(
        self, flow: str, turn: FlowTurn, *, paused: list[dict[str, Any]] | None = None
    ) -> FlowOutcome:
        state = FlowState(flow=flow, paused=list(paused or []))
        return await self._advance(state, turn, FlowOutcome(), prefill=True)

    async def reply(self, state: FlowState, turn: FlowTurn) -> FlowOutcome:
        """The customer answered the step the flow is waiting on."""
        step = self.spec(state).steps[state.step]
        outcome = FlowOutcome()
        if step.confirm:
            answer = _norm(turn.text)
            if answer in YES:
                state.slots[step.confirm] = True
            elif answer in NO:
                outcome.replies.append(step.on_no)
                return await self._end(state, outcome, how="cancelled")
            else:
                return FlowOutcome(state=state, no_value=True)
        else:
            assert step.collect is not None
            value = self._candidate(step, turn)
            if value is None:
                return FlowOutcome(state=state, no_value=True)
            if step.validate_with:
                result = await self.actions[step.validate_with](
                    ActionContext(state.slots, turn, self.backend, value=value)
                )
                if not result.ok:
                    return await self._invalid(state, step, result.say)
                value = result.value if result.value is not None else value
                outcome.replies.extend(result.say)
            state.slots[step.collect] = value
        state.step += 1
        state.attempts = 0
        return await self._advance(state, turn, outcome)

    async def reprompt(
        self, state: FlowState, *, count_attempt: bool, lead: str = ""
    ) -> FlowOutcome:
        """Ask again for what the flow waits on (after a digression or an unusable answer)."""
        if count_attempt:
            state.attempts += 1
            if state.attempts >= self.spec(state).max_attempts:
                outcome = FlowOutcome(replies=["I'm sorry, I'm not managing to help with this."])
                return await self._end(state, outcome, how="failed")
        step = self.spec(state).steps[state.step]
        prompt = _fill(step.prompt, state.slots)
        return FlowOutcome(
            replies=[f"{lead}{prompt}" if lead else prompt],
            buttons=self._buttons(step, state),
            state=state,
        )

    async def cancel(self, state: FlowState) -> FlowOutcome:
        return await self._end(
            state, FlowOutcome(replies=["OK, I've stopped that."]), how="cancelled"
        )

    def pause(self, state: FlowState) -> list[dict[str, Any]]:
        """The stack to start a digression flow with: the current flow resumes after it."""
        return [*state.paused, {**state.to_dict(), "paused": []}]

    # ---- internals -----------------------------------------------------------------------

    def _candidate(self, step: StepSpec, turn: FlowTurn) -> Any:
        if step.entity == "text":
            return turn.text.strip() or None
        values = turn.entities.get(step.entity) or []
        return values[0] if values else None

    async def _invalid(self, state: FlowState, step: StepSpec, say: list[str]) -> FlowOutcome:
        state.attempts += 1
        if state.attempts >= self.spec(state).max_attempts:
            outcome = FlowOutcome(replies=[*say, "I'm sorry, I can't sort this out here."])
            return await self._end(state, outcome, how="failed")
        return FlowOutcome(replies=[*say], buttons=self._buttons(step, state), state=state)

    async def _advance(
        self, state: FlowState, turn: FlowTurn, outcome: FlowOutcome, *, prefill: bool = False
    ) -> FlowOutcome:
        """Run steps until one needs the customer. With ``prefill`` (the message that started
        the flow), a slot already given in that message ("where is order 1001?") is used."""
        steps = self.spec(state).steps
        while state.step < len(steps):
            step = steps[state.step]
            if step.skip_if and state.slots.get(step.skip_if):
                state.step += 1
                continue
            if step.action:
                result = await self.actions[step.action](
                    ActionContext(state.slots, turn, self.backend)
                )
                outcome.replies.extend(result.say)
                if result.fail:
                    return await self._end(state, outcome, how="failed")
                if result.end:
                    return await self._end(state, outcome, how="completed")
                state.step = self._index_of(state, result.goto) if result.goto else state.step + 1
                continue
            slot = step.collect or step.confirm
            if slot and slot in state.slots and state.slots[slot] is not None:
                state.step += 1
                continue
            if (
                prefill
                and step.collect
                and step.entity != "text"
                and await self._prefill(state, step, turn)
            ):
                state.step += 1
                continue
            outcome.replies.append(_fill(step.prompt, state.slots))
            outcome.buttons = self._buttons(step, state)
            outcome.state = state
            return outcome
        return await self._end(state, outcome, how="completed")

    async def _end(self, state: FlowState, outcome: FlowOutcome, *, how: str) -> FlowOutcome:
        """Close the flow; if another was paused for this digression, pick it up again."""
        outcome.completed = how == "completed"
        outcome.cancelled = how == "cancelled"
        outcome.failed = how == "failed"
        resumed = self._resume_state(state)
        outcome.state = resumed
        if resumed is not None:
            again = await self.reprompt(
                resumed, count_attempt=False, lead="Now, back to where we were: "
            )
            outcome.replies.extend(again.replies)
            outcome.buttons = again.buttons
        return outcome

    async def _prefill(self, state: FlowState, step: StepSpec, turn: FlowTurn) -> bool:
        value = self._candidate(step, turn)
        if value is None or step.collect is None:
            return False
        if step.validate_with:
            result = await self.actions[step.validate_with](
                ActionContext(state.slots, turn, self.backend, value=value)
            )
            if not result.ok:
                return False  # ask for it as usual rather than start with an error
            value = result.value if result.value is not None else value
        state.slots[step.collect] = value
        return True

    def _index_of(self, state: FlowState, slot: str) -> int:
        for i, step in enumerate(self.spec(state).steps):
            if slot in (step.collect, step.confirm):
                return i
        raise ValueError(f"flow {state.flow!r} has no step collecting {slot!r}")

    def _resume_state(self, state: FlowState) -> FlowState | None:
        if not state.paused:
            return None
        top = FlowState.from_dict(state.paused[-1])
        top.paused = state.paused[:-1]
        return top

    def _buttons(self, step: StepSpec, state: FlowState) -> list[str]:
        if step.confirm:
            return ["Yes", "No"]
        if step.buttons_from:
            return [str(b) for b in state.slots.get(step.buttons_from) or []]
        return []


def _fill(template: str, slots: Mapping[str, Any]) -> str:
    """Format a prompt with slot values; unknown names stay as written."""

    def sub(match: re.Match[str]) -> str:
        value = slots.get(match.group(1))
        return match.group(0) if value is None else str(value)

    return re.sub(r"\{([a-z_]+)\}", sub, template)
