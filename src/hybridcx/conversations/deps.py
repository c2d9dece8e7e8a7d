"""What the conversation service reads (kit/deps.py explains the ports).

A turn reaches most of the domains (the queue, hours, assist, scripts, quality, surveys), so
its protocol is theirs together, plus what the turn itself reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from hybridcx.assist.deps import AssistDeps
from hybridcx.hours.deps import HoursDeps
from hybridcx.quality.deps import ScoringDeps
from hybridcx.queue.deps import QueueDeps
from hybridcx.scripting.deps import ScriptingDeps
from hybridcx.surveys.deps import SurveyDeps

if TYPE_CHECKING:
    from hybridcx.assist.llm_summary import LLMSummaryWriter
    from hybridcx.kit.debounce import Debouncer
    from hybridcx.nlu.embeddings import SharedEncoder


class ConversationDeps(
    AssistDeps, QueueDeps, HoursDeps, ScoringDeps, ScriptingDeps, SurveyDeps, Protocol
):
    @property
    def max_message_chars(self) -> int: ...

    @property
    def encoder(self) -> SharedEncoder | None:
        """Embeds a turn's texts off the event loop (None when the NLU is off)."""
        ...

    @property
    def turn_texts(self) -> Callable[[str], list[str]] | None: ...

    @property
    def assist_debouncer(self) -> Debouncer: ...

    @property
    def summary_writer(self) -> LLMSummaryWriter | None: ...

    @property
    def process_id(self) -> str | None:
        """This process's server_processes row, named on the answer leases it takes."""
        ...

    @property
    def answering(self) -> Counter[str]:
        """The customer messages this process is answering right now."""
        ...
