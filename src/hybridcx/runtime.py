"""Everything a request or job needs, built once per process by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hybridcx.config import Settings
from hybridcx.demo.backend import DemoBackend
from hybridcx.improvement.config import LearningConfig
from hybridcx.kit.db import create_engine, session_factory
from hybridcx.knowledge.engine.answer import Answerer
from hybridcx.knowledge.service import KnowledgeService
from hybridcx.pipeline.base import Pipeline
from hybridcx.pipeline.factory import build_pipeline
from hybridcx.pipeline.policy import RoutingPolicy
from hybridcx.privacy.keys import keyring_from_settings, set_default_keyring
from hybridcx.privacy.pii import configure as configure_pii
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
    # Privacy (issue 9): erasure deadline and the scheduled retention/erasure job.
    erasure_due_days: int = 30
    retention_interval_seconds: int = 3600
    knowledge: KnowledgeService = field(default_factory=KnowledgeService)
    # The company's systems for Tier 1 flows, per turn (shares the turn's session).
    backend_factory: Callable[[AsyncSession, str], Any] = DemoBackend
    # Channel adapters (hybridcx.channels) read their provider settings (Twilio, SMTP) here.
    settings: Settings | None = None
    # issue 10: the model the server answers with (follows the registry) and the loop's settings
    live_model: Any = None  # hybridcx.improvement.live.LiveModel, None when the NLU is off
    learning: Any = None  # hybridcx.improvement.config.LearningConfig
    # Every assignment strategy by name, for experiment arms that set one (issue 10).
    strategies: dict[str, AssignmentStrategy] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        keyring = keyring_from_settings(settings)  # privacy (issue 9): encryption at rest
        engine = create_engine(settings.effective_database_url, keyring=keyring)
        set_default_keyring(keyring)
        configure_pii(model_dir=settings.pii_model_dir)
        live_model, build = _pipeline_builder(settings)
        policies = PolicyStore(settings.policy_dir, build)
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
            erasure_due_days=settings.erasure_due_days,
            retention_interval_seconds=settings.retention_interval_seconds,
            knowledge=KnowledgeService(
                answerer=_answerer(settings), shared_vectors=settings.vector_store == "auto"
            ),
            settings=settings,
            live_model=live_model,
            learning=LearningConfig.from_settings(settings),
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


def _pipeline_builder(settings: Settings) -> tuple[Any, Callable[[RoutingPolicy], Pipeline]]:
    """The pipeline each workspace policy gets: with the NLU brain and Tier 1 flows when on."""
    if not settings.nlu_enabled:
        return None, build_pipeline
    from hybridcx.flows.spec import load_flows, with_variants
    from hybridcx.improvement.live import load_live_brain

    # issue 10: the brain answers with the registry's active model when there is one.
    brain, live_model = load_live_brain(
        settings.effective_nlu_model_dir,
        registry_dir=settings.effective_nlu_registry_dir,
        training_data=settings.nlu_training_data,
        check_seconds=settings.nlu_reload_check_seconds,
    )
    flows = load_flows()

    def build(policy: RoutingPolicy) -> Pipeline:
        return build_pipeline(
            policy,
            understander=brain.understander,
            sentiment=brain.sentiment,
            flows=with_variants(flows, policy.flow_variants),  # an experiment arm's variant
        )

    return live_model, build


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
