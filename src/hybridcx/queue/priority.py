from __future__ import annotations

from datetime import datetime

from hybridcx.pipeline.policy import QueuePriority


def priority(
    *, tier: int, vip: bool, queued_at: datetime, now: datetime, weights: QueuePriority
) -> float:
    """Higher is served first: tier, then VIP, and waiting time so nobody waits forever."""
    waiting_minutes = max(0.0, (now - queued_at).total_seconds() / 60.0)
    score = weights.tier_weight.get(tier, 100.0) + (weights.vip_bonus if vip else 0.0)
    return round(score + weights.per_waiting_minute * waiting_minutes, 3)


EPOCH = datetime(1970, 1, 1)


def queue_rank(*, tier: int, vip: bool, queued_at: datetime, weights: QueuePriority) -> float:
    """``priority`` without the clock, for ordering: every queued conversation gains the same
    per waiting minute, so sorting by this (higher first) is sorting by priority at any moment.
    Stored on the conversation and indexed; queued_at is naive UTC."""
    minutes = (queued_at - EPOCH).total_seconds() / 60.0
    score = weights.tier_weight.get(tier, 100.0) + (weights.vip_bonus if vip else 0.0)
    return score - weights.per_waiting_minute * minutes
