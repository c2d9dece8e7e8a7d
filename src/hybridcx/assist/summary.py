"""Conversation summaries: a running one while people work, a post-contact one on resolve.

Without a model the summary is extractive: the customer's issue (their first real question),
what was done (the team's and the AI's sentences that report an action), and what is pending
(promises still to keep, an unanswered last message, or an open conversation), each quoted from
the transcript. With an LLM configured (``assist.llm_summary``) the post-contact summary and
category are written by the model, and this one is the fallback."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hybridcx.pipeline.base import TranscriptLine
from hybridcx.pipeline.steps.handoff import REASON_TEXT

# An intent the workspace's policy gives no category (``intent_categories``) is about this.
GENERAL = "General"
MAX_SUMMARY_CHARS = 700

# A sentence that reports something done (by a person or the AI): a perfect or passive form,
# or "I/we <did it>" ("I can reset it" offers; "I reset it" reports) ...
DONE = re.compile(
    r"\b(i've|i have|we've|we have|has been|have been|is now|are now)\b|"
    r"\b(i|we)\s+(?:just\s+|already\s+)?(sent|issued|refunded|credited|replaced|updated|"
    r"changed|cancell?ed|booked|rescheduled|processed|arranged|verified|confirmed|created|"
    r"applied|found|located|reset|emailed|ordered|shipped)\b",
    re.IGNORECASE,
)
# ... and one that promises something still to happen.
PENDING = re.compile(
    r"\b(i'll|i will|we'll|we will|will be|will arrive|will receive|within \d+|"
    r"follow up|get back to you|once we|as soon as|pending|awaiting|waiting for)\b",
    re.IGNORECASE,
)
# One-word turns and pleasantries say nothing about the issue.
SMALL_TALK = re.compile(
    r"^(agent|human|person|hi|hello|hey|yes|no|ok|okay|thanks?|thank you|bye|goodbye)\W*$",
    re.IGNORECASE,
)

# A last word that closes the conversation rather than asking for something.
CLOSING = re.compile(
    r"\b(thanks|thank you|cheers|bye|goodbye|that helps|that helped|perfect|great|all good)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Summary:
    text: str
    category: str
    customer_points: list[str]
    agent_points: list[str]
    issue: str = ""
    done: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    source: str = "extractive"  # or "llm"


def category_for(intent: str | None, categories: Mapping[str, str]) -> str:
    return categories.get(intent or "", GENERAL)


def category_names(categories: Mapping[str, str]) -> tuple[str, ...]:
    """The categories a workspace's conversations can get: its policy's, and ``General``."""
    return tuple(sorted({*categories.values(), GENERAL}))


def summarize_conversation(
    transcript: Sequence[TranscriptLine],
    *,
    customer_name: str,
    intent: str | None,
    reasons: Sequence[str],
    resolved: bool,
    categories: Mapping[str, str] | None = None,
) -> Summary:
    """Who asked what (the issue), what was done, what is pending, and how it ended.
    ``categories``: the workspace policy's ``intent_categories`` (none: every conversation is
    ``General``)."""
    said = [_sentence(line.text) for line in transcript if line.author == "customer"]
    answered = [_sentence(line.text) for line in transcript if line.author == "agent"]
    category = category_for(intent, categories or {})
    issue = next((s for s in said if _substantive(s)), said[0] if said else "")
    done = _done(transcript, reasons)
    pending = _pending(transcript, resolved)
    who = customer_name or "The customer"
    parts = [f"{who} contacted us about {category.lower()}" + (f': "{issue}".' if issue else ".")]
    if done:
        parts.append("Done: " + "; ".join(done) + ".")
    else:
        parts.append("Done: nothing recorded yet.")
    parts.append("Pending: " + ("; ".join(pending) if pending else "nothing") + ".")
    parts.append("Resolved." if resolved else "Open.")
    return Summary(
        _limit(" ".join(parts)),
        category,
        said[:5],
        answered[-3:],
        issue=issue,
        done=done,
        pending=pending,
    )


def _substantive(sentence: str) -> bool:
    return len(sentence.split()) >= 3 and not SMALL_TALK.match(sentence)


def _asks(text: str) -> bool:
    """A customer's last message that still wants something (not "thanks, that helps")."""
    return _substantive(" ".join(text.split())) and ("?" in text or not CLOSING.search(text))


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if s]


def _done(transcript: Sequence[TranscriptLine], reasons: Sequence[str]) -> list[str]:
    """The team's and the AI's sentences that report an action (latest three), and why a
    person got involved."""
    found: list[str] = []
    for line in transcript:
        if line.author not in ("agent", "ai"):
            continue
        for s in _sentences(line.text):
            if DONE.search(s) and not PENDING.search(s) and not s.endswith("?"):
                quoted = f'{"agent" if line.author == "agent" else "AI"}: "{_sentence(s)}"'
                if quoted not in found:
                    found.append(quoted)
    done = found[-3:] or _answered(transcript, people_only=bool(reasons))
    if reasons:
        done.insert(
            0, "handed to a person because " + ", ".join(REASON_TEXT.get(r, r) for r in reasons)
        )
    return done


def _answered(transcript: Sequence[TranscriptLine], *, people_only: bool) -> list[str]:
    """No action reported: the last answer after the customer's first real message (once
    people have it, the AI's lines are hand-off notices, not answers)."""
    asked = next(
        (i for i, x in enumerate(transcript) if x.author == "customer" and _substantive(x.text)),
        None,
    )
    if asked is None:
        return []
    for line in reversed(transcript[asked + 1 :]):
        if line.author in (("agent",) if people_only else ("agent", "ai")) and line.text.strip():
            who = "agent" if line.author == "agent" else "AI"
            return [f'{who} answered: "{_sentence(line.text)}"']
    return []


def _pending(transcript: Sequence[TranscriptLine], resolved: bool) -> list[str]:
    """Promises made by the team or the AI, and a customer message nobody answered."""
    pending: list[str] = []
    for line in transcript:
        if line.author in ("agent", "ai"):
            pending.extend(
                f'promised: "{_sentence(s)}"' for s in _sentences(line.text) if PENDING.search(s)
            )
    pending = pending[-2:]
    spoken = [line for line in transcript if line.author in ("customer", "agent", "ai")]
    last = spoken[-1] if spoken else None
    if last is not None and last.author == "customer" and _asks(last.text):
        pending.append(f'unanswered: "{_sentence(spoken[-1].text)}"')
    if not resolved and not pending:
        pending.append("the conversation is still open")
    return pending


def _limit(text: str, limit: int = MAX_SUMMARY_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _sentence(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return first if len(first) <= limit else first[: limit - 1] + "…"
