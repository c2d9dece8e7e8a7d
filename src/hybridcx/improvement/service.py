"""Learning from human resolutions: examples from resolved conversations, intent corrections,
intent discovery, retraining and rollback (the rules and the transactions)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.auth import permissions
from hybridcx.auth.permissions import Perm
from hybridcx.auth.service import StaffPrincipal
from hybridcx.conversations import repository as conv_repo
from hybridcx.improvement import repository as repo
from hybridcx.improvement.deps import LearningDeps
from hybridcx.improvement.redact import redact_for_training
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from hybridcx.kit.events import IntentCorrected
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.kit.time import iso
from hybridcx.models import Conversation, IntentCluster, Message, TrainingExample
from hybridcx.pipeline.policy import RoutingPolicy
from hybridcx.privacy.consent import read_consents
from hybridcx.workspaces.deps import HasPolicies

log = structlog.get_logger(__name__)

AGENT_SOURCES = ("agent_confirmed", "agent_corrected")
# Intents about the conversation itself, not the customer's issue (as in conversations/turns).
META_INTENTS = frozenset({"human_agent"})
INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
_WORDS = re.compile(r"[^\w\s]")


# ---- consent and the example a resolved conversation gives -------------------------------------


def has_training_consent(consents: Mapping[str, Any] | None, *, required: bool) -> bool:
    """A recorded training consent decides (either shape the privacy module writes: a boolean,
    or {"granted": ..., "at": ..., "source": ...}); without one, only when consent is not
    required by the workspace's policy."""
    consents = consents or {}
    if "training" in consents:
        return read_consents(dict(consents))["training"].granted
    return not required


def request_message(messages: Sequence[Message], policy: RoutingPolicy) -> Message | None:
    """The customer's request: their first message that is more than "get me a person"."""
    commands = {_normalize(c) for c in policy.customer_request_commands}
    for m in messages:
        if m.author != "customer" or m.internal:
            continue
        text = _normalize(m.text)
        if text and text not in commands and len(text.split()) >= 2:
            return m
    return None


def _normalize(text: str) -> str:
    return " ".join(_WORDS.sub(" ", text.lower()).split())


def _answers(messages: Sequence[Message]) -> list[str]:
    """What the agents told the customer (their public messages), oldest first."""
    return [m.text for m in messages if m.author == "agent" and not m.internal]


def _resolution(answers: list[str]) -> str:
    return redact_for_training(" ".join(answers[-3:]))[:2000]


def _redacted(request_text: str, answers: list[str]) -> tuple[str, str]:
    """The example's text and resolution, personal data removed (runs in a worker thread)."""
    return redact_for_training(request_text)[:1000], _resolution(answers)


async def ai_intent_of(session: AsyncSession, conv: Conversation) -> str | None:
    """What the AI understood the customer wanted: its confident topic, else the first intent
    its turns decided on other than "get me a person" (even an unconfident one)."""
    state = conv.ai_state or {}
    if "ai_topic" in state:
        return state["ai_topic"]  # type: ignore[no-any-return]
    if state.get("topic"):
        return str(state["topic"])
    for event in await conv_repo.list_events(session, conv.id):
        intent = (event.data or {}).get("intent") if event.type == "routing.decided" else None
        if intent and intent not in META_INTENTS:
            return str(intent)
    return None


async def _turn_confidence(session: AsyncSession, conv: Conversation, turn_id: str) -> Any:
    for event in await conv_repo.list_events(session, conv.id):
        if event.type == "routing.decided" and (event.data or {}).get("turn_id") == turn_id:
            return (event.data or {}).get("confidence")
    return None


async def record_resolution(
    session: AsyncSession, runtime: HasPolicies, conv: Conversation
) -> TrainingExample | None:
    """Called as a person resolves `conv`: its request becomes a candidate training example,
    PII removed, if the customer consented and the conversation has an intent."""
    ws = await conv_repo.get_workspace(session, conv.workspace_id)
    policy = runtime.policies.policy(ws.slug)
    customer = await conv_repo.get_customer(session, conv.customer_id)
    if not has_training_consent(
        customer.consents, required=policy.learning.require_training_consent
    ):
        log.info("training_example.skipped", conversation_id=conv.id, reason="no_consent")
        return None
    state = conv.ai_state or {}
    intent = state.get("agent_intent") or state.get("topic")
    messages = await conv_repo.list_messages(session, conv.id, include_internal=False)
    request = request_message(messages, policy)
    if not intent or request is None:
        log.info("training_example.skipped", conversation_id=conv.id, reason="no_intent")
        return None
    if await repo.example_for_conversation(session, conv.id) is not None:
        return None
    # spaCy's named entities cost milliseconds per text: masked in a worker thread, so the
    # event loop keeps serving customers while an agent's resolve is redacted.
    text, resolution = await asyncio.to_thread(_redacted, request.text, _answers(messages))
    example = TrainingExample(
        id=new_id(),
        workspace_id=conv.workspace_id,
        conversation_id=conv.id,
        message_id=request.id,
        source="resolution",
        text=text,
        intent=str(intent),
        intent_source=state.get("agent_intent_source") or "ai",
        ai_intent=await ai_intent_of(session, conv),
        ai_confidence=await _turn_confidence(session, conv, request.id),
        resolution=resolution,
        outcome="resolved",
        status="candidate",
        created_at=utcnow(),
    )
    session.add(example)
    return example


def example_read(e: TrainingExample) -> dict[str, Any]:
    return {
        "id": e.id,
        "conversation_id": e.conversation_id,
        "source": e.source,
        "text": e.text,
        "intent": e.intent,
        "intent_source": e.intent_source,
        "ai_intent": e.ai_intent,
        "ai_confidence": e.ai_confidence,
        "resolution": e.resolution,
        "outcome": e.outcome,
        "status": e.status,
        "created_at": iso(e.created_at),
        "reviewed_at": iso(e.reviewed_at),
    }


def cluster_read(c: IntentCluster) -> dict[str, Any]:
    return {
        "id": c.id,
        "status": c.status,
        "suggestion": c.suggestion,
        "label": c.label,
        "nearest_intent": c.nearest_intent,
        "similarity": c.similarity,
        "keywords": c.keywords,
        "size": len(c.examples),
        "examples": [
            {"text": e["text"], "conversation_id": e["conversation_id"]} for e in c.examples
        ],
        "accepted_intent": c.accepted_intent,
        "created_at": iso(c.created_at),
        "decided_at": iso(c.decided_at),
    }


class ImprovementService:
    def __init__(self, runtime: LearningDeps) -> None:
        self.rt = runtime

    # ---- the model's intents -------------------------------------------------------------------

    def _live(self) -> Any:
        if self.rt.live_model is None:
            raise Conflict("The intent model is off (HYBRIDCX_NLU_ENABLED=false).")
        return self.rt.live_model

    def intents(self) -> dict[str, Any]:
        live = self._live()
        return {"items": sorted(live.intents()), "model_version": live.version}

    # ---- agents correct or confirm the AI's intent ---------------------------------------------

    async def correct_intent(
        self, conversation_id: str, principal: StaffPrincipal, intent: str
    ) -> dict[str, Any]:
        if intent not in self._live().intents():
            raise InvalidInput(f"{intent!r} is not one of this workspace's intents.")
        outbox = Outbox()
        async with transaction(self.rt.sessions) as session:
            conv = await conv_repo.get_conversation(
                session, conversation_id, workspace_id=principal.workspace_id
            )
            conv = permissions.check_conversation(principal, conv)  # 404 outside their teams
            state = dict(conv.ai_state or {})
            ai_intent = await ai_intent_of(session, conv)
            source = "agent_confirmed" if intent == ai_intent else "agent_corrected"
            state.setdefault("ai_topic", ai_intent)
            state.update(topic=intent, agent_intent=intent, agent_intent_source=source)
            conv.ai_state = state
            conv_repo.add_event(
                session,
                conv,
                "intent.corrected",
                actor="agent",
                actor_id=principal.agent_id,
                data={"from": ai_intent, "to": intent, "confirmed": source == "agent_confirmed"},
            )
            example = await repo.example_for_conversation(session, conv.id)
            if example is not None:  # corrected after resolving: the example follows
                example.intent, example.intent_source = intent, source
                if example.status in ("accepted", "rejected"):
                    example.status = "candidate"
            event = IntentCorrected(
                conv.workspace_id,
                conversation_id=conv.id,
                intent=intent,
                ai_intent=ai_intent,
                source=source,
            )
            outbox.emit(event)
        await outbox.flush(self.rt)
        return {k: v for k, v in event.payload().items() if k != "type"}

    # ---- training examples ---------------------------------------------------------------------

    async def list_examples(
        self, principal: StaffPrincipal, status: str | None, limit: int
    ) -> list[dict[str, Any]]:
        permissions.check(principal, Perm.TRAINING_READ)
        async with self.rt.sessions() as session:
            rows = await repo.list_examples(
                session, principal.workspace_id, statuses=[status] if status else None, limit=limit
            )
        return [example_read(e) for e in rows]

    async def review_example(
        self, principal: StaffPrincipal, example_id: str, *, accept: bool
    ) -> dict[str, Any]:
        permissions.check(principal, Perm.MODELS_MANAGE)
        async with transaction(self.rt.sessions) as session:
            example = await repo.get_example(session, principal.workspace_id, example_id)
            if example is None:
                raise NotFound("Training example not found.")
            if example.status == "used":
                raise Conflict("This example is already in the active model's training data.")
            example.status = "accepted" if accept else "rejected"
            example.reviewed_by, example.reviewed_at = principal.agent_id, utcnow()
            return example_read(example)

    # ---- intent discovery ----------------------------------------------------------------------

    async def discover(self, workspace_id: str) -> list[dict[str, Any]]:
        """Cluster the unhandled messages of the discovery window; replaces earlier suggestions."""
        live = self._live()
        async with self.rt.sessions() as session:
            ws = await conv_repo.get_workspace(session, workspace_id)
            learning = self.rt.policies.policy(ws.slug).learning
            since = utcnow() - timedelta(days=learning.discovery_days)
            known = await repo.known_message_ids(session, workspace_id)
            # Accepted clusters become training data: the same consent rule applies.
            messages = [
                m
                for m, consents in await repo.unhandled_messages(session, workspace_id, since=since)
                if m.id not in known
                and len(m.text.split()) >= 2
                and has_training_consent(consents, required=learning.require_training_consent)
            ]
        texts = [redact_for_training(m.text)[:1000] for m in messages]
        found = await asyncio.to_thread(_cluster, live, texts, learning)
        async with transaction(self.rt.sessions) as session:
            await repo.drop_suggested_clusters(session, workspace_id)
            rows = []
            for cluster in found:
                row = IntentCluster(
                    id=new_id(),
                    workspace_id=workspace_id,
                    status="suggested",
                    suggestion=cluster.suggestion,
                    label=cluster.label,
                    nearest_intent=cluster.nearest_intent,
                    similarity=cluster.similarity,
                    keywords=cluster.keywords,
                    examples=[
                        {
                            "message_id": messages[i].id,
                            "conversation_id": messages[i].conversation_id,
                            "text": texts[i],
                        }
                        for i in cluster.members
                    ],
                    created_at=utcnow(),
                )
                session.add(row)
                rows.append(row)
            await session.flush()
            log.info("intent_discovery.done", messages=len(messages), clusters=len(rows))
            return [cluster_read(r) for r in rows]

    async def list_clusters(self, principal: StaffPrincipal, status: str | None) -> list[Any]:
        permissions.check(principal, Perm.TRAINING_READ)
        async with self.rt.sessions() as session:
            rows = await repo.list_clusters(session, principal.workspace_id, status=status)
        return [cluster_read(r) for r in rows]

    async def decide_cluster(
        self, principal: StaffPrincipal, cluster_id: str, *, accept: bool, intent: str | None
    ) -> dict[str, Any]:
        """Accept: the cluster's messages become accepted examples of `intent` (default: its
        suggested label) in the workspace's training data. Reject: they are not suggested again."""
        permissions.check(principal, Perm.MODELS_MANAGE)
        if intent is not None and not INTENT_NAME.match(intent):
            raise InvalidInput(
                "An intent name is 2-64 characters: lower-case letters, digits and underscores, "
                "starting with a letter."
            )
        async with transaction(self.rt.sessions) as session:
            cluster = await repo.get_cluster(session, principal.workspace_id, cluster_id)
            if cluster is None:
                raise NotFound("Intent cluster not found.")
            if cluster.status != "suggested":
                raise Conflict(f"This cluster was already {cluster.status}.")
            # Before this cluster counts as decided (its own messages would look known).
            known = await repo.known_message_ids(session, principal.workspace_id)
            cluster.status = "accepted" if accept else "rejected"
            cluster.decided_by, cluster.decided_at = principal.agent_id, utcnow()
            if accept:
                cluster.accepted_intent = intent or cluster.label
                for e in cluster.examples:
                    if e["message_id"] in known:
                        continue
                    session.add(
                        TrainingExample(
                            id=new_id(),
                            workspace_id=principal.workspace_id,
                            conversation_id=e["conversation_id"],
                            message_id=e["message_id"],
                            source="discovery",
                            text=e["text"],
                            intent=cluster.accepted_intent,
                            intent_source="discovery",
                            status="accepted",
                            reviewed_by=principal.agent_id,
                            reviewed_at=utcnow(),
                            created_at=utcnow(),
                        )
                    )
            await session.flush()
            return cluster_read(cluster)

    # ---- retraining, the registry and rollback -------------------------------------------------

    async def check_model_owner(self, principal: StaffPrincipal) -> None:
        """The registry and the model it serves are the whole server's, trained on one
        workspace's examples (HYBRIDCX_NLU_RETRAIN_WORKSPACE, else the default workspace): only
        that workspace's staff read or change them, never another tenant's admin."""
        slug = self.rt.learning.retrain_workspace
        async with self.rt.sessions() as session:
            ws = await repo.find_workspace(session, slug=slug)
        if ws is None or ws.id != principal.workspace_id:
            raise Forbidden(
                "The intent model is shared by every workspace of this server; it is managed "
                f"from the {slug or 'default'} workspace."
            )

    def models(self) -> dict[str, Any]:
        registry = self.rt.learning.registry
        live = self.rt.live_model
        return {
            "active": registry.active_id(),
            "serving": live.version if live is not None else None,
            "items": [asdict(v) for v in reversed(registry.versions())],
            "history": registry.history(),
        }

    async def retrain(
        self,
        workspace_slug: str | None = None,
        *,
        workspace_id: str | None = None,
        base_data: Path | None = None,
        require_examples: bool = False,
    ) -> dict[str, Any]:
        """Retrain on one workspace's accepted examples (by slug from the CLI and the scheduled
        job, by id from an admin's request: never another workspace's data). With
        ``require_examples`` (an admin's request) a workspace with no accepted example is a 409:
        there is nothing of theirs to train on, and nothing is trained."""
        from hybridcx.improvement.retrain import retrain
        from hybridcx.nlu.data import DEMO_INTENTS_PATH, load_examples

        cfg = self.rt.learning
        async with self.rt.sessions() as session:
            slug = workspace_slug or cfg.retrain_workspace
            ws = await repo.find_workspace(session, slug=slug, workspace_id=workspace_id)
            if ws is None:
                raise NotFound(f"No workspace {slug!r}." if slug else "No default workspace.")
            overlay = await repo.list_examples(session, ws.id, statuses=["accepted", "used"])
            if require_examples and not overlay:
                raise Conflict(
                    "This workspace has no accepted training examples: accept some "
                    "(GET /api/v1/improvement/examples) before retraining."
                )
            traffic = await repo.list_examples(
                session,
                ws.id,
                statuses=["candidate"],
                intent_sources=AGENT_SOURCES,
                since=utcnow() - timedelta(days=cfg.traffic_days),
            )
            # Consent is checked again now: a customer may have withdrawn it since.
            required = self.rt.policies.policy(ws.slug).learning.require_training_consent
            consents = await repo.consents_by_conversation(
                session, [e.conversation_id for e in overlay + traffic if e.conversation_id]
            )
            overlay, traffic = (
                [
                    e
                    for e in rows
                    if e.conversation_id is None
                    or has_training_consent(consents.get(e.conversation_id), required=required)
                ]
                for rows in (overlay, traffic)
            )
        base = load_examples(base_data or cfg.base_data or DEMO_INTENTS_PATH)
        outcome = await asyncio.to_thread(
            retrain,
            cfg.registry,
            base=base,
            overlay=[(e.text, e.intent) for e in overlay],
            traffic=[(e.text, e.intent) for e in traffic],
            margins=cfg.margins,
            note=f"workspace {ws.slug}: {len(overlay)} accepted example(s), "
            f"{len(traffic)} labelled traffic message(s)",
        )
        if outcome.promoted:
            async with transaction(self.rt.sessions) as session:
                trained = {e.id for e in overlay}
                for e in await repo.list_examples(session, ws.id, statuses=["accepted"]):
                    if e.id in trained:
                        e.status = "used"
        if self.rt.live_model is not None:
            self.rt.live_model.refresh(force=True)
        return outcome_read(outcome)

    def rollback(self, version: str | None) -> dict[str, Any]:
        from hybridcx.improvement.retrain import rollback

        previous, current = rollback(self.rt.learning.registry, version)
        if self.rt.live_model is not None:
            self.rt.live_model.refresh(force=True)
        return {"from": previous, "to": current}


def outcome_read(outcome: Any) -> dict[str, Any]:
    return {
        "promoted": outcome.promoted,
        "skipped": outcome.skipped,
        "version": asdict(outcome.version) if outcome.version else None,
        "baseline": asdict(outcome.bootstrapped) if outcome.bootstrapped else None,
        "train_seconds": outcome.train_seconds,
    }


def _cluster(live: Any, texts: list[str], learning: Any) -> list[Any]:
    from hybridcx.improvement.discovery import discover, intent_centroids
    from hybridcx.improvement.retrain import learning_embedder

    if len(texts) < learning.discovery_min_size:
        return []
    model = live.refresh()
    labels = live.training_labels()
    if labels is None:
        return []
    centroids = intent_centroids(model.example_vectors.astype("float32"), labels)
    return discover(
        texts,
        learning_embedder().encode(texts),
        centroids,
        distance=learning.discovery_distance,
        min_size=learning.discovery_min_size,
        existing_similarity=learning.existing_intent_similarity,
        oos_label=model.config.oos_label,
    )


from hybridcx.improvement import erasure as _erasure  # noqa: E402,F401  (registers its stores)
