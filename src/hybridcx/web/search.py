"""The help centre's search: hybrid retrieval over public articles, with the matched words marked.

Highlights are returned as segments (``{"text", "mark"}``) rather than markup, so the page builds
``<mark>`` elements with textContent and no article or query text is ever parsed as HTML.
A word is marked when its stem is one of the query's (so "items" lights up for "item"); words
the dense half of the retrieval matched by meaning alone are not marked, honestly.
"""

from __future__ import annotations

import re
from typing import Any

from hybridcx.knowledge.engine.answer import Answer
from hybridcx.knowledge.engine.index import Hit
from hybridcx.knowledge.engine.text import STOP_WORDS, stem, tokenize

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
#: A hit is shown when its fused score is at least this, and at least this share of the best.
MIN_SCORE = 0.25
MIN_SHARE_OF_TOP = 0.6
SNIPPET_CHARS = 320


def segments(text: str, query: str) -> list[dict[str, Any]]:
    """``text`` cut into plain and marked runs; joined back, the runs are exactly ``text``."""
    terms = set(tokenize(query))
    out: list[dict[str, Any]] = []
    pos = 0
    for m in _WORD.finditer(text):
        word = m.group(0).lower()
        if word in STOP_WORDS or stem(word) not in terms:
            continue
        if m.start() > pos:
            out.append({"text": text[pos : m.start()], "mark": False})
        out.append({"text": m.group(0), "mark": True})
        pos = m.end()
    if pos < len(text):
        out.append({"text": text[pos:], "mark": False})
    return _merge(out)


def _merge(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for run in runs:
        if merged and merged[-1]["mark"] == run["mark"] and not run["mark"]:
            merged[-1]["text"] += run["text"]
        else:
            merged.append(dict(run))
    return merged


def snippet(text: str, query: str, *, size: int = SNIPPET_CHARS) -> str:
    """At most ``size`` characters of ``text``, starting near the first matched word."""
    if len(text) <= size:
        return text
    terms = set(tokenize(query))
    first = next((m.start() for m in _WORD.finditer(text) if stem(m.group(0).lower()) in terms), 0)
    start = max(0, first - size // 4)
    start = text.rfind(" ", 0, start) + 1 if start else 0
    end = min(len(text), start + size)
    return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")


def slug_of(url: str | None) -> str | None:
    if url and url.startswith("/help/articles/"):
        return url.removeprefix("/help/articles/")
    return None


def relevant(hits: list[Hit]) -> list[Hit]:
    """Hits worth showing: one per article, good enough in absolute terms and against the best."""
    if not hits:
        return []
    floor = max(MIN_SCORE, hits[0].score * MIN_SHARE_OF_TOP)
    seen: set[str] = set()
    kept = []
    for hit in hits:
        if hit.score < floor or hit.doc_id in seen or slug_of(hit.url) is None:
            continue
        seen.add(hit.doc_id)
        kept.append(hit)
    return kept


def hit_read(hit: Hit, query: str) -> dict[str, Any]:
    text = snippet(hit.text, query)
    return {
        "slug": slug_of(hit.url),
        "title": hit.title,
        "url": hit.url,
        "heading": hit.heading,
        "text": text,
        "segments": segments(text, query),
        "title_segments": segments(hit.title, query),
        "score": round(float(hit.score), 4),
    }


def answer_read(found: Answer, query: str) -> dict[str, Any]:
    if not found.answered:
        return {"answered": False, "text": None, "segments": [], "sources": [], "confidence": None}
    seen: set[str] = set()
    sources = []
    for h in found.sources:
        if h.doc_id not in seen:
            seen.add(h.doc_id)
            sources.append({"title": h.title, "url": h.url})
    return {
        "answered": True,
        "text": found.text,
        "segments": segments(found.text, query),
        "sources": sources,
        "confidence": round(float(found.confidence), 3),
    }
