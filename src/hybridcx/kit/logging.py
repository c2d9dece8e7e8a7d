from __future__ import annotations

import logging
import sys

import structlog

from hybridcx.kit.log_redaction import redact_log_event


class CurrentStream:
    """sys.stdout or sys.stderr as it is at each write: a logger cached while the stream was
    swapped (a CLI test runner, a redirect) keeps working after the swap ends."""

    def __init__(self, name: str) -> None:
        self.name = name

    def write(self, text: str) -> int:
        return int(getattr(sys, self.name).write(text))

    def flush(self) -> None:
        getattr(sys, self.name).flush()


def stderr_logger_factory() -> structlog.PrintLoggerFactory:
    """Log lines on stderr (commands whose stdout is their output)."""
    return structlog.PrintLoggerFactory(file=CurrentStream("stderr"))  # type: ignore[arg-type]


def configure_logging(level: str = "info") -> None:
    numeric = getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(level=numeric, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # httpx logs every request's full URL at INFO: a connector's URLs carry customer emails
    # and, with query-parameter auth, the company's API key. Errors still log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            redact_log_event,  # privacy: no PII in logs
            # A plain traceback: structlog's default with rich installed (typer brings it)
            # prints every frame's local variables, customer text and keys included.
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            ),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=CurrentStream("stdout")),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
