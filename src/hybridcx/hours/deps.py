"""What business hours, the idle sweep and the SLA sweep read (kit/deps.py explains the ports)."""

from __future__ import annotations

from typing import Protocol

from hybridcx.kit.deps import HasListeners, HasSessions
from hybridcx.queue.deps import HasPresence
from hybridcx.workspaces.deps import HasPolicies


class SlaDeps(HasSessions, HasListeners, Protocol):
    """The SLA sweep: its transactions and the alerts it raises after them."""


class HoursDeps(SlaDeps, HasPolicies, HasPresence, Protocol):
    """Hours, staffing and the idle sweep: the workspace's policy and who is online."""
