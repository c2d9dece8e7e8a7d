"""What the queue reads to offer conversations to agents (kit/deps.py explains the ports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from hybridcx.kit.deps import HasListeners, HasSessions
from hybridcx.workspaces.deps import HasPolicies

if TYPE_CHECKING:
    from hybridcx.queue.strategy import AssignmentStrategy


class HasPresence(Protocol):
    @property
    def presence_timeout_seconds(self) -> int: ...


class QueueDeps(HasSessions, HasListeners, HasPolicies, HasPresence, Protocol):
    """The dispatch: the workspace's queue weights, who is online, the assignment strategy
    (and the strategies experiment arms may name)."""

    @property
    def strategy(self) -> AssignmentStrategy: ...

    @property
    def strategies(self) -> dict[str, AssignmentStrategy]: ...
