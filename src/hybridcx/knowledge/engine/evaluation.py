"""Retrieval benchmark: rank metrics, latency and the answer-or-escalate curve."""

from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from hybridcx.knowledge.engine.answer import confidence_of
from hybridcx.knowledge.engine.errors import ImportFormatError
from hybridcx.knowledge.engine.index import Hit, SearchAudience


@dataclass(frozen=True)
class LabeledQuery:
    text: str
    label: str


@dataclass(frozen=True)
class QueryResult:
    query: LabeledQuery
    ranked: tuple[str, ...]  # document ids, best first
    top_score: float
    margin: float
    confidence: float
    latency_ms: float
    #: Confidence had the right document been missing (its hits dropped): a same-domain
    #: unanswerable question, to measure how often the engine answers when it should not.
    unanswerable_confidence: float

    @property
    def rank(self) -> int | None:
        try:
            return self.ranked.index(self.query.label) + 1
        except ValueError:
            return None


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    coverage: float  # share of queries answered
    accuracy: float  # share of answered queries whose top document is right
    false_answer_rate: float  # share of unanswerable (FAQ removed) queries still answered


@dataclass(frozen=True)
class EvalReport:
    queries: int
    documents: int
    top1: float
    mrr_at_10: float
    recall_at_5: float
    latency_p50_ms: float
    latency_p99_ms: float
    curve: tuple[CurvePoint, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_queries(path: Path | str) -> list[LabeledQuery]:
    """A `text,label` CSV with a header row."""
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
            raise ImportFormatError(f"{path}: expected a header with 'text' and 'label'")
        return [LabeledQuery(r["text"], r["label"]) for r in reader if r["text"].strip()]


class Searchable(Protocol):
    """An in-memory index, or the knowledge service over a database (`kb eval --database-url`)."""

    def __len__(self) -> int: ...

    def search(
        self, query: str, k: int = 5, *, audience: SearchAudience = "public"
    ) -> list[Hit]: ...


def run_queries(
    index: Searchable, queries: list[LabeledQuery], *, k: int = 10
) -> list[QueryResult]:
    index.search("warm-up", 1, audience="all")  # builds the matrix and loads the model
    results = []
    for q in queries:
        start = time.perf_counter()
        hits = index.search(q.text, k + 1, audience="all")
        latency = (time.perf_counter() - start) * 1000
        top = hits[0].score if hits else 0.0
        second = hits[1].score if len(hits) > 1 else 0.0
        without = [h for h in hits if h.doc_id != q.label]
        results.append(
            QueryResult(
                q,
                tuple(h.doc_id for h in hits[:k]),
                top,
                top - second,
                confidence_of(hits),
                latency,
                confidence_of(without),
            )
        )
    return results


def report(results: list[QueryResult], *, documents: int) -> EvalReport:
    ranks = [r.rank for r in results]
    n = max(1, len(results))
    latencies = np.array([r.latency_ms for r in results]) if results else np.zeros(1)
    return EvalReport(
        queries=len(results),
        documents=documents,
        top1=sum(r == 1 for r in ranks) / n,
        mrr_at_10=sum(1.0 / r for r in ranks if r is not None and r <= 10) / n,
        recall_at_5=sum(r is not None and r <= 5 for r in ranks) / n,
        latency_p50_ms=float(np.percentile(latencies, 50)),
        latency_p99_ms=float(np.percentile(latencies, 99)),
        curve=answer_curve(results),
    )


def answer_curve(
    results: list[QueryResult], thresholds: tuple[float, ...] | None = None
) -> tuple[CurvePoint, ...]:
    """Accuracy of the answered queries vs the share answered, as the threshold rises."""
    thresholds = thresholds or (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
    points = []
    for t in thresholds:
        answered = [r for r in results if r.confidence >= t]
        correct = sum(r.rank == 1 for r in answered)
        points.append(
            CurvePoint(
                threshold=t,
                coverage=len(answered) / max(1, len(results)),
                accuracy=correct / len(answered) if answered else 1.0,
                false_answer_rate=sum(r.unanswerable_confidence >= t for r in results)
                / max(1, len(results)),
            )
        )
    return tuple(points)


def evaluate(index: Searchable, queries: list[LabeledQuery]) -> EvalReport:
    return report(run_queries(index, queries), documents=len(index))
