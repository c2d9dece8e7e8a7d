"""What quality scoring reads (kit/deps.py explains the ports)."""

from __future__ import annotations

from typing import Protocol

from hybridcx.kit.deps import HasSessions
from hybridcx.workspaces.deps import HasPolicies


class ScoringDeps(HasSessions, HasPolicies, Protocol):
    """Scoring a finished conversation: its rubric comes from the workspace's policy."""
