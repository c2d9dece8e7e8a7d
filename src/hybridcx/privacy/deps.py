"""What erasure, retention and export read (kit/deps.py explains the ports)."""

from __future__ import annotations

from typing import Protocol

from hybridcx.kit.deps import HasDataDir, HasSessions
from hybridcx.knowledge.deps import HasKnowledge
from hybridcx.workspaces.deps import HasPolicies


class ErasureDeps(HasSessions, HasDataDir, HasKnowledge, Protocol):
    """An erasure: its transaction, the files at rest, the past-case index to refresh."""


class RetentionDeps(ErasureDeps, HasPolicies, Protocol):
    """A retention run: each workspace's retention policy, then the pending erasures."""


class PrivacyJobDeps(RetentionDeps, Protocol):
    @property
    def retention_interval_seconds(self) -> int: ...


class PrivacyEndpointDeps(ErasureDeps, Protocol):
    @property
    def erasure_due_days(self) -> int: ...
