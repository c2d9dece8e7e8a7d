"""What a module reads to search the knowledge base and the past cases (kit/deps.py explains
the ports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from hybridcx.knowledge.service import KnowledgeService


class HasKnowledge(Protocol):
    @property
    def knowledge(self) -> KnowledgeService: ...
