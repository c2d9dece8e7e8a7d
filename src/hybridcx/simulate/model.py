"""The simulated contact centre: customers talking to the real AI turn pipeline, a queue ordered
by the real priority(), and agents picked by the real assignment strategy, in virtual time.

Everything observable is written as conversation event rows, in the shape the server writes
them, so the analytics module's KPI functions compute the numbers."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hybridcx.analytics.facts import EventRow
from hybridcx.flows.actions import ACTIONS
from hybridcx.flows.engine import FlowEngine, FlowState
from hybridcx.flows.memory_backend import MemoryBackend
from hybridcx.flows.spec import FlowsFile
from hybridcx.pipeline.base import (
    CustomerProfile,
    KnowledgeSource,
    Pipeline,
    RoutingDecision,
    TranscriptLine,
    TurnContext,
    TurnServices,
)
from hybridcx.pipeline.policy import RoutingPolicy
from hybridcx.pipeline.steps.clarify import PENDING_KEY as CLARIFY_KEY
from hybridcx.queue.priority import priority
from hybridcx.queue.strategy import AgentCandidate, AssignmentStrategy, QueuedWork
from hybridcx.routing.strategy import decide
from hybridcx.simulate.config import T0, SimConfig
from hybridcx.simulate.engine import EventLoop
from hybridcx.simulate.skills import SkillModel
from hybridcx.simulate.traffic import Contact, Issue, Utterances

MAX_TURNS = 12
META = frozenset({"greeting", "goodbye", "thanks", "human_agent"})
DAMAGE = (
    "The box was crushed and the tent pole is snapped",
    "The zip is broken and there's a tear in the side",
    "It arrived cracked, photo: https://example.com/photo.jpg",
)
THANKS = ("thanks!", "thank you", "great, thanks", "thanks a lot")
YES = ("yes", "yes please", "ok", "sure")
SLOT_PICKS = ("1", "2", "the first one", "option 2", "3")


def at(t: float) -> datetime:
    return T0 + timedelta(seconds=t)


@dataclass
class SimConversation:
    contact: Contact
    rng: random.Random
    id: str
    status: str = "bot"  # bot | queued | assigned | resolved | abandoned | left
    tier: int = 1
    required_skill: str | None = None
    reasons: list[str] = field(default_factory=list)
    ai_state: dict[str, Any] = field(default_factory=dict)
    transcript: list[TranscriptLine] = field(default_factory=list)
    pending: list[Issue] = field(default_factory=list)
    used_texts: set[str] = field(default_factory=set)
    last_kind: str = "issue"  # what the customer's last message was: greeting|issue|answer|thanks
    turns: int = 0
    ai_resolved_issues: int = 0
    acted_intent: str | None = None  # the intent the AI acted on for the customer's last issue
    queued_at: float | None = None
    assigned_at: float | None = None
    ended_at: float | None = None
    agent_id: str | None = None
    outcome: str = "open"  # ai_resolved | ai_unresolved | human_resolved | abandoned
    attempt: int = 0  # 0 for the first contact about these issues, 1 for a re-contact
    transferred: bool = False
    # What routing sees (the AI's reading, not the hidden truth) and the interleaving arm.
    ai_intent: str | None = None
    sentiment: float | None = None
    arm: str | None = None
    handle_seconds: float | None = None
    resolved: bool | None = None  # the hidden outcome of a human contact (skill model on)
    csat: int | None = None

    @property
    def vip(self) -> bool:
        return self.contact.segment == "vip"


@dataclass
class SimAgent:
    id: str
    name: str
    skills: tuple[str, ...]
    capacity: int
    shifts: list[tuple[float, float]]
    on_shift: bool = False
    load: int = 0
    idle_since: datetime | None = None
    busy: list[tuple[float, float]] = field(default_factory=list)
    handled: int = 0

    def candidate(self) -> AgentCandidate:
        return AgentCandidate(
            id=self.id,
            name=self.name,
            skills=self.skills,
            capacity=self.capacity,
            load=self.load,
            idle_since=self.idle_since,
        )


def build_agents(config: SimConfig, days: int) -> list[SimAgent]:
    """``config.agents`` seats on duty through the staffed hours of each day; the staffed span
    is split into equal shifts of at most 8 hours, each worked by its own agent."""
    span = config.close_hour - config.open_hour
    n_shifts = max(1, math.ceil(span / 8.0 - 1e-9))
    length = span / n_shifts
    agents = []
    for seat in range(config.agents):
        premium = config.premium_every > 0 and seat % config.premium_every == 0
        skills = ("general", "premium") if premium else ("general",)
        for s in range(n_shifts):
            start_h = config.open_hour + s * length
            shifts = [
                ((d * 24 + start_h) * 3600.0, (d * 24 + start_h + length) * 3600.0)
                for d in range(days)
            ]
            agents.append(
                SimAgent(
                    id=f"agent-{seat + 1:02d}{'abc'[s] if s < 3 else s}",
                    name=f"Agent {seat + 1}{'ABC'[s] if s < 3 else s}",
                    skills=skills,
                    capacity=config.capacity,
                    shifts=shifts,
                )
            )
    return agents


class Simulation:
    def __init__(
        self,
        config: SimConfig,
        *,
        contacts: list[Contact],
        utterances: Utterances,
        policy: RoutingPolicy,
        pipeline: Pipeline,
        flows: FlowsFile,
        backend: MemoryBackend,
        knowledge: KnowledgeSource | None,
        strategy: AssignmentStrategy,
        known_intents: Iterable[str] = (),
        arms: Mapping[str, AssignmentStrategy] | None = None,
        slice_seconds: float = 1800.0,
    ) -> None:
        self.config = config
        self.contacts = contacts
        self.utterances = utterances
        self.policy = policy
        self.pipeline = pipeline
        self.backend = backend
        self.services = TurnServices(backend=backend, knowledge=knowledge)
        self.flow_engine = FlowEngine(flows, ACTIONS, backend)
        self.strategy = strategy
        # ON/OFF interleaving: the strategy in force rotates every ``slice_seconds`` of queue
        # time; a contact is routed by the arm of the slice it was queued in.
        self.arms = dict(arms or {})
        self.slice_seconds = slice_seconds
        self.decisions: Counter[str] = Counter()
        self.known_intents = set(known_intents)
        self.loop = EventLoop()
        self.events: list[EventRow] = []
        self.queue: dict[str, SimConversation] = {}
        self.conversations: list[SimConversation] = []
        self.reasons: Counter[str] = Counter()
        self.turns = 0
        self.last_work_at = 0.0
        self.days = math.ceil(config.hours / 24.0) + 1  # one more day drains overnight work
        self.agents = build_agents(config, self.days)
        self.skills = SkillModel(
            config.seed if config.skill_seed is None else config.skill_seed,
            config.skill_spread,
            utterances.labels,
        )
        for agent in self.agents:
            agent.skills = agent.skills + self.skills.declared(agent.id)

    # ---- running -------------------------------------------------------------------------

    async def run(self) -> None:
        for agent in self.agents:
            for start, end in agent.shifts:
                self.loop.at(start, self._shift_start, agent)
                self.loop.at(end, self._shift_end, agent)
        for contact in self.contacts:
            rng = random.Random(f"hybridcx-sim:{self.config.seed}:contact:{contact.index}")
            conv = SimConversation(
                contact=contact,
                rng=rng,
                id=f"conv-{contact.index:05d}",
                pending=list(contact.issues),
            )
            self.conversations.append(conv)
            self.loop.at(contact.arrival, self._arrive, conv)
        await self.loop.run()

    def _emit(
        self, conv: SimConversation, kind: str, actor_id: str | None = None, **data: Any
    ) -> None:
        self.events.append(EventRow(conv.id, kind, at(self.loop.now), actor_id=actor_id, data=data))

    # ---- customers and the AI ----------------------------------------------------------------

    async def _arrive(self, conv: SimConversation) -> None:
        self._emit(
            conv,
            "conversation.created",
            actor_id=conv.contact.id,
            channel=conv.contact.channel,
            segment="vip" if conv.vip else "standard",
            customer_value=conv.contact.lifetime_value,
        )
        await self._turn(conv, None)
        first, kind = (
            (conv.rng.choice(self.utterances.greetings), "greeting")
            if conv.contact.greet_first and conv.status == "bot"
            else (conv.contact.first_message, "issue")
        )
        conv.used_texts.update(i.text for i in conv.contact.issues)
        # An email arrives with its message; in chat and SMS the customer types it first.
        delay = 0.0 if conv.contact.channel == "email" else conv.rng.uniform(5.0, 20.0)
        self.loop.after(delay, self._customer_says, conv, first, kind)

    async def _customer_says(self, conv: SimConversation, text: str, kind: str) -> None:
        if conv.status not in ("bot", "queued"):
            return
        conv.last_kind = kind
        conv.transcript.append(TranscriptLine("customer", text))
        ctx = await self._turn(conv, text)
        if conv.status != "bot":
            return
        follow = self._next_message(conv, ctx)
        if follow is None:
            return
        text, kind = follow
        mean = self.config.think_seconds[conv.contact.channel]
        self.loop.after(
            conv.rng.expovariate(1.0 / mean) + 3.0, self._customer_says, conv, text, kind
        )

    async def _turn(self, conv: SimConversation, text: str | None) -> TurnContext:
        contact = conv.contact
        profile = CustomerProfile(
            id=contact.id,
            name=f"Customer {contact.index}",
            email=contact.email,
            vip=contact.segment == "vip",
            lifetime_value=contact.lifetime_value,
            human_only=contact.segment == "human_only",
            verified=contact.verified,
        )
        with_people = conv.status in ("queued", "assigned")
        ctx = TurnContext(
            text=text,
            customer=profile,
            channel=contact.channel,
            status="queued" if conv.status == "queued" else "bot",
            tier=conv.tier,
            transcript=list(conv.transcript),
            ai_state=conv.ai_state,
            services=self.services,
            now=at(self.loop.now),
            reasons=list(conv.reasons) if with_people else [],
        )
        result = await self.pipeline.arun(ctx)
        decision = result.decision
        conv.ai_state = ctx.ai_state
        conv.transcript.extend(TranscriptLine(r.author, r.text) for r in result.replies)
        turn_id = None
        if text is not None:
            conv.turns += 1
            self.turns += 1
            turn_id = f"{conv.id}-t{conv.turns}"
        self.reasons.update(decision.reasons)
        if text is not None:
            if conv.ai_intent is None and decision.intent and decision.intent not in META:
                conv.ai_intent = decision.intent
            if decision.sentiment is not None:
                conv.sentiment = decision.sentiment
        self._emit(conv, "routing.decided", **decision.to_dict(), turn_id=turn_id)
        if decision.handoff and conv.status == "bot":
            self._enqueue(conv, decision)
        elif conv.status == "queued" and decision.tier > conv.tier:
            conv.tier = decision.tier
            conv.required_skill = self.policy.skill_by_tier.get(conv.tier, conv.required_skill)
        return ctx

    def _next_message(self, conv: SimConversation, ctx: TurnContext) -> tuple[str, str] | None:
        """What the customer writes back to the AI, or None when they are done."""
        rng, cfg = conv.rng, self.config
        if conv.turns >= MAX_TURNS:
            return self._leave(conv, resolved=False)
        if ctx.handled and conv.last_kind == "issue":
            conv.acted_intent = ctx.intent
        # Several requests in one message, served one after the other: each finished request
        # is judged by the customer as it completes.
        multi = bool(ctx.scores.get("multi_request"))
        if multi:
            self._served(conv, ctx.served_intents)
        flow = conv.ai_state.get("flow")
        if flow:
            if rng.random() < cfg.drop_off_share:
                return self._leave(conv, resolved=False)
            return self._answer_flow(conv, FlowState.from_dict(flow)), "answer"
        question = conv.ai_state.get(CLARIFY_KEY)
        if question:
            return self._answer_clarify(conv, question)
        understood = True
        if ctx.handled and conv.last_kind in ("issue", "answer") and conv.pending and not multi:
            done = self._addressed(conv)
            if done is None:
                understood = False  # the AI answered something the customer did not ask
            else:
                conv.pending.remove(done)
                conv.ai_resolved_issues += 1
        if ctx.handled and understood:
            if conv.last_kind == "greeting":
                return conv.contact.first_message, "issue"
            if conv.pending:
                return conv.pending[0].text, "issue"
            if conv.last_kind != "thanks" and rng.random() < cfg.thanks_share:
                return rng.choice(THANKS), "thanks"
            return self._leave(conv, resolved=True)
        # The AI could not help with this message.
        if conv.last_kind == "thanks":
            return self._leave(conv, resolved=not conv.pending)
        u = rng.random()
        if u < cfg.rephrase_share and conv.pending:
            other = self._rephrase(conv, conv.pending[0])
            if other is not None:
                return other, "issue"
        if u < cfg.rephrase_share + cfg.ask_agent_share:
            return rng.choice(("agent", "Can I talk to a person please?", "human")), "issue"
        return self._leave(conv, resolved=False)

    def _served(self, conv: SimConversation, intents: Iterable[str]) -> None:
        for intent in intents:
            done = next((i for i in conv.pending if i.label == intent), None)
            if done is not None:
                conv.pending.remove(done)
                conv.ai_resolved_issues += 1

    def _answer_clarify(
        self, conv: SimConversation, question: dict[str, Any]
    ) -> tuple[str, str] | None:
        """The customer picks the option that is what they meant (its button), else rephrases
        or asks for a person as when the AI could not help."""
        wanted = {i.label for i in conv.pending}
        for option, label in zip(question["options"], question["labels"], strict=False):
            if option in wanted:
                return label, "issue"
        u = conv.rng.random()
        if u < self.config.rephrase_share and conv.pending:
            other = self._rephrase(conv, conv.pending[0])
            if other is not None:
                return other, "issue"
        if u < self.config.rephrase_share + self.config.ask_agent_share:
            return "agent", "issue"
        return self._leave(conv, resolved=False)

    def _addressed(self, conv: SimConversation) -> Issue | None:
        """The customer's issue the AI just dealt with, judged by the customer, who knows what
        they meant: the one whose label the AI acted on. A label the model does not know (a
        foreign data set) cannot be judged and counts as dealt with."""
        for issue in conv.pending:
            if issue.label == conv.acted_intent:
                return issue
        if all(i.label not in self.known_intents for i in conv.pending):
            return conv.pending[0]
        return None

    def _answer_flow(self, conv: SimConversation, state: FlowState) -> str:
        rng, contact = conv.rng, conv.contact
        step = self.flow_engine.awaiting(state)
        if step.confirm:
            return "no" if rng.random() < self.config.say_no_share else rng.choice(YES)
        if step.collect == "order_number":
            if state.attempts == 0 and rng.random() < self.config.wrong_answer_share:
                return f"It's order {900000 + rng.randrange(99_999)}"
            return rng.choice(
                (
                    f"My order number is {contact.order_number}",
                    f"order #{contact.order_number}",
                    contact.order_number,
                )
            )
        if step.collect == "code":
            return self.backend.codes.get(contact.email, self.backend.next_code)
        if step.collect == "damage":
            return rng.choice(DAMAGE)
        if step.collect == "remedy":
            return rng.choice(("Replacement", "Refund", "a refund please", "replace it"))
        if step.collect == "slot":
            options = len(state.slots.get("options") or []) or 1
            picks = [p for p in SLOT_PICKS if not p[-1].isdigit() or int(p[-1]) <= options]
            return rng.choice(picks)
        return rng.choice(YES)

    def _rephrase(self, conv: SimConversation, issue: Issue) -> str | None:
        others = [
            t for t in self.utterances.by_label.get(issue.label, ()) if t not in conv.used_texts
        ]
        if not others:
            return None
        text = conv.rng.choice(others)
        conv.used_texts.add(text)
        return text

    def _leave(self, conv: SimConversation, *, resolved: bool) -> tuple[str, str] | None:
        """The customer stops writing; there is no next message."""
        conv.status = "left"
        conv.outcome = "ai_resolved" if resolved else "ai_unresolved"
        conv.ended_at = self.loop.now
        self.last_work_at = max(self.last_work_at, self.loop.now)
        self._after_contact(conv)
        return None

    # ---- after the conversation: survey and re-contact ---------------------------------------

    # Mean CSAT (1-5) by outcome; NPS follows CSAT. Planning assumptions, not measurements.
    SURVEY_MEANS = {"ai_resolved": 4.4, "human_resolved": 4.2, "ai_unresolved": 2.3}

    def _after_contact(self, conv: SimConversation) -> None:
        rng, cfg = conv.rng, self.config
        # With the skill model on, _outcome already surveyed people's contacts.
        surveyed_by_skill_model = conv.outcome == "human_resolved" and cfg.skill_spread > 0
        if (
            conv.outcome in self.SURVEY_MEANS
            and not surveyed_by_skill_model
            and rng.random() < cfg.survey_share
        ):
            mean = self.SURVEY_MEANS[conv.outcome]
            if conv.outcome == "human_resolved" and conv.queued_at is not None:
                waited = (conv.assigned_at or conv.queued_at) - conv.queued_at
                mean -= min(1.5, waited / 600.0)  # every 10 minutes in the queue costs a point
            if conv.contact.angry:
                mean -= 0.4
            rating = min(5, max(1, round(rng.gauss(mean, 0.8))))
            nps = min(10, max(0, round(rng.gauss(2.2 * rating - 1.0, 1.2))))
            self.loop.after(rng.uniform(30.0, 300.0), self._survey, conv, rating, nps)
        if conv.outcome == "human_resolved" and conv.resolved is not None:
            human_unsolved = not conv.resolved  # the skill model's hidden outcome
        else:
            human_unsolved = (
                conv.outcome == "human_resolved" and rng.random() < cfg.human_unsolved_share
            )
        unsolved = conv.outcome in ("ai_unresolved", "abandoned") or human_unsolved
        if unsolved and conv.attempt == 0 and rng.random() < cfg.recontact_share:
            delay = min(24 * 3600.0, 3600.0 + rng.expovariate(1.0 / (3 * 3600.0)))
            if self.loop.now + delay > cfg.hours * 3600.0:
                return  # they would come back after the simulated period
            again = SimConversation(
                contact=conv.contact,
                rng=random.Random(f"hybridcx-sim:{cfg.seed}:recontact:{conv.contact.index}"),
                id=f"{conv.id}-r1",
                pending=list(conv.contact.issues),
                attempt=1,
            )
            self.conversations.append(again)
            self.loop.after(delay, self._arrive, again)

    def _survey(self, conv: SimConversation, rating: int, nps: int) -> None:
        # "Was your issue resolved?" as the customer sees it.
        resolved = conv.outcome in ("ai_resolved", "human_resolved")
        self._emit(
            conv,
            "survey.submitted",
            rating=rating,
            nps=nps,
            resolved=resolved,
            agent_id=conv.agent_id,
        )

    # ---- the queue and the agents --------------------------------------------------------------

    def _enqueue(self, conv: SimConversation, decision: RoutingDecision) -> None:
        conv.status = "queued"
        conv.tier = decision.tier
        conv.reasons = list(decision.reasons)
        conv.required_skill = self.policy.skill_by_tier.get(decision.tier)
        conv.queued_at = self.loop.now
        if self.arms:
            names = list(self.arms)
            conv.arm = names[int(self.loop.now // self.slice_seconds) % len(names)]
        self._emit(
            conv,
            "conversation.queued",
            tier=conv.tier,
            reasons=list(decision.reasons),
            skill=conv.required_skill,
        )
        self.queue[conv.id] = conv
        self.loop.after(conv.contact.patience, self._abandon, conv)
        self.loop.after(0.0, self._dispatch)

    def _dispatch(self) -> None:
        """As the server's dispatch: queued work by priority, each offered to the strategy."""
        if not self.queue:
            return
        by_id = {a.id: a for a in self.agents if a.on_shift and a.load < a.capacity}
        if not by_id:
            return
        now = at(self.loop.now)
        weights = self.policy.queue

        def order(c: SimConversation) -> tuple[float, float, str]:
            queued_at = at(c.queued_at or 0.0)
            p = priority(tier=c.tier, vip=c.vip, queued_at=queued_at, now=now, weights=weights)
            return (-p, c.queued_at or 0.0, c.id)

        for conv in sorted(self.queue.values(), key=order):
            work = self._work(conv, now)
            strategy = self.arms.get(conv.arm or "", self.strategy)
            choice, decision = decide(strategy, work, [a.candidate() for a in by_id.values()])
            if choice is None:
                continue
            agent = by_id[choice.id]
            self._assign(conv, agent)
            if decision is not None:
                self.decisions[decision.fallback_reason or decision.used] += 1
                self._emit(conv, "assignment.decided", **decision.to_event())
            if agent.load >= agent.capacity:
                del by_id[agent.id]
            if not by_id:
                return

    def _work(self, conv: SimConversation, now: datetime) -> QueuedWork:
        contact = conv.contact
        return QueuedWork(
            conv.id,
            conv.tier,
            conv.required_skill,
            contact.channel,
            intent=conv.ai_intent,
            team=self.policy.intent_skills.get(conv.ai_intent or ""),
            vip=conv.vip,
            lifetime_value=contact.lifetime_value,
            sentiment=conv.sentiment,
            waiting_seconds=self.loop.now - (conv.queued_at or self.loop.now),
            now=now,
        )

    def _assign(self, conv: SimConversation, agent: SimAgent) -> None:
        del self.queue[conv.id]
        conv.status = "assigned"
        conv.assigned_at = self.loop.now
        conv.agent_id = agent.id
        agent.load += 1
        agent.idle_since = at(self.loop.now)
        self._emit(conv, "conversation.assigned", agent_id=agent.id, via="auto")
        cfg = self.config
        mean = cfg.handle_mean_seconds.get(conv.tier, max(cfg.handle_mean_seconds.values()))
        mean *= cfg.handle_channel_factor.get(conv.contact.channel, 1.0)
        mu = math.log(mean) - cfg.handle_sigma**2 / 2.0
        handle = math.exp(mu + cfg.handle_sigma * conv.contact.handle_z)
        if cfg.skill_spread > 0:
            handle *= self.skills.handle_factor(agent.id, conv.contact.issues[0].label)
        conv.handle_seconds = handle
        self.loop.after(handle, self._release, conv, agent)

    def _release(self, conv: SimConversation, agent: SimAgent) -> None:
        if (
            conv.tier == 2
            and not conv.transferred
            and conv.rng.random() < self.config.transfer_share
        ):
            self._transfer(conv, agent)
            return
        conv.status = "resolved"
        conv.outcome = "human_resolved"
        conv.ended_at = self.loop.now
        agent.load -= 1
        agent.handled += 1
        agent.idle_since = at(self.loop.now)
        agent.busy.append((conv.assigned_at or self.loop.now, self.loop.now))
        self.last_work_at = max(self.last_work_at, self.loop.now)
        self._emit(conv, "conversation.resolved", agent_id=agent.id, category="simulated")
        if self.config.skill_spread > 0:
            self._outcome(conv, agent)  # the skill model decides resolution and the survey
        self._after_contact(conv)
        self._dispatch()

    def _transfer(self, conv: SimConversation, agent: SimAgent) -> None:
        """The agent hands the conversation to a specialist: back in the queue at tier 3."""
        conv.transferred = True
        agent.load -= 1
        agent.idle_since = at(self.loop.now)
        agent.busy.append((conv.assigned_at or self.loop.now, self.loop.now))
        conv.tier = 3
        conv.required_skill = self.policy.skill_by_tier.get(3, conv.required_skill)
        self._emit(conv, "conversation.transferred", from_agent_id=agent.id, to="queue", tier=3)
        conv.status = "queued"
        conv.queued_at = self.loop.now
        self._emit(
            conv, "conversation.queued", tier=3, reasons=["transfer"], skill=conv.required_skill
        )
        self.queue[conv.id] = conv
        self._dispatch()

    def _outcome(self, conv: SimConversation, agent: SimAgent) -> None:
        """Whether the person resolved the issue (hidden truth from the skill model) and the
        customer's survey: CSAT from the outcome and the wait, and "was it resolved?"."""
        rng = random.Random(f"hybridcx-sim:{self.config.seed}:outcome:{conv.contact.index}")
        p = self.skills.resolution(agent.id, conv.contact.issues[0].label)
        conv.resolved = rng.random() < p
        waited = (conv.assigned_at or 0.0) - (conv.queued_at or 0.0)
        score = (4.6 if conv.resolved else 2.2) - min(1.5, waited / 600.0) + rng.gauss(0.0, 0.6)
        conv.csat = max(1, min(5, round(score)))
        if rng.random() < self.config.survey_response_share:
            self._emit(
                conv, "survey.submitted", rating=conv.csat, resolved=conv.resolved,
                agent_id=agent.id,
            )  # fmt: skip

    def _abandon(self, conv: SimConversation) -> None:
        if conv.status != "queued":
            return
        del self.queue[conv.id]
        conv.status = "abandoned"
        conv.outcome = "abandoned"
        conv.ended_at = self.loop.now
        self.last_work_at = max(self.last_work_at, self.loop.now)
        self._emit(conv, "conversation.abandoned", waited_seconds=round(conv.contact.patience, 1))
        self._after_contact(conv)

    def _shift_start(self, agent: SimAgent) -> None:
        agent.on_shift = True
        self._dispatch()

    def _shift_end(self, agent: SimAgent) -> None:
        agent.on_shift = False  # finishes what it has, takes nothing new
