"""The actions a macro or an automation rule may run: one registry per kind of owner.

An action is stored as a dict with a ``type``; ``check`` cleans one (a 422 names what is
wrong) when a macro or rule is saved. The runners live with their owner (``service`` for
macros, ``automation`` for rules) and are looked up by the same ``type``.

The ``tag`` macro action adds one of the workspace's tags to the conversation (through
``hybridcx.tags.service``: recorded as a ``tag.added`` event and audited as the agent's).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hybridcx.flows.consequential import RUNNERS
from hybridcx.kit.errors import InvalidInput

#: Backend actions a macro may run: those that need only the conversation's order and
#: customer (the consequential actions of hybridcx.flows, with the same approval limits).
BACKEND_ACTIONS = ("cancel_and_refund", "replace_damaged")


@dataclass(frozen=True)
class ActionKind:
    name: str
    description: str
    # field -> (type, required)
    fields: dict[str, tuple[type, bool]] = field(default_factory=dict)
    choices: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    final: bool = False  # ends the agent's part (resolve, transfer): must come last


MACRO_ACTIONS: dict[str, ActionKind] = {}
RULE_ACTIONS: dict[str, ActionKind] = {}


def register(registry: dict[str, ActionKind], kind: ActionKind) -> ActionKind:
    registry[kind.name] = kind
    return kind


for _kind in (
    ActionKind(
        "set_tier", "Set the conversation's tier.", {"tier": (int, True)}, {"tier": (1, 2, 3)}
    ),
    ActionKind(
        "transfer",
        "Put the conversation back in the queue for a team (and/or a skill).",
        {"team": (str, False), "skill": (str, False)},
        final=True,
    ),
    ActionKind("resolve", "Resolve the conversation after the reply.", final=True),
    ActionKind("note", "Add an internal note.", {"text": (str, True)}),
    ActionKind(
        "backend",
        "Run a backend action on the conversation's order (refunds above the approval limit "
        "wait for a person).",
        {"action": (str, True)},
        {"action": BACKEND_ACTIONS},
    ),
    ActionKind("tag", "Add one of the workspace's tags to the conversation.", {"tag": (str, True)}),
):
    register(MACRO_ACTIONS, _kind)

for _kind in (
    ActionKind("assign_team", "Route the conversation to a team.", {"team": (str, True)}),
    ActionKind(
        "set_tier", "Set the conversation's tier.", {"tier": (int, True)}, {"tier": (1, 2, 3)}
    ),
    ActionKind(
        "set_priority",
        "Move the conversation to the front (high) or back (low) of the queue.",
        {"priority": (str, True)},
        {"priority": ("high", "normal", "low")},
    ),
    ActionKind("notify", "Notify the supervisors on the staff WebSocket.", {"text": (str, True)}),
    ActionKind("webhook", "Send the workspace's webhooks an automation.fired event."),
    ActionKind("note", "Add an internal note.", {"text": (str, True)}),
):
    register(RULE_ACTIONS, _kind)

assert set(BACKEND_ACTIONS) <= set(RUNNERS)


def check_actions(
    registry: dict[str, ActionKind], actions: Iterable[Any], *, max_text: int = 2000
) -> list[dict[str, Any]]:
    """The actions, cleaned; InvalidInput (422) naming the first thing that is wrong."""
    out: list[dict[str, Any]] = []
    items = list(actions)
    if len(items) > 10:
        raise InvalidInput("At most 10 actions.")
    finals = 0
    for i, raw in enumerate(items):
        where = f"actions[{i}]"
        if not isinstance(raw, dict):
            raise InvalidInput(f"{where} must be an object with a type.")
        kind = registry.get(str(raw.get("type")))
        if kind is None:
            raise InvalidInput(
                f"{where}: unknown action type {raw.get('type')!r}; "
                f"the types are {', '.join(registry)}."
            )
        clean: dict[str, Any] = {"type": kind.name}
        for key in raw:
            if key != "type" and key not in kind.fields:
                raise InvalidInput(f"{where} ({kind.name}): unknown field {key!r}.")
        for name, (typ, required) in kind.fields.items():
            value = raw.get(name)
            if value is None or value == "":
                if required:
                    raise InvalidInput(f"{where} ({kind.name}): {name} is required.")
                continue
            if typ is int and (isinstance(value, bool) or not isinstance(value, int)):
                raise InvalidInput(f"{where} ({kind.name}): {name} must be a number.")
            if typ is str:
                if not isinstance(value, str):
                    raise InvalidInput(f"{where} ({kind.name}): {name} must be text.")
                value = value.strip()
                if len(value) > max_text:
                    raise InvalidInput(f"{where} ({kind.name}): {name} is too long.")
            allowed = kind.choices.get(name)
            if allowed is not None and value not in allowed:
                raise InvalidInput(
                    f"{where} ({kind.name}): {name} must be one of "
                    f"{', '.join(str(a) for a in allowed)}."
                )
            clean[name] = value
        if kind.final:
            finals += 1
            if finals > 1:
                raise InvalidInput(f"{where}: only one of transfer or resolve.")
        elif finals:
            raise InvalidInput(f"{where}: transfer or resolve must be the last action.")
        out.append(clean)
    return out
