"""Flow definitions as data: parsed and validated from YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_FLOWS_FILE = Path(__file__).with_name("default_flows.yaml")


class StepSpec(BaseModel):
    """One step. Exactly one of ``action``, ``collect`` or ``confirm``."""

    model_config = ConfigDict(extra="forbid")

    action: str | None = None
    collect: str | None = Field(default=None, description="Slot to fill from the customer's reply.")
    confirm: str | None = Field(default=None, description="Slot that receives the yes/no answer.")
    entity: str = Field(default="text", description="Entity type that fills the slot, or text.")
    prompt: str = ""
    validate_with: str | None = Field(default=None, alias="validate")
    skip_if: str | None = Field(default=None, description="Skip when this slot is truthy.")
    on_no: str = "OK, I won't do that."
    buttons_from: str | None = Field(default=None, description="Slot holding button labels.")

    @model_validator(mode="after")
    def one_kind(self) -> StepSpec:
        kinds = [k for k in (self.action, self.collect, self.confirm) if k]
        if len(kinds) != 1:
            raise ValueError("each step needs exactly one of action, collect or confirm")
        if (self.collect or self.confirm) and not self.prompt:
            raise ValueError(f"step {kinds[0]!r} asks the customer something but has no prompt")
        return self

    @property
    def kind(self) -> Literal["action", "collect", "confirm"]:
        if self.action:
            return "action"
        return "collect" if self.collect else "confirm"


class FlowSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    intents: list[str] = Field(min_length=1)
    steps: list[StepSpec] = Field(min_length=1)
    max_attempts: int = Field(default=2, ge=1, description="Invalid answers before the flow fails.")


class FlowsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flows: dict[str, FlowSpec]
    faq_intents: dict[str, str] = Field(
        default_factory=dict, description="Intent -> knowledge article slug answered directly."
    )


class FlowSpecError(ValueError):
    pass


def load_flows(path: Path = DEFAULT_FLOWS_FILE) -> FlowsFile:
    try:
        data = yaml.safe_load(path.read_text())
        return FlowsFile.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise FlowSpecError(f"{path}: {exc}") from exc


def with_variants(flows: FlowsFile, variants: dict[str, dict[str, Any]]) -> FlowsFile:
    """``flows`` with some flows changed: ``{flow name: fields to replace}`` (e.g. a different
    ``steps`` list or ``max_attempts``). A policy's ``flow_variants`` uses this, so an
    experiment arm can try a flow variant."""
    if not variants:
        return flows
    data = flows.model_dump(by_alias=True)
    for name, change in variants.items():
        if name not in data["flows"]:
            known = ", ".join(sorted(data["flows"]))
            raise FlowSpecError(f"flow_variants: no flow named {name!r} (known: {known}).")
        if not isinstance(change, dict):
            raise FlowSpecError(f"flow_variants.{name} must be a mapping of fields to replace.")
        data["flows"][name] = {**data["flows"][name], **change}
    try:
        return FlowsFile.model_validate(data)
    except ValidationError as exc:
        raise FlowSpecError(f"flow_variants: {exc}") from exc


_DEFAULT: FlowsFile | None = None


def default_flows() -> FlowsFile:
    """The packaged flows, parsed once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_flows()
    return _DEFAULT
