"""A structlog processor: every string in a log event goes through the fast PII path."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from hybridcx.kit.redaction import redact_fast

#: Fields that are ids or machine names, never personal data (skipping them keeps logs cheap).
_SKIP = frozenset({"timestamp", "level", "logger", "conversation_id", "workspace_id", "status"})


def redact_log_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Any:
    for key, value in event.items():
        if key in _SKIP:
            continue
        if isinstance(value, str):
            event[key] = redact_fast(value)
        elif isinstance(value, Exception):
            event[key] = redact_fast(str(value))
    return event
