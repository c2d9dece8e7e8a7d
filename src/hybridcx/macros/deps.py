"""What macros and automation rules read (kit/deps.py explains the ports): their actions
reply, assign and resolve through the conversation service, so they read what it reads."""

from __future__ import annotations

from typing import Protocol

from hybridcx.conversations.deps import ConversationDeps


class MacroDeps(ConversationDeps, Protocol):
    """Applying a macro or firing a rule."""
