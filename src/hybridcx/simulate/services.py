"""The real engine's parts, set up for a simulated company: the trained brain behind a cache,
the demo knowledge articles in the real knowledge index, and an in-memory company backend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import yaml

from hybridcx.flows.backend import Account, Order, Slot
from hybridcx.flows.memory_backend import MemoryBackend
from hybridcx.pipeline.base import ArticleRef, KnowledgeAnswer
from hybridcx.pipeline.steps.assess import SentimentScore, SentimentScorer
from hybridcx.pipeline.steps.understand import Understander, Understanding
from hybridcx.simulate.config import T0
from hybridcx.simulate.traffic import Contact


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses}


class CachedUnderstander:
    """The real understander, called once per distinct (text, day).

    The model is deterministic, so a repeated message gets the same understanding; the routing
    policy and flows still run on every turn. The day is part of the key because relative
    dates ("tomorrow") are resolved against the turn's time."""

    def __init__(self, inner: Understander) -> None:
        self.inner = inner
        self.cache: dict[tuple[str, date | None], Understanding] = {}
        self.stats = CacheStats()

    def understand(self, text: str, *, now: datetime | None = None) -> Understanding:
        key = (text, now.date() if now else None)
        found = self.cache.get(key)
        if found is None:
            self.stats.misses += 1
            found = self.cache[key] = self.inner.understand(text, now=now)
        else:
            self.stats.hits += 1
        return found


class CachedSentiment:
    def __init__(self, inner: SentimentScorer) -> None:
        self.inner = inner
        self.cache: dict[str, SentimentScore] = {}

    def score(self, text: str, *, embedding: Any = None) -> SentimentScore:
        found = self.cache.get(text)
        if found is None:
            found = self.cache[text] = self.inner.score(text)
        return found


class ArticlesKnowledge:
    """KnowledgeSource over the demo company's public articles, in the real knowledge index
    (retrieval and extractive answers as in the server, without a database)."""

    def __init__(self, articles: Sequence[dict[str, Any]]) -> None:
        from hybridcx.knowledge.engine.documents import Document
        from hybridcx.knowledge.engine.index import KnowledgeIndex

        public = [a for a in articles if a.get("audience", "public") == "public"]
        self.refs = {a["slug"]: ArticleRef(a["slug"], a["title"], a["body"]) for a in public}
        self.index = KnowledgeIndex()
        self.index.add(
            Document(
                id=a["slug"],
                title=a["title"],
                body=a["body"],
                tags=tuple(a.get("tags", ())),
                audience="public",
                url=f"/help/articles/{a['slug']}",
            )
            for a in public
        )
        self.cache: dict[str, KnowledgeAnswer | None] = {}

    @classmethod
    def demo(cls) -> ArticlesKnowledge:
        from hybridcx.demo.seed import ARTICLES_FILE

        return cls(yaml.safe_load(ARTICLES_FILE.read_text(encoding="utf-8")))

    async def article(self, slug: str) -> ArticleRef | None:
        return self.refs.get(slug)

    async def answer(self, query: str) -> KnowledgeAnswer | None:
        if query in self.cache:
            return self.cache[query]
        from hybridcx.knowledge.engine.answer import answer

        found = answer(query, self.index, audience="public")
        result = (
            KnowledgeAnswer(
                found.text,
                tuple((hit.title, hit.url or "") for hit in found.sources),
                round(found.confidence, 4),
            )
            if found.answered
            else None
        )
        self.cache[query] = result
        return result


APPOINTMENT_LABELS = frozenset({"reschedule_appointment", "cancel_appointment"})
STORES = ("Northwind Downtown", "Northwind Riverside")


def seed_backend(contacts: Sequence[Contact], *, days: int) -> MemoryBackend:
    """An order per customer, accounts for most, and store appointment slots."""
    backend = MemoryBackend()
    statuses = ("processing", "shipped", "shipped", "delivered")
    for c in contacts:
        status = statuses[c.index % len(statuses)]
        backend.orders[c.order_number] = (
            Order(
                number=c.order_number,
                status=status,
                carrier="UPS" if status != "processing" else None,
                tracking_number=f"1Z{c.index:08d}" if status != "processing" else None,
                expected_delivery=(T0 + timedelta(days=2 + c.index % 4)).date(),
                placed_at=T0 - timedelta(days=3 + c.index % 10),
            ),
            c.email,
        )
        if c.has_account:
            backend.accounts[c.email] = Account(
                account_number=f"NW-{c.index:06d}",
                status="active",
                plan="Explorer" if c.index % 3 else "Member",
                balance=round((c.index % 50) * 1.5, 2),
            )
    # Appointments every 30 minutes, 9:00-18:00, at both stores, through the run and a week on.
    for day in range(days + 8):
        for half_hour in range(18, 36):
            for store in STORES:
                starts = T0 + timedelta(days=day, minutes=30 * half_hour)
                slot_id = f"slot-{day:02d}-{half_hour:02d}-{store[10:13].lower()}"
                backend.slots[slot_id] = (Slot(slot_id, starts, store), None)
    # Customers who ask to move or cancel an appointment have one, a few days after they ask.
    free = sorted(backend.slots)
    taken = 0
    for c in contacts:
        if any(i.label in APPOINTMENT_LABELS for i in c.issues):
            day = int(c.arrival // 86_400) + 3
            for slot_id in free[taken:]:
                taken += 1
                slot, who = backend.slots[slot_id]
                if who is None and slot.starts_at >= T0 + timedelta(days=day):
                    backend.slots[slot_id] = (slot, c.email)
                    break
    return backend
