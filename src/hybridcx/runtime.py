"""Everything a request or job needs, built once per process by the composition root."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

# The learning loop's personal-data stores join every erasure, also in CLI-only processes.
import hybridcx.improvement.erasure  # noqa: E402,F401,I001
import hybridcx.integrations.erasure  # noqa: E402,F401,I001  (CRM pushes and erasures)
import hybridcx.profiles.erasure  # noqa: E402,F401,I001  (identities, merges)
import hybridcx.search.erasure  # noqa: E402,F401,I001  (index, tags, fields)
from hybridcx.assist.llm_summary import LLMSummaryWriter
from hybridcx.channels.email.config import EmailConfig
from hybridcx.config import Settings
from hybridcx.improvement.config import LearningConfig
from hybridcx.integrations.backend import WorkspaceBackend
from hybridcx.kit.bus import EventBus, create_bus
from hybridcx.kit.db import create_engine, session_factory
from hybridcx.kit.debounce import Debouncer
from hybridcx.kit.events import Listeners, LiveEvent
from hybridcx.kit.keys import keyring_from_settings, set_default_keyring
from hybridcx.kit.outbox import install_writer
from hybridcx.knowledge.engine.answer import Answerer
from hybridcx.knowledge.service import KnowledgeService
from hybridcx.ops.outbox import EventOutbox
from hybridcx.pipeline.base import Pipeline
from hybridcx.pipeline.factory import build_pipeline
from hybridcx.pipeline.policy import RoutingPolicy
from hybridcx.privacy.pii import configure as configure_pii
from hybridcx.queue.strategy import STRATEGIES, AssignmentStrategy
from hybridcx.routing.monitor import FallbackMonitor
from hybridcx.workspaces.policy_store import PolicyStore

if TYPE_CHECKING:
    from hybridcx.knowledge.engine.openai_compat import OpenAICompatibleProvider

log = structlog.get_logger(__name__)


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
    # Channel adapters (hybridcx.channels) and services read their settings here, through the
    # narrow settings protocols of their deps.py.
    settings: Settings
    redis_url: str | None = None
    # Privacy: erasure deadline and the scheduled retention/erasure job.
    erasure_due_days: int = 30
    retention_interval_seconds: int = 3600
    knowledge: KnowledgeService = field(default_factory=KnowledgeService)
    # The company's systems for Tier 1 flows, per turn (shares the turn's session): the
    # workspace's connector that serves flows, else the demo company's tables.
    backend_factory: Callable[[AsyncSession, str], Any] = WorkspaceBackend
    # the model the server answers with (follows the registry) and the loop's settings
    live_model: Any = None  # hybridcx.improvement.live.LiveModel, None when the NLU is off
    learning: Any = None  # hybridcx.improvement.config.LearningConfig
    # Every assignment strategy by name, for experiment arms that set one.
    strategies: dict[str, AssignmentStrategy] = field(default_factory=dict)
    # The texts a turn's model steps will embed, and the encoder that embeds them off the event
    # loop before the turn's transaction (None when the NLU is off).
    turn_texts: Callable[[str], list[str]] | None = None
    encoder: Any = None  # hybridcx.nlu.embeddings.SharedEncoder
    # Agent assist is recomputed after the customer's answer, once per burst of messages.
    assist_debouncer: Debouncer = field(default_factory=Debouncer)
    # Post-contact summaries and categories by an LLM (None: extractive summaries).
    summary_writer: LLMSummaryWriter | None = None
    # Predictive routing's fallbacks, counted and logged (GET /api/v1/routing/status).
    routing_monitor: FallbackMonitor = field(default_factory=FallbackMonitor)
    # This process's server_processes row while its heartbeat runs (ops.heartbeat). None: the
    # answer leases it takes name no process and are only taken over after the fixed timeout.
    process_id: str | None = None
    # The customer messages this process is answering right now: a lease it holds for any other
    # (a turn whose release failed while the database was away) is handed back by the heartbeat.
    answering: Counter[str] = field(default_factory=Counter)
    # Set once the process begins to shut down: new requests get 503, sockets close with 1012.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # What happens after a commit (kit.events): the listeners, registered by from_settings.
    events: Listeners = field(default_factory=Listeners)
    # Writes each transaction's live events to the outbox table (kit.outbox, ops.outbox).
    outbox: EventOutbox = field(default_factory=EventOutbox)

    @property
    def email(self) -> EmailConfig | None:
        """The email channel's settings (None: no support address), read when a mail is sent so
        a changed setting counts."""
        return EmailConfig.from_settings(self.settings)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        keyring = keyring_from_settings(settings)  # privacy: encryption at rest
        engine = create_engine(
            settings.effective_database_url,
            keyring=keyring,
            sqlite_inline=settings.sqlite_inline,
            sqlite_synchronous=settings.sqlite_synchronous,
            connect_timeout=settings.database_connect_timeout_seconds,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        set_default_keyring(keyring)
        configure_pii(model_dir=settings.pii_model_dir)
        live_model, build = _pipeline_builder(settings)
        policies = PolicyStore(settings.policy_dir, build)
        turn_texts, encoder = _encoder(settings, live_model)
        monitor = FallbackMonitor()
        runtime = cls(
            engine=engine,
            sessions=session_factory(engine),
            bus=create_bus(settings.redis_url),
            policies=policies,
            strategy=_strategy(settings.assignment_strategy, settings, monitor),
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
            turn_texts=turn_texts,
            encoder=encoder,
            strategies={name: _strategy(name, settings, monitor) for name in STRATEGIES},
            summary_writer=_summary_writer(settings),
            routing_monitor=monitor,
        )
        register_listeners(runtime.events)
        runtime.outbox.retention_seconds = settings.outbox_retention_seconds
        install_writer(engine, runtime.outbox)
        return runtime


def register_listeners(events: Listeners) -> None:
    """The side effects of the typed events (kit.events), once per runtime: the bus publishes
    the live events to the WebSockets; the channels send messages out (channels.outbound)."""
    from hybridcx.channels.outbound import register as register_channels

    events.on(LiveEvent, publish_live)
    register_channels(events)


async def publish_live(rt: Runtime, event: LiveEvent) -> None:
    """A live event on each of its bus channels, with its ``event_id`` once the outbox wrote
    it. Best effort: the data is already stored and clients catch up from the API (and from
    the outbox's replay), so a bus outage must not fail the request."""
    payload = event.payload()
    if event.event_id is not None:
        payload = {**payload, "event_id": event.event_id}
    for channel in event.channels():
        try:
            await rt.bus.publish(channel, payload)
        except Exception as exc:
            log.error("realtime.publish_failed", channel=channel, error=str(exc))


def _strategy(
    name: str, settings: Settings | None = None, monitor: FallbackMonitor | None = None
) -> AssignmentStrategy:
    if name == "predictive" and settings is not None:  # predictive routing
        from hybridcx.routing.strategy import predictive_from_settings

        return predictive_from_settings(settings, monitor)
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

    # the brain answers with the registry's active model when there is one.
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


def _encoder(settings: Settings, live_model: Any) -> tuple[Callable[[str], list[str]] | None, Any]:
    if not settings.nlu_enabled:
        return None, None
    from hybridcx.brain import texts_to_encode
    from hybridcx.nlu.embeddings import shared_embedder

    def turn_texts(text: str) -> list[str]:
        # The live model's classifier: the one answering now (it may have been retrained).
        return texts_to_encode(text, live_model.classifier if live_model is not None else None)

    return turn_texts, shared_embedder()


def _llm_provider(settings: Settings) -> OpenAICompatibleProvider | None:
    if not settings.llm_base_url:
        return None
    from hybridcx.knowledge.engine.openai_compat import OpenAICompatibleProvider

    return OpenAICompatibleProvider(
        settings.llm_base_url,
        settings.llm_api_key,
        settings.llm_model,
        timeout=settings.llm_timeout_seconds,
    )


def _answerer(settings: Settings) -> Answerer | None:
    provider = _llm_provider(settings)
    if provider is None:
        return None
    from hybridcx.knowledge.engine.llm import GenerativeAnswerer

    return GenerativeAnswerer(provider)


def _summary_writer(settings: Settings) -> LLMSummaryWriter | None:
    provider = _llm_provider(settings)
    if provider is None:
        return None
    return LLMSummaryWriter(provider, timeout_seconds=settings.llm_summary_timeout_seconds)
