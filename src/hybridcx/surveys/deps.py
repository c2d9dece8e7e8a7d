"""What the surveys read (kit/deps.py explains the ports)."""

from __future__ import annotations

from typing import Protocol

from hybridcx.kit.deps import HasListeners, HasPublicUrl, HasSessions


class SurveyDeps(HasSessions, HasListeners, HasPublicUrl, Protocol):
    """Offering and recording surveys; a survey call fetches its questions from the public URL."""
