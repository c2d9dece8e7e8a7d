"""Documents and the passages the engine indexes, and the splitter that cuts one into the other."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Literal

Audience = Literal["public", "internal"]
AUDIENCES: tuple[Audience, ...] = ("public", "internal")

#: Passage sizes in words. Sections shorter than MIN are kept whole; longer ones are cut at
#: paragraph, then sentence boundaries into pieces of about TARGET and never above MAX.
MIN_WORDS = 100
TARGET_WORDS = 180
MAX_WORDS = 250

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path, e.g. ("Returns", "Damaged items")."""

    heading_path: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Document:
    """One knowledge article, FAQ entry or past case, as the engine sees it.

    `sections` is set by the importers that understand structure (Markdown, HTML); when it is
    empty the body is treated as Markdown-ish plain text by the splitter.
    """

    id: str
    title: str
    body: str
    tags: tuple[str, ...] = ()
    audience: Audience = "public"
    url: str | None = None
    version: int = 1
    sections: tuple[Section, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.audience not in AUDIENCES:
            raise ValueError(f"audience must be 'public' or 'internal', not {self.audience!r}")
        if not self.id:
            raise ValueError("a document needs a non-empty id")


@dataclass(frozen=True)
class Passage:
    """A piece of a document small enough to embed and to show as an answer."""

    id: str
    doc_id: str
    heading_path: tuple[str, ...]
    text: str

    @property
    def heading(self) -> str:
        return " > ".join(self.heading_path)

    def content_hash(self, title: str) -> str:
        """What the passage's vector depends on: a changed hash means re-embedding."""
        raw = "\x1f".join((title, self.heading, self.text))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def split_document(doc: Document) -> list[Passage]:
    """Cut a document into passages of ~100-250 words that keep their heading path."""
    sections = doc.sections or tuple(markdown_sections(doc.body))
    passages: list[Passage] = []
    for section in sections:
        for chunk in _chunk_words(section.text):
            passages.append(
                Passage(
                    id=f"{doc.id}#{len(passages)}",
                    doc_id=doc.id,
                    heading_path=section.heading_path,
                    text=chunk,
                )
            )
    if not passages:
        # A document with only a title is still findable by its title.
        passages.append(Passage(f"{doc.id}#0", doc.id, (), doc.title))
    return passages


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def markdown_sections(text: str) -> list[Section]:
    """Sections of Markdown text by ATX headings (`# A`, `## B`): ("A", "B") paths."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []  # (level, heading) of the open headings
    lines: list[str] = []
    in_fence = False

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body:
            sections.append(Section(tuple(h for _, h in stack), body))
        lines.clear()

    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else _MD_HEADING.match(line)
        if match:
            flush()
            level = len(match.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, match.group(2).strip()))
        else:
            lines.append(line)
    flush()
    return sections


def _chunk_words(text: str) -> list[str]:
    """Chunks of at most MAX_WORDS words, cut between sentences, preferably between paragraphs."""
    units: list[tuple[str, bool]] = []  # (sentence, starts a paragraph)
    for para in re.split(r"\n\s*\n", text):
        para = " ".join(para.split())
        if para:
            pieces = [para] if len(para.split()) <= MIN_WORDS else _split_long(para)
            units.extend((piece, i == 0) for i, piece in enumerate(pieces))
    chunks: list[list[str]] = []
    current: list[str] = []
    size = 0
    for unit, starts_paragraph in units:
        n = len(unit.split())
        if current and (
            size + n > MAX_WORDS or size >= TARGET_WORDS or (starts_paragraph and size >= MIN_WORDS)
        ):
            chunks.append(current)
            current, size = [], 0
        current.append(unit)
        size += n
    if current:
        chunks.append(current)
    if len(chunks) > 1 and sum(len(u.split()) for u in chunks[-1]) < MIN_WORDS:
        chunks[-2:] = _rebalance(chunks[-2] + chunks[-1])
    return [" ".join(c) for c in chunks]


def _rebalance(units: list[str]) -> list[list[str]]:
    """One chunk if it fits, else two of about equal size (no stub passage at the end)."""
    total = sum(len(u.split()) for u in units)
    if total <= MAX_WORDS:
        return [units]
    acc = 0
    for i, unit in enumerate(units):
        acc += len(unit.split())
        if acc >= total / 2:
            return [units[: i + 1], units[i + 1 :]] if i + 1 < len(units) else [units]
    return [units]


def _split_long(paragraph: str) -> list[str]:
    pieces: list[str] = []
    for sentence in split_sentences(paragraph):
        words = sentence.split()
        while len(words) > MAX_WORDS:  # a run-on "sentence" (lists, logs) is cut hard
            pieces.append(" ".join(words[:TARGET_WORDS]))
            words = words[TARGET_WORDS:]
        if words:
            pieces.append(" ".join(words))
    return pieces


def split_sentences(text: str) -> list[str]:
    """Sentences by end punctuation followed by a capital or digit (good enough for help text)."""
    out: list[str] = []
    for line in re.split(r"\n+", text):
        out.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return out
