"""Erlang C: how many agents a queue needs for a service-level target.

The classic M/M/N model: Poisson arrivals, exponential handle times, no abandonment. It is the
planning figure contact centres staff by; real queues with abandonment do slightly better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Staffing:
    """What ``agents`` people achieve on a queue offered ``traffic_erlangs`` of work."""

    agents: int
    traffic_erlangs: float
    probability_wait: float
    service_level: float
    average_speed_of_answer: float
    occupancy: float


def traffic_erlangs(arrival_rate_per_hour: float, aht_seconds: float) -> float:
    """Offered load A = arrivals per second x average handle time."""
    return arrival_rate_per_hour / 3600.0 * aht_seconds


def erlang_c(agents: int, traffic: float) -> float:
    """Probability an arriving contact waits (1.0 when the queue is unstable, agents <= traffic)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    # Erlang B by its stable recurrence, then C from B: no factorials to overflow.
    b = 1.0
    for k in range(1, agents + 1):
        b = traffic * b / (k + traffic * b)
    return agents * b / (agents - traffic * (1 - b))


def service_level(agents: int, traffic: float, aht_seconds: float, target_seconds: float) -> float:
    """Share of contacts answered within ``target_seconds``."""
    if agents <= traffic:
        return 0.0
    wait = erlang_c(agents, traffic)
    return 1.0 - wait * math.exp(-(agents - traffic) * target_seconds / aht_seconds)


def average_speed_of_answer(agents: int, traffic: float, aht_seconds: float) -> float:
    """Mean wait over all contacts, in seconds (infinite for an unstable queue)."""
    if agents <= traffic:
        return math.inf
    return erlang_c(agents, traffic) * aht_seconds / (agents - traffic)


def staffing(agents: int, traffic: float, aht_seconds: float, target_seconds: float) -> Staffing:
    return Staffing(
        agents=agents,
        traffic_erlangs=traffic,
        probability_wait=erlang_c(agents, traffic),
        service_level=service_level(agents, traffic, aht_seconds, target_seconds),
        average_speed_of_answer=average_speed_of_answer(agents, traffic, aht_seconds),
        occupancy=traffic / agents if agents else math.inf,
    )


def agents_needed(
    arrival_rate_per_hour: float,
    aht_seconds: float,
    target_sl: float = 0.8,
    target_seconds: float = 20.0,
    *,
    max_occupancy: float = 1.0,
) -> Staffing:
    """The fewest agents meeting ``target_sl`` within ``target_seconds`` (and ``max_occupancy``)."""
    if not 0 < target_sl < 1:
        raise ValueError("target_sl is a share between 0 and 1, such as 0.8.")
    if aht_seconds <= 0:
        raise ValueError("aht_seconds must be positive.")
    traffic = traffic_erlangs(arrival_rate_per_hour, aht_seconds)
    agents = max(1, math.floor(traffic) + 1)
    while True:
        result = staffing(agents, traffic, aht_seconds, target_seconds)
        if result.service_level >= target_sl and result.occupancy <= max_occupancy:
            return result
        agents += 1
