"""The output filter: the last look at what the AI is about to say.

Whatever produced a reply (a flow, a knowledge passage, an LLM obeying an injection it should
not have), it is blocked if it contains text the customer must never see: the system prompts,
internal notes of the conversation, internal articles, or another customer's identifiers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_WORDS = re.compile(r"[a-z0-9]+")
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
ORDER = re.compile(r"\border\s+(?:number\s+)?#?(\d{3,})\b", re.IGNORECASE)
SHINGLE = 6  # words in a row shared with a protected text that count as a leak
BLOCKED_REPLY = (
    "I'm sorry, I can't share that. I can help with your own orders, account and our policies, "
    'or connect you with a person: just type "agent".'
)


def _words(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def _shingles(words: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@dataclass
class ProtectedData:
    """What must not reach this customer, loaded per turn by the conversation service."""

    customer_email: str = ""
    secrets: dict[str, list[str]] = field(default_factory=dict)  # kind -> texts
    allowed_emails: set[str] = field(default_factory=set)  # e.g. addresses in public articles
    # Shared, already-indexed data (the workspace's), checked before this object's own texts.
    parent: ProtectedData | None = None
    # Word runs of public text (public articles): never a leak, even when a note quotes them.
    public: set[tuple[str, ...]] = field(default_factory=set)
    _index: dict[str, tuple[set[tuple[str, ...]], list[str]]] = field(default_factory=dict)

    def add(self, kind: str, texts: Iterable[str]) -> None:
        self.secrets.setdefault(kind, []).extend(t for t in texts if t and t.strip())
        self._index.clear()

    def add_public(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.public |= _shingles(_words(text), SHINGLE)
        self._index.clear()

    def _compiled(self) -> dict[str, tuple[set[tuple[str, ...]], list[str]]]:
        if not self._index:
            public = self.public | (self.parent.public if self.parent is not None else set())
            for kind, texts in self.secrets.items():
                shingles: set[tuple[str, ...]] = set()
                short: list[str] = []
                for text in texts:
                    words = _words(text)
                    if len(words) >= SHINGLE:
                        shingles |= _shingles(words, SHINGLE)
                    elif len(" ".join(words)) >= 12:
                        short.append(" ".join(words))
                self._index[kind] = (shingles - public, short)
        return self._index

    def leaked(self, text: str) -> str | None:
        """The kind of protected text ``text`` reproduces, if any."""
        words = _words(text)
        joined = " ".join(words)
        mine = _shingles(words, SHINGLE)
        layers = [self, self.parent] if self.parent is not None else [self]
        for layer in layers:
            for kind, (shingles, short) in layer._compiled().items():
                if mine & shingles or any(s in joined for s in short):
                    return kind
        allowed = self.allowed_emails | (self.parent.allowed_emails if self.parent else set())
        own = (self.customer_email or "").lower()  # phone-only customers have none
        for email in EMAIL.findall(text):
            if email.lower() != own and email.lower() not in allowed:
                return "other_customer_identifier"
        return None


NOT_FOUND = re.compile(r"\b(couldn'?t|could not|can'?t|cannot) find order\s+#?(\d+)", re.IGNORECASE)


async def foreign_order(text: str, backend: object, email: str) -> bool:
    """An order number in the reply that belongs to someone else (saying that it could not be
    found for this customer reveals nothing)."""
    lookup = getattr(backend, "order", None)
    if lookup is None:
        return False
    not_found = {m.group(2) for m in NOT_FOUND.finditer(text)}
    for number in set(ORDER.findall(text)) - not_found:
        found = await lookup(number)
        if found is not None and found[1].lower() != email.lower():
            return True
    return False
