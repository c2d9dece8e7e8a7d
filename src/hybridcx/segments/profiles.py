"""Segment profiles: ``<policy dir>/<workspace>.segments.yaml`` (see ``example.yaml``).

The segment is chosen from the customer row the turn has already loaded (``vip``, attributes,
``created_at``): no extra query per turn. A profile's ``policy`` is a set of routing-policy
overrides (tone and wording via ``smalltalk`` and ``flow_variants``, ``confidence_threshold``,
``human_intents``/``reason_tiers`` for escalation), merged the way experiment arms are (in
``experiments.variants.turn_policy``), and checked against the policy when the file is read."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hybridcx.kit.errors import InvalidInput
from hybridcx.kit.ids import utcnow
from hybridcx.models import Customer

EXAMPLE_FILE = Path(__file__).with_name("example.yaml")
#: The customers no profile matches.
DEFAULT_SEGMENT = "standard"


class Match(BaseModel):
    """Every condition given must hold."""

    model_config = ConfigDict(extra="forbid")

    vip: bool | None = None
    attributes: dict[str, str] = Field(
        default_factory=dict, description="Customer attributes with these values."
    )
    new_within_days: int | None = Field(
        default=None, ge=1, description="Customers created this many days ago or less."
    )
    min_lifetime_value: float | None = Field(default=None, ge=0)

    def holds(self, customer: Customer) -> bool:
        if self.vip is not None and bool(customer.vip) != self.vip:
            return False
        attrs = customer.attributes or {}
        if any(str(attrs.get(k, "")) != v for k, v in self.attributes.items()):
            return False
        if self.new_within_days is not None:
            created = customer.created_at
            if created is None or utcnow() - created > timedelta(days=self.new_within_days):
                return False
        return not (
            self.min_lifetime_value is not None
            and (customer.lifetime_value or 0.0) < self.min_lifetime_value
        )


class SegmentProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    description: str = ""
    match: Match | list[Match] = Field(description="One condition set, or a list: any holds.")
    tone: str = Field(default="", max_length=200, description="Shown to agents; for the LLM.")
    language: str | None = Field(default=None, max_length=10)
    policy: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _policy_valid(self) -> SegmentProfile:
        from hybridcx.pipeline.policy import RoutingPolicy, _deep_merge, default_policy_data

        if "segment" in self.policy:
            raise ValueError(f"segment {self.name!r}: policy cannot set `segment`")
        try:
            RoutingPolicy.model_validate(_deep_merge(default_policy_data(), self.policy))
        except ValidationError as exc:
            raise ValueError(
                f"segment {self.name!r}: policy overrides are invalid: {exc}"
            ) from None
        return self


class SegmentsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    segments: list[SegmentProfile] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> SegmentsFile:
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names) or DEFAULT_SEGMENT in names:
            raise ValueError(f"segment names must be unique and not {DEFAULT_SEGMENT!r}")
        return self

    def choose(self, customer: Customer | None) -> SegmentProfile | None:
        """The first profile whose match holds (file order)."""
        if customer is None:
            return None
        return next((s for s in self.segments if _holds(s.match, customer)), None)


def _holds(match: Match | list[Match], customer: Customer) -> bool:
    if isinstance(match, list):
        return any(m.holds(customer) for m in match)
    return match.holds(customer)


def parse_segments_file(text: str, *, source: str = "segments") -> SegmentsFile:
    try:
        data = yaml.safe_load(text) or {}
        return SegmentsFile.model_validate(data)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        raise InvalidInput(f"{source}: {exc}") from None


def segments_path(policy_dir: Path, slug: str) -> Path:
    return policy_dir / f"{slug}.segments.yaml"


_EMPTY = SegmentsFile()
# path -> (mtime_ns, profiles): one stat per turn, re-read when the file changes.
_cache: dict[Path, tuple[int, SegmentsFile]] = {}


def workspace_segments(policy_dir: Path, slug: str) -> SegmentsFile:
    path = segments_path(policy_dir, slug)
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        _cache.pop(path, None)
        return _EMPTY
    cached = _cache.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    loaded = parse_segments_file(path.read_text("utf-8"), source=str(path))
    _cache[path] = (mtime, loaded)
    return loaded


def segment_name(profiles: SegmentsFile, customer: Customer | None) -> str:
    found = profiles.choose(customer)
    return found.name if found else DEFAULT_SEGMENT


def turn_overrides(runtime: Any, slug: str, customer: Customer | None) -> dict[str, Any]:
    """The routing-policy overrides of the customer's segment (empty when none matches): the
    one call the turn makes (through ``experiments.variants.turn_policy``)."""
    if customer is None:
        return {}
    profiles = workspace_segments(runtime.policies.policy_dir, slug)
    found = profiles.choose(customer)
    if found is None:
        return {}
    language = (customer.attributes or {}).get("language") or found.language
    return {
        **found.policy,
        "segment": {"name": found.name, "tone": found.tone, "language": language},
    }
