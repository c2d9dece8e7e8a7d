"""The process's Prometheus metrics, declared in one place.

Counters and histograms live in prometheus-client's default registry. With several worker
processes behind one port, set PROMETHEUS_MULTIPROC_DIR (an empty folder, wiped at each start)
and /metrics adds up every worker's files; see docs/operations.md (Metrics).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Seconds: a turn or a request is mostly 5 ms to 2 s; the top buckets catch LLM and lock waits.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_LATENCY = Histogram(
    "hybridcx_http_request_duration_seconds",
    "HTTP request latency by route template (not the raw path) and status code.",
    ["method", "route", "status"],
    buckets=_LATENCY_BUCKETS,
)
AI_STEP_LATENCY = Histogram(
    "hybridcx_ai_step_duration_seconds",
    "Time spent in each step of the AI turn pipeline.",
    ["step"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 20.0),
)
AI_TURN_LATENCY = Histogram(
    "hybridcx_ai_turn_duration_seconds",
    "Time of a whole AI turn pipeline (all steps).",
    buckets=_LATENCY_BUCKETS,
)
MESSAGES = Counter(
    "hybridcx_messages",
    "Messages stored, by the conversation's channel and the author.",
    ["channel", "author"],
)
ASSIGNMENTS = Counter(
    "hybridcx_assignments",
    "Conversations assigned to an agent, by how (accept, auto, transfer, ...).",
    ["via"],
)
ESCALATIONS = Counter(
    "hybridcx_escalations",
    "Conversations handed to the human queue, once per reason of the handoff.",
    ["reason"],
)
WEBSOCKETS = Gauge(
    "hybridcx_websocket_connections",
    "Open WebSocket connections held by this process.",
    ["kind"],
    multiprocess_mode="livesum",
)
