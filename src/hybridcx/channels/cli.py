"""`hybridcx channels`: try SMS and the phone line locally, without Twilio, by posting webhooks
to a running server signed exactly as Twilio signs them (with HYBRIDCX_TWILIO_AUTH_TOKEN)."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from typing import Annotated

import httpx
import typer

channels_app = typer.Typer(
    help="Try the channels locally, without Twilio or a mail provider (SMS, phone, email).",
    no_args_is_help=True,
)

DEFAULT_TO = "+15557654321"
FAKE_ACCOUNT = "AC" + "0" * 32


def _settings_defaults(ctx: typer.Context, url: str | None, token: str | None) -> tuple[str, str]:
    from hybridcx.kit.cli import cli_settings

    settings = cli_settings(ctx)
    base = url or f"http://{settings.host}:{settings.port}"
    secret = token or settings.twilio_auth_token
    if not secret:
        raise typer.BadParameter(
            "Set HYBRIDCX_TWILIO_AUTH_TOKEN (the server must have the same) or pass --token."
        )
    return base.rstrip("/"), secret


def post_signed(base: str, path: str, params: dict[str, str], token: str) -> httpx.Response:
    """POST form fields with the X-Twilio-Signature Twilio would send for this URL."""
    from twilio.request_validator import RequestValidator

    url = base + path
    signature = RequestValidator(token).compute_signature(url, params)
    return httpx.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=60)


def _twiml(response: httpx.Response) -> ET.Element:
    if response.status_code != 200:
        typer.echo(f"{response.status_code}: {response.text}", err=True)
        raise typer.Exit(1)
    return ET.fromstring(response.text)


@channels_app.command("sms-send")
def sms_send(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The text message.")],
    sender: Annotated[str, typer.Option("--from", help="The customer's number (E.164).")],
    to: Annotated[str, typer.Option(help="Your Twilio number.")] = DEFAULT_TO,
    url: Annotated[str | None, typer.Option(help="Server base URL.")] = None,
    token: Annotated[str | None, typer.Option(help="Auth token to sign with.")] = None,
) -> None:
    """Text the server as a customer would, and print the replies it sends back."""
    base, secret = _settings_defaults(ctx, url, token)
    sid = "SM" + secrets.token_hex(16)
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": FAKE_ACCOUNT,
        "From": sender,
        "To": to,
        "Body": text,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    root = _twiml(post_signed(base, "/channels/sms/twilio", params, secret))
    replies = [m.text or "" for m in root.iter("Message")]
    for reply in replies:
        typer.echo(f"< {reply}")
    if not replies:
        typer.echo("(no reply)")


@channels_app.command("call")
def call(
    ctx: typer.Context,
    utterances: Annotated[list[str], typer.Argument(help="What the caller says, turn by turn.")],
    sender: Annotated[str, typer.Option("--from", help="The caller's number (E.164).")],
    to: Annotated[str, typer.Option(help="Your Twilio number.")] = DEFAULT_TO,
    url: Annotated[str | None, typer.Option(help="Server base URL.")] = None,
    token: Annotated[str | None, typer.Option(help="Auth token to sign with.")] = None,
    hang_up: Annotated[bool, typer.Option(help="Send the completed status at the end.")] = True,
) -> None:
    """Call the server's voice bot: the greeting, then each utterance as speech, printing what
    the bot says, until it transfers the call or the utterances run out."""
    base, secret = _settings_defaults(ctx, url, token)
    sid = "CA" + secrets.token_hex(16)
    common = {
        "AccountSid": FAKE_ACCOUNT,
        "CallSid": sid,
        "From": sender,
        "To": to,
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    root = _twiml(
        post_signed(
            base, "/channels/voice/twilio/incoming", {**common, "CallStatus": "ringing"}, secret
        )
    )
    transferred = _print_call(root)
    for said in utterances:
        if transferred:
            break
        typer.echo(f"> {said}")
        params = {**common, "CallStatus": "in-progress", "SpeechResult": said, "Confidence": "0.9"}
        transferred = _print_call(
            _twiml(post_signed(base, "/channels/voice/twilio/gather", params, secret))
        )
    if hang_up:
        post_signed(
            base,
            "/channels/voice/twilio/status",
            {**common, "CallStatus": "completed", "CallDuration": "60"},
            secret,
        )
        typer.echo("(call ended)")


def _print_call(root: ET.Element) -> bool:
    for say in root.iter("Say"):
        typer.echo(f"< {say.text or ''}")
    for verb in ("Enqueue", "Dial"):
        el = root.find(verb)
        if el is not None:
            target = (el.text or "").strip() or " ".join((c.text or "").strip() for c in el)
            typer.echo(f"(transferred: <{verb}> {target})")
            return True
    return False
