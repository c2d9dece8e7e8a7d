"""`hybridcx channels email-*`: try the email channel on one machine, without a mailbox.

- ``email-sink`` is a local SMTP server that prints every mail it gets: point
  ``HYBRIDCX_SMTP_URL`` at it to read what the AI and the agents send.
- ``email-send`` writes to the built-in receiver as a customer's mail server would.
- ``email-serve`` runs only the receiver and the IMAP poller (no web server), e.g. on a mail host.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import smtplib
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Annotated, Any

import typer

# Mounted without a name on the `hybridcx channels` group by the entry point (hybridcx/cli.py).
email_app = typer.Typer()


def _defaults(ctx: typer.Context, port: int | None, to: str | None) -> tuple[int, str]:
    from hybridcx.kit.cli import cli_settings

    settings = cli_settings(ctx)
    port = port or settings.smtp_inbound_port
    to = to or settings.support_email
    if not port:
        raise typer.BadParameter("Pass --port or set HYBRIDCX_SMTP_INBOUND_PORT.")
    if not to:
        raise typer.BadParameter("Pass --to or set HYBRIDCX_SUPPORT_EMAIL.")
    return port, to


@email_app.command("email-send")
def email_send(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The mail's text.")],
    sender: Annotated[str, typer.Option("--from", help="The customer's address.")],
    subject: Annotated[str, typer.Option(help="Subject line.")] = "Question",
    name: Annotated[str, typer.Option(help="The customer's name.")] = "",
    to: Annotated[str | None, typer.Option(help="Defaults to HYBRIDCX_SUPPORT_EMAIL.")] = None,
    host: Annotated[str, typer.Option(help="Receiver host.")] = "127.0.0.1",
    port: Annotated[
        int | None, typer.Option(help="Receiver port; defaults to HYBRIDCX_SMTP_INBOUND_PORT.")
    ] = None,
    in_reply_to: Annotated[
        str | None, typer.Option(help="Message-ID this answers (continues that thread).")
    ] = None,
    attach: Annotated[list[Path] | None, typer.Option(help="Files to attach.")] = None,
) -> None:
    """Send a mail to the server's SMTP receiver as a customer would; prints its Message-ID."""
    port, to = _defaults(ctx, port, to)
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(text)
    for path in attach or []:
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    try:
        with smtplib.SMTP(host, port, timeout=120) as smtp:
            smtp.send_message(msg, from_addr=sender, to_addrs=[to])
    except smtplib.SMTPRecipientsRefused as exc:
        for rcpt, (code, reason) in exc.recipients.items():
            typer.echo(f"refused {rcpt}: {code} {reason.decode(errors='replace')}", err=True)
        raise typer.Exit(1) from None
    except (smtplib.SMTPException, OSError) as exc:
        typer.echo(f"could not deliver to {host}:{port}: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"sent {msg['Message-ID']} to {to} via {host}:{port}")


class _PrintingSink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        typer.echo(f"--- mail from {envelope.mail_from} to {', '.join(envelope.rcpt_tos)}")
        for header in ("From", "To", "Subject", "Message-ID", "In-Reply-To", "Auto-Submitted"):
            if msg.get(header):
                typer.echo(f"{header}: {msg[header]}")
        body = msg.get_body(preferencelist=("plain",)) if isinstance(msg, EmailMessage) else None
        typer.echo("")
        typer.echo(body.get_content().rstrip() if body is not None else "(no text part)")
        typer.echo("")
        return "250 OK"


@email_app.command("email-sink")
def email_sink(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 2525,
    host: Annotated[str, typer.Option(help="Interface.")] = "127.0.0.1",
) -> None:
    """A local SMTP server that prints each mail it receives (set
    HYBRIDCX_SMTP_URL=smtp://127.0.0.1:2525 to read the replies here). Ctrl-C stops it."""
    from aiosmtpd.controller import Controller

    controller = Controller(_PrintingSink(), hostname=host, port=port)
    controller.start()
    typer.echo(f"email sink listening on {host}:{port}; Ctrl-C to stop")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


@email_app.command("email-serve")
def email_serve(ctx: typer.Context) -> None:
    """Run only the email inbound side (SMTP receiver and/or IMAP poller) from the settings,
    without the web server. Ctrl-C stops it."""
    from hybridcx.kit.cli import command_context

    context = command_context(ctx)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(context, context.settings()))


async def _serve(context: Any, settings: Any) -> None:
    from hybridcx.channels.email import start_email
    from hybridcx.kit.db import upgrade

    runtime = context.runtime(settings)
    await upgrade(runtime.engine)
    await runtime.bus.start()
    services = await start_email(runtime, settings)
    if services is None:
        typer.echo("Set HYBRIDCX_SMTP_INBOUND_PORT and/or HYBRIDCX_IMAP_URL.", err=True)
        await runtime.bus.stop()
        await runtime.engine.dispose()
        raise typer.Exit(1)
    if services.receiver is not None:
        typer.echo(f"SMTP receiver on {services.receiver.host}:{services.receiver.port}")
    if services.poller is not None:
        typer.echo(f"polling {services.poller.mailbox.host}/{services.poller.mailbox.mailbox}")
    try:
        await asyncio.Event().wait()
    finally:
        await services.stop()
        await runtime.bus.stop()
        await runtime.engine.dispose()
