"""What a module reads to reach the company's systems (kit/deps.py explains the ports)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class HasBackend(Protocol):
    @property
    def backend_factory(self) -> Callable[[AsyncSession, str], Any]:
        """The company's systems for one workspace, sharing the caller's session."""
        ...
