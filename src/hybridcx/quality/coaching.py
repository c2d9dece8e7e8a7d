"""Per-handler averages, weekly trends and coaching from scored conversations (pure)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any


def _week(at: datetime) -> str:
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"


def handler_summary(
    scores: Sequence[Mapping[str, Any]],
    resolved_at: Mapping[str, datetime],
    *,
    weakest: int = 2,
    examples: int = 3,
) -> dict[str, Any]:
    """One handler's scored conversations: averages, trend by ISO week, coaching advice.

    Coaching names the ``weakest`` criteria under a perfect average, each with the conversations
    that scored lowest on it as examples to review together."""
    overall = [s["score"] for s in scores if s["score"] is not None]
    by_criterion: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for s in scores:
        for c in s["criteria"]:
            if c["score"] is not None:
                by_criterion[c["criterion"]].append((c["score"], s["conversation_id"]))
    averages = {k: round(statistics.fmean(x for x, _ in v), 3) for k, v in by_criterion.items()}
    weeks: dict[str, list[float]] = defaultdict(list)
    for s in scores:
        at = resolved_at.get(s["conversation_id"])
        if at is not None and s["score"] is not None:
            weeks[_week(at)].append(s["score"])
    coaching = [
        {
            "criterion": name,
            "average": avg,
            "examples": [cid for score, cid in sorted(by_criterion[name]) if score < 1][:examples],
        }
        for name, avg in sorted(averages.items(), key=lambda kv: kv[1])
        if avg < 1
    ][:weakest]
    return {
        "conversations": len(scores),
        "average_score": round(statistics.fmean(overall), 1) if overall else None,
        "criteria": dict(sorted(averages.items())),
        "trend": [
            {"week": w, "conversations": len(v), "average_score": round(statistics.fmean(v), 1)}
            for w, v in sorted(weeks.items())
        ],
        "coaching": coaching,
    }
