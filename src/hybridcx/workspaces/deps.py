"""What a module reads to get a workspace's policy (kit/deps.py explains the ports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from hybridcx.workspaces.policy_store import PolicyStore


class HasPolicies(Protocol):
    @property
    def policies(self) -> PolicyStore: ...
