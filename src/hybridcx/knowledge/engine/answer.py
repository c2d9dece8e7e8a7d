"""Answer from retrieved passages, or say "I don't know" when the best passage is not good enough.

The confidence is a logistic model of the top hit's fused score and its margin over the next
document, fitted on StackFAQ dev queries: positives are queries whose top document is right,
negatives are the same queries with their FAQ removed from the index (the hardest kind of
unanswerable question: same domain, near-miss articles). Fitted on half the FAQs, it scored the
other half with the same coefficients (+-3%), so the threshold reads as "answer when at least
X likely right" on a 50/50 mix of answerable and unanswerable questions.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from hybridcx.knowledge.engine.documents import split_sentences
from hybridcx.knowledge.engine.index import Hit, SearchAudience
from hybridcx.knowledge.engine.text import tokenize

if TYPE_CHECKING:
    from hybridcx.knowledge.engine.index import KnowledgeIndex

#: Logistic calibration of P(top document is right | score, margin); see the benchmark doc.
CALIBRATION = (9.73, 10.83, -8.09)  # (score weight, margin weight, bias)
#: Answer at or above this confidence; below it the caller escalates or offers a person.
#: On StackFAQ dev: answers 82% of answerable queries at 98% top-1 accuracy and 9% of
#: unanswerable ones (their FAQ removed).
DEFAULT_THRESHOLD = 0.5
NO_ANSWER_TEXT = "I'm not sure I have the right answer to that. Let me get a person to help."
_MAX_ANSWER_WORDS = 80


@dataclass(frozen=True)
class Answer:
    """What the engine says; `sources` are the hits it used (empty when it does not answer)."""

    text: str
    sources: tuple[Hit, ...]
    confidence: float
    answered: bool
    candidates: tuple[Hit, ...] = field(default=(), compare=False)


def confidence_of(hits: list[Hit]) -> float:
    """P(the top hit's document answers the query) from its score and its margin."""
    if not hits:
        return 0.0
    top = hits[0].score
    second = next((h.score for h in hits[1:] if h.doc_id != hits[0].doc_id), 0.0)
    a, b, c = CALIBRATION
    z = a * top + b * (top - second) + c
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def trim_to_answer(query: str, text: str, *, max_words: int = _MAX_ANSWER_WORDS) -> str:
    """The passage cut to its sentences most related to the query, in their original order.

    Starts at the sentence sharing the most query terms (ties: the earliest) and reads on
    while under `max_words`: help text usually states the answer first, then the details.
    """
    sentences = split_sentences(text)
    if len(text.split()) <= max_words or len(sentences) <= 1:
        return text.strip()
    query_terms = set(tokenize(query))
    overlap = [len(query_terms & set(tokenize(s))) for s in sentences]
    start = max(range(len(sentences)), key=lambda i: (overlap[i], -i))
    picked: list[str] = []
    words = 0
    for sentence in sentences[start:]:
        n = len(sentence.split())
        if picked and words + n > max_words:
            break
        picked.append(sentence)
        words += n
    return " ".join(picked)


class Answerer(Protocol):
    """Turns the retrieved hits into answer text and the hits it relied on.

    Returning None means "these passages do not answer the question": the caller escalates.
    """

    def compose(self, query: str, hits: list[Hit]) -> tuple[str, tuple[Hit, ...]] | None: ...


class ExtractiveAnswerer:
    """The default, offline answerer: the best passage, trimmed to the answer."""

    def __init__(self, *, max_words: int = _MAX_ANSWER_WORDS) -> None:
        self.max_words = max_words

    def compose(self, query: str, hits: list[Hit]) -> tuple[str, tuple[Hit, ...]] | None:
        if not hits:
            return None
        best = hits[0]
        return trim_to_answer(query, best.text, max_words=self.max_words), (best,)


def answer(
    query: str,
    index: KnowledgeIndex,
    *,
    audience: SearchAudience = "public",
    threshold: float = DEFAULT_THRESHOLD,
    k: int = 5,
    answerer: Answerer | None = None,
) -> Answer:
    """Answer from the index, or return answered=False (the caller escalates)."""
    hits = index.search(query, k, audience=audience)
    return answer_from_hits(query, hits, threshold=threshold, answerer=answerer)


def answer_from_hits(
    query: str,
    hits: list[Hit],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    answerer: Answerer | None = None,
) -> Answer:
    """`answer` for hits retrieved elsewhere (the shared vector store)."""
    confidence = confidence_of(hits)
    if not hits or confidence < threshold:
        return Answer(NO_ANSWER_TEXT, (), confidence, False, tuple(hits))
    composed = (answerer or ExtractiveAnswerer()).compose(query, hits)
    if composed is None:
        return Answer(NO_ANSWER_TEXT, (), confidence, False, tuple(hits))
    text, sources = composed
    return Answer(text, sources, confidence, True, tuple(hits))


def cited_numbers(text: str) -> list[int]:
    """[1], [2, 3] style citations in a generated answer, in order of first use."""
    seen: list[int] = []
    for group in re.findall(r"\[(\d+(?:\s*,\s*\d+)*)\]", text):
        for n in group.split(","):
            if int(n) not in seen:
                seen.append(int(n))
    return seen
