"""What the WebSockets read (kit/deps.py explains the ports)."""

from __future__ import annotations

import asyncio
from typing import Protocol

from hybridcx.kit.deps import HasBus
from hybridcx.queue.deps import QueueDeps


class RealtimeDeps(QueueDeps, HasBus, Protocol):
    """The bus the sockets subscribe to, presence, the queue an available agent is offered
    work from; ``stopping`` closes the sockets when the process shuts down."""

    @property
    def stopping(self) -> asyncio.Event: ...
