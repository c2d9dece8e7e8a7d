"""What approvals read (kit/deps.py explains the ports)."""

from __future__ import annotations

from typing import Protocol

from hybridcx.integrations.deps import HasBackend
from hybridcx.kit.deps import HasListeners, HasSessions
from hybridcx.workspaces.deps import HasPolicies


class ApprovalDeps(HasSessions, HasListeners, HasPolicies, HasBackend, Protocol):
    """Who may approve (the workspace's policy), and the approved action on the company's
    systems."""
