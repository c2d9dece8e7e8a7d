"""What agent assist reads (kit/deps.py explains the ports)."""

from __future__ import annotations

from typing import Protocol

from hybridcx.integrations.deps import HasBackend
from hybridcx.kit.deps import HasListeners, HasSessions
from hybridcx.knowledge.deps import HasKnowledge
from hybridcx.workspaces.deps import HasPolicies


class AssistDeps(HasSessions, HasListeners, HasKnowledge, HasBackend, HasPolicies, Protocol):
    """Suggestions from the knowledge base and past cases; an action run on the company's
    systems; a suggested reply sent through the conversation's channel; the workspace's
    policy (what its intents mean: categories, next-best actions)."""
