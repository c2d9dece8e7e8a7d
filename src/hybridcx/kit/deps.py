"""Small ports that services and adapters declare instead of taking the whole runtime.

A module states what it reads as a ``typing.Protocol`` of read-only properties (its
``<domain>/deps.py``); the composition root's ``Runtime`` satisfies them structurally, so callers
keep passing it and mypy checks the fit at every call site. The ports shared by many domains
live here: the database sessions, the event bus, the data directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hybridcx.kit.bus import EventBus
from hybridcx.kit.outbox import HasListeners

__all__ = [
    "DataDirSettings",
    "HasBus",
    "HasDataDir",
    "HasEngine",
    "HasListeners",
    "HasPublicUrl",
    "HasSessions",
    "PublicUrlSettings",
]


class HasSessions(Protocol):
    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...


class HasBus(Protocol):
    @property
    def bus(self) -> EventBus: ...


class DataDirSettings(Protocol):
    @property
    def data_dir(self) -> Path: ...


class HasDataDir(Protocol):
    """Where files at rest live (attachments, mail): ``settings.data_dir``."""

    @property
    def settings(self) -> DataDirSettings: ...


class HasEngine(Protocol):
    """The database engine itself: its dialect picks the key ring (sealed columns)."""

    @property
    def engine(self) -> AsyncEngine: ...


class PublicUrlSettings(Protocol):
    @property
    def public_url(self) -> str | None:
        """The server's public base URL (HYBRIDCX_PUBLIC_URL), for links and callbacks."""
        ...


class HasPublicUrl(Protocol):
    @property
    def settings(self) -> PublicUrlSettings: ...
