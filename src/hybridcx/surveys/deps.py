"""What the surveys read (kit/deps.py explains the ports)."""

from __future__ import annotations

from typing import Protocol

from hybridcx.kit.deps import HasListeners, HasSessions


class PublicUrlSettings(Protocol):
    @property
    def public_url(self) -> str | None: ...


class SurveyDeps(HasSessions, HasListeners, Protocol):
    """Offering and recording surveys; a survey call fetches its questions from the public URL."""

    @property
    def settings(self) -> PublicUrlSettings: ...
