"""What scripts read (kit/deps.py explains the ports)."""

from __future__ import annotations

from typing import Protocol

from hybridcx.kit.deps import HasSessions
from hybridcx.workspaces.deps import HasPolicies


class ScriptingDeps(HasSessions, HasPolicies, Protocol):
    """Scripts and their enforcement; the customer's segment from the workspace's policy folder."""
