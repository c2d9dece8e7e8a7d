"""Everything a request or job needs, built once per process by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hybridcx.config import Settings
from hybridcx.demo.backend import DemoBackend
from hybridcx.kit.db import create_engine, session_factory
from hybridcx.knowledge.engine.answer import Answerer
from hybridcx.knowledge.service import KnowledgeService
from hybridcx.pipeline.base import Pipeline
from hybridcx.pipeline.factory import build_pipeline
from hybridcx.pipeline.policy import RoutingPolicy
from hybridcx.queue.strategy import STRATEGIES, AssignmentStrategy
from hybridcx.realtime.bus import EventBus, create_bus
from hybridcx.workspaces.policy_store import PolicyStore


@dataclass
class Runtime:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: EventBus
    policies: PolicyStore
    strategy: AssignmentStrategy
    max_message_chars: int
    staff_token_hours: int
    presence_timeout_seconds: int
    redis_url: str | None = None
    knowledge: KnowledgeService = field(default_factory=KnowledgeService)
    # The company's systems for Tier 1 flows, per turn (shares the turn's session).
    backend_factory: Callable[[AsyncSession, str], Any] = DemoBackend
    # Every assignment strategy by name, for experiment arms that set one (issue 10).
    strategies: dict[str, AssignmentStrategy] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        engine = create_engine(settings.effective_database_url)
        policies = PolicyStore(settings.policy_dir, _pipeline_builder(settings))
        return cls(
            engine=engine,
            sessions=session_factory(engine),
            bus=create_bus(settings.redis_url),
            policies=policies,
            strategy=_strategy(settings.assignment_strategy, settings),
            max_message_chars=settings.max_message_chars,
            staff_token_hours=settings.staff_token_hours,
            presence_timeout_seconds=settings.presence_timeout_seconds,
            redis_url=settings.redis_url,
            knowledge=KnowledgeService(answerer=_answerer(settings)),
            strategies={name: _strategy(name, settings) for name in STRATEGIES},
        )


def _strategy(name: str, settings: Settings | None = None) -> AssignmentStrategy:
    if name == "predictive" and settings is not None:  # predictive routing (issue 10)
        from hybridcx.routing.strategy import predictive_from_settings

        return predictive_from_settings(settings)
    try:
        return STRATEGIES[name]()
    except KeyError:
        raise ValueError(
            f"HYBRIDCX_ASSIGNMENT_STRATEGY={name!r} is not one of {sorted(STRATEGIES)}"
        ) from None


def _pipeline_builder(settings: Settings) -> Callable[[RoutingPolicy], Pipeline]:
    """The pipeline each workspace policy gets: with the NLU brain and Tier 1 flows when on."""
    if not settings.nlu_enabled:
        return build_pipeline
    from hybridcx.brain import load_brain
    from hybridcx.flows.spec import load_flows

    brain = load_brain(settings.effective_nlu_model_dir, training_data=settings.nlu_training_data)
    flows = load_flows()

    def build(policy: RoutingPolicy) -> Pipeline:
        return build_pipeline(
            policy, understander=brain.understander, sentiment=brain.sentiment, flows=flows
        )

    return build


def _answerer(settings: Settings) -> Answerer | None:
    if not settings.llm_base_url:
        return None
    from hybridcx.knowledge.engine.llm import GenerativeAnswerer
    from hybridcx.knowledge.engine.openai_compat import OpenAICompatibleProvider

    provider = OpenAICompatibleProvider(
        settings.llm_base_url,
        settings.llm_api_key,
        settings.llm_model,
        timeout=settings.llm_timeout_seconds,
    )
    return GenerativeAnswerer(provider)
