"""Which steps of a script the transcript shows done: pure, so the desk, resolve and the
quality scores agree. Agent wording is matched loosely (most of the step's words, in any
message of the agent); an ask with an entity is done when the customer gave it; an action step
when its event is on the conversation (with the status it returned)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hybridcx.macros.placeholders import fill
from hybridcx.nlu.entities import extract_entities
from hybridcx.scripting.spec import ScriptSpec, Step

#: Share of a step's words an agent message must contain to count as said.
MATCH = 0.8
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "to",
        "of",
        "i",
        "is",
        "it",
        "you",
        "your",
        "on",
        "in",
        "for",
        "we",
        "be",
        "me",
        "my",
        "m",
        "ll",
        "re",
        "s",
        "ve",
        "d",
        "t",
        "am",
        "will",
        "are",
    ]
)


@dataclass(frozen=True)
class Line:
    author: str  # customer | agent | ai | system
    text: str
    internal: bool = False


@dataclass(frozen=True)
class ActionRun:
    action: str
    status: str  # done | pending | failed


@dataclass
class StepState:
    step: Step
    text: str  # the wording with the conversation's values filled in
    missing: list[str]
    status: str = "todo"  # done | todo | skipped
    how: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.step.id,
            "kind": self.step.kind,
            "text": self.text,
            "required": self.step.is_required,
            "status": self.status,
            "how": self.how,
            "missing_values": self.missing,
        }


@dataclass
class Progress:
    script: ScriptSpec
    steps: list[StepState] = field(default_factory=list)

    @property
    def next(self) -> StepState | None:
        return next((s for s in self.steps if s.status == "todo"), None)

    @property
    def missing_required(self) -> list[StepState]:
        return [s for s in self.steps if s.status == "todo" and s.step.is_required]

    @property
    def adherence(self) -> float:
        """Required steps done, of the required steps that applied (1.0 when there are none)."""
        due = [s for s in self.steps if s.step.is_required and s.status != "skipped"]
        if not due:
            return 1.0
        return sum(1 for s in due if s.status == "done") / len(due)

    def to_dict(self) -> dict[str, Any]:
        nxt = self.next
        return {
            "name": self.script.name,
            "description": self.script.description,
            "steps": [s.to_dict() for s in self.steps],
            "next": nxt.to_dict() if nxt else None,
            "missing_required": [s.step.id for s in self.missing_required],
            "adherence": round(self.adherence, 3),
        }


def words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def said(wording: str, lines: Sequence[Line], *, threshold: float = MATCH) -> bool:
    """An agent message (or note, for a check) holds most of the wording's words."""
    want = words(re.sub(r"\{\{[^{}]*\}\}", " ", wording))
    if not want:
        return False
    for line in lines:
        if line.author != "agent":
            continue
        have = words(line.text)
        if len(want & have) / len(want) >= threshold:
            return True
    return False


def _customer_said(phrases: Sequence[str], lines: Sequence[Line]) -> bool:
    texts = [ln.text.lower() for ln in lines if ln.author == "customer"]
    return any(p.lower() in t for p in phrases for t in texts)


def evaluate(
    script: ScriptSpec,
    lines: Sequence[Line],
    actions: Sequence[ActionRun],
    values: Mapping[str, str | None],
    *,
    now: datetime,
) -> Progress:
    progress = Progress(script)
    customer_entities: set[str] = set()
    for ln in lines:
        if ln.author == "customer":
            customer_entities.update(e.type for e in extract_entities(ln.text, now=now))
    index = {s.id: i for i, s in enumerate(script.steps)}
    skip_until = -1
    for i, step in enumerate(script.steps):
        text, missing = fill(step.text, values)
        state = StepState(step, text, missing)
        progress.steps.append(state)
        if i < skip_until:
            state.status, state.how = "skipped", "branch"
            continue
        result: str | None = None
        if step.kind == "action":
            runs = [a for a in actions if a.action == step.action]
            if runs:
                result = runs[-1].status
                state.status, state.how = "done", f"action {result}"
        elif step.kind == "ask" and step.entity and step.entity in customer_entities:
            state.status, state.how = "done", f"customer gave {step.entity}"
        elif step.text and said(step.text, lines):
            state.status, state.how = "done", "agent said it"
        if state.status != "done":
            continue
        for b in step.branches:
            if b.result is not None and b.result != result:
                continue
            if b.customer_says and not _customer_said(b.customer_says, lines):
                continue
            skip_until = index[b.goto]
            break
    return progress
