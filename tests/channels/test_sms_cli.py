"""`hybridcx channels sms-send` and `call` post correctly signed webhooks to a running server."""

from __future__ import annotations

from typer.testing import CliRunner

from hybridcx.cli import app
from tests.fake_twilio import AUTH_TOKEN
from tests.support import Api, LiveServer


def test_sms_send_and_call_against_the_live_server(server: LiveServer, api: Api) -> None:
    runner = CliRunner()
    common = ["--url", server.url, "--token", AUTH_TOKEN]
    sms = runner.invoke(
        app,
        ["channels", "sms-send", "--from", "+14155550111", *common, "What are your opening hours?"],
    )
    assert sms.exit_code == 0, sms.output
    assert "AI assistant" in sms.output and "Monday to Friday" in sms.output
    call = runner.invoke(
        app,
        [
            "channels",
            "call",
            "--from",
            "+14155550112",
            *common,
            "What are your opening hours?",
            "agent",
        ],
    )
    assert call.exit_code == 0, call.output
    assert (
        "AI assistant" in call.output
        and "(transferred: <Enqueue> hybridcx-default-CA" in call.output
    )
    bad = runner.invoke(
        app,
        [
            "channels",
            "sms-send",
            "--from",
            "+14155550111",
            "--url",
            server.url,
            "--token",
            "wrong",
            "hi",
        ],
    )
    assert bad.exit_code == 1 and "403" in bad.output
