"""What the analytics endpoints read (kit/deps.py explains the ports)."""

from __future__ import annotations

from typing import Protocol

from hybridcx.kit.deps import HasSessions
from hybridcx.workspaces.deps import HasPolicies


class AnalyticsConfigDeps(HasSessions, HasPolicies, Protocol):
    """A workspace's analytics configuration, from its policy folder."""
