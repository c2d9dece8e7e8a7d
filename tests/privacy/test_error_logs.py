"""An error logged with its traceback names the frames, never their local variables.

structlog's console renderer prints rich tracebacks with every frame's locals when rich is
installed (typer installs it): a failed turn would write the customer's message, their email
or a key into the log."""

from __future__ import annotations

import io
import sys

import pytest
import structlog

from hybridcx.kit.logging import configure_logging


def test_an_exception_log_has_no_local_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    configure_logging("info")
    try:
        customer_text = "my card is in the name of Zelda Quartermain-Oyelaran"  # noqa: F841
        raise RuntimeError("turn failed")
    except RuntimeError:
        structlog.get_logger("test").exception("turn.failed")
    logged = out.getvalue()
    assert "turn.failed" in logged and "RuntimeError: turn failed" in logged
    assert "test_an_exception_log_has_no_local_variables" in logged  # the frame is named
    assert "Quartermain" not in logged and "customer_text" not in logged
