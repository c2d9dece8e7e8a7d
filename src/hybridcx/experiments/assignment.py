"""Deterministic assignment: the same customer always lands in the same arm of an experiment."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any


def bucket(experiment_id: str, customer_id: str) -> float:
    """A uniform number in [0, 1) from SHA-256(experiment id : customer id).

    Keyed by the experiment too, so one customer's arms in two experiments are independent."""
    digest = hashlib.sha256(f"{experiment_id}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def pick_arm(arms: Sequence[Mapping[str, Any]], u: float) -> str:
    """The arm whose share interval holds ``u`` (shares are cumulative in the listed order)."""
    total = 0.0
    for arm in arms:
        total += float(arm["share"])
        if u < total:
            return str(arm["name"])
    return str(arms[0]["name"])  # shares summing below 1: the rest goes to the first (control)


def assign(experiment_id: str, customer_id: str, arms: Sequence[Mapping[str, Any]]) -> str:
    """For a rollout, list treatment first: a customer inside a smaller share stays inside every
    larger one, so stepping up never moves anyone back to control."""
    return pick_arm(arms, bucket(experiment_id, customer_id))
