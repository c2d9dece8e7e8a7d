"""What a script is, checked when it is loaded (YAML) or written (API): ordered steps with
branches, every reference resolved, every placeholder known."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hybridcx.kit.errors import InvalidInput
from hybridcx.macros.actions import BACKEND_ACTIONS
from hybridcx.macros.placeholders import check_text

DEFAULTS_FILE = Path(__file__).with_name("defaults.yaml")

STEP_KINDS: dict[str, str] = {
    "say": "The agent says this (ticked when an agent message matches the wording).",
    "ask": "The agent asks for something (ticked when the customer gives the entity, or when "
    "an agent message matches the wording).",
    "check": "The agent checks something (ticked when an agent message or note matches).",
    "action": "A backend action runs (ticked when its event is on the conversation).",
    "disclosure": "Required wording (ticked when an agent message matches; required).",
}
ENTITIES = ("order_number", "email", "phone", "date")
ENFORCEMENT = ("block", "warn")


class Branch(BaseModel):
    """When the step is done and this holds, the next step is ``goto`` (the steps in between
    are skipped and no longer required)."""

    model_config = ConfigDict(extra="forbid")

    customer_says: list[str] = Field(
        default_factory=list, description="Any of these phrases in a customer message."
    )
    result: Literal["done", "pending", "failed"] | None = Field(
        default=None, description="The status the backend action returned."
    )
    goto: str


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    kind: Literal["say", "ask", "check", "action", "disclosure"]
    text: str = Field(default="", max_length=1000)
    entity: Literal["order_number", "email", "phone", "date"] | None = None
    action: str | None = None
    required: bool | None = None
    branches: list[Branch] = Field(default_factory=list)

    @property
    def is_required(self) -> bool:
        return self.kind == "disclosure" if self.required is None else self.required


class ScriptSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    description: str = Field(default="", max_length=500)
    intents: list[str] = Field(min_length=1)
    segment: str | None = Field(default=None, max_length=40)
    channel: str | None = Field(default=None, max_length=20)
    compliance_rule: str | None = Field(default=None, max_length=80)
    steps: list[Step] = Field(min_length=1, max_length=40)

    @model_validator(mode="after")
    def _consistent(self) -> ScriptSpec:
        seen: dict[str, int] = {}
        for i, step in enumerate(self.steps):
            if step.id in seen:
                raise ValueError(f"step {step.id!r} appears twice")
            seen[step.id] = i
            if step.kind == "action":
                if step.action not in BACKEND_ACTIONS:
                    raise ValueError(
                        f"step {step.id!r}: action must be one of {', '.join(BACKEND_ACTIONS)}"
                    )
            elif step.action is not None:
                raise ValueError(f"step {step.id!r}: only an action step names an action")
            if step.kind in ("say", "check", "disclosure") and not step.text.strip():
                raise ValueError(f"step {step.id!r}: a {step.kind} step needs its text")
            if step.kind == "ask" and not step.text.strip() and step.entity is None:
                raise ValueError(f"step {step.id!r}: an ask step needs its text or an entity")
            if step.entity is not None and step.kind != "ask":
                raise ValueError(f"step {step.id!r}: only an ask step waits for an entity")
            try:
                check_text(step.text)
            except InvalidInput as exc:
                raise ValueError(f"step {step.id!r}: {exc.message}") from None
        for i, step in enumerate(self.steps):
            for b in step.branches:
                if b.goto not in seen:
                    raise ValueError(f"step {step.id!r}: branch goes to unknown step {b.goto!r}")
                if seen[b.goto] <= i:
                    raise ValueError(
                        f"step {step.id!r}: a branch goes forward only ({b.goto!r} comes before)"
                    )
                if b.result is not None and step.kind != "action":
                    raise ValueError(
                        f"step {step.id!r}: only an action step branches on a backend result"
                    )
                if not b.customer_says and b.result is None:
                    raise ValueError(f"step {step.id!r}: a branch needs customer_says or result")
        return self


class ScriptsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enforcement: Literal["block", "warn"] = "warn"
    scripts: list[ScriptSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> ScriptsFile:
        names = [s.name for s in self.scripts]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"script names must be unique: {', '.join(sorted(dup))}")
        return self


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = re.sub(r"^Value error, ", "", err["msg"])
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def parse_script(data: Any) -> ScriptSpec:
    """One script from the API: a clear 422 when it is wrong."""
    try:
        return ScriptSpec.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"Invalid script: {_explain(exc)}") from None


def parse_file(text: str, *, source: str = "scripts") -> ScriptsFile:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{source}: expected a mapping with `scripts:` at the top level")
    try:
        return ScriptsFile.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"{source}: {_explain(exc)}") from None


_defaults: ScriptsFile | None = None


def default_scripts() -> ScriptsFile:
    global _defaults
    if _defaults is None:
        _defaults = parse_file(DEFAULTS_FILE.read_text("utf-8"), source=str(DEFAULTS_FILE))
    return _defaults
