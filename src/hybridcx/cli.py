"""The `hybridcx` command (composition root for terminal use)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from hybridcx.admin_cli import staff_app, workspace_app
from hybridcx.analytics.cli import analytics_app
from hybridcx.audit.cli import audit_app
from hybridcx.channels.cli import channels_app
from hybridcx.channels.email.cli import email_app
from hybridcx.channels.voice_cli import voice_app
from hybridcx.compliance.cli import compliance_app
from hybridcx.config import Settings
from hybridcx.experiments.cli import experiments_app
from hybridcx.fairness.cli import fairness_app
from hybridcx.improvement.cli import learning_app
from hybridcx.integrations.cli import integrations_app
from hybridcx.kit.cli import CommandContext
from hybridcx.knowledge.cli import kb_app
from hybridcx.nlu.cli import nlu_app, sentiment_app
from hybridcx.outreach.cli import outreach_app
from hybridcx.privacy.cli import keys_app, privacy_app
from hybridcx.quality.cli import quality_app
from hybridcx.routing.cli import routing_app
from hybridcx.scripting.cli import scripts_app
from hybridcx.search.cli import search_app
from hybridcx.simulate.cli import simulate_app

app = typer.Typer(
    help="hybridcx: AI-human hybrid customer service.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)

# Every command reaches the tree one way: each command module exposes a `typer.Typer`, and this
# entry point mounts it, under a name (`hybridcx <name> ...`) or, with no name, by adding its
# commands to the group it is mounted on (a domain adding commands to another's group, e.g. the
# learning loop's `nlu retrain`, or the email channel's `channels email-*`). The commands get
# their settings (and a runtime) from the CommandContext the callback below installs.
app.add_typer(db_app, name="db")
app.add_typer(workspace_app, name="workspace")
app.add_typer(staff_app, name="staff")
nlu_app.add_typer(learning_app)  # nlu discover/examples/retrain/models/rollback
app.add_typer(nlu_app, name="nlu")
app.add_typer(sentiment_app, name="sentiment")
app.add_typer(kb_app, name="kb")
app.add_typer(analytics_app, name="analytics")
app.add_typer(voice_app, name="voice")
channels_app.add_typer(email_app)  # channels email-send/email-sink/email-serve
app.add_typer(channels_app, name="channels")
# `hybridcx audit ...`: the audit log, and the fairness and compliance records.
audit_app.add_typer(fairness_app)
audit_app.add_typer(compliance_app)
app.add_typer(audit_app, name="audit")
app.add_typer(simulate_app)  # hybridcx simulate
app.add_typer(keys_app, name="keys")
app.add_typer(privacy_app, name="privacy")
app.add_typer(outreach_app, name="outreach")
app.add_typer(experiments_app, name="experiments")
app.add_typer(routing_app, name="routing")
app.add_typer(quality_app, name="quality")
app.add_typer(integrations_app, name="integrations")
app.add_typer(search_app, name="search")
app.add_typer(scripts_app, name="scripts")


def _runtime(settings: Settings) -> Any:
    from hybridcx.runtime import Runtime

    return Runtime.from_settings(settings)


@app.callback()
def _main(ctx: typer.Context) -> None:
    """hybridcx: AI-human hybrid customer service."""
    # Command modules below this layer get their settings and runtime from here (kit.cli).
    ctx.obj = CommandContext(Settings, _runtime)
    # Engines made by commands open encrypted columns with the configured keys (lazily: a
    # command that never touches the database never creates a key file).
    from hybridcx.kit.keys import keyring_from_settings, set_default_keyring

    set_default_keyring(loader=lambda: keyring_from_settings(Settings()))


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "heads") -> None:
    """Apply database migrations (the server also does this on start)."""
    from hybridcx.kit.db import create_engine, current_revision, upgrade

    settings = Settings()

    async def run() -> str:
        engine = create_engine(settings.effective_database_url)
        try:
            await upgrade(engine, revision)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    reached = asyncio.run(run())
    typer.echo(f"Database at {_safe_url(settings)} is at revision {reached}.")


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.effective_database_url).render_as_string(hide_password=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Defaults to HYBRIDCX_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Defaults to HYBRIDCX_PORT.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes sharing the port (needs PostgreSQL and Redis).",
        ),
    ] = 1,
) -> None:
    """Serve the API and WebSockets."""
    settings = Settings()
    if workers > 1:
        problem = workers_problem(settings)
        if problem:
            typer.echo(f"Error: --workers {workers}: {problem}", err=True)
            raise typer.Exit(2)
    _serve(settings, host, port, workers=workers)


def workers_problem(settings: Settings) -> str | None:
    """Why several processes cannot serve with these settings, or None when they can."""
    if settings.effective_database_url.startswith("sqlite"):
        return (
            "several processes need PostgreSQL (HYBRIDCX_DATABASE_URL). SQLite takes one "
            "writer at a time, so more processes add lock waits, not throughput. Run one "
            "process, or see docs/operations.md#several-processes-on-one-machine."
        )
    if not settings.redis_url:
        return (
            "several processes need Redis (HYBRIDCX_REDIS_URL) to pass live events between "
            "them; without it a customer or agent connected to one process misses what "
            "another does. See docs/operations.md#several-processes-on-one-machine."
        )
    return None


def _serve(settings: Settings, host: str | None, port: int | None, *, workers: int = 1) -> None:
    import uvicorn

    from hybridcx.app import create_app

    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": "warning",
        # The client address comes from HYBRIDCX_TRUSTED_PROXIES (security.middleware), not
        # from uvicorn, which would believe X-Forwarded-For from any local process.
        "proxy_headers": False,
        # On SIGTERM: stop listening, let requests in flight (AI turns) finish for this long,
        # then cancel what is left (their answer leases are released) and exit.
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,
    }
    if workers > 1:
        from hybridcx.kit.keys import keyring_from_settings

        # On a fresh data dir every worker would generate its own key file, and the last one
        # written would win: make it once here, before they start.
        keyring_from_settings(settings)
        # Each worker builds its own app from the same environment (uvicorn spawns them and
        # shares the listening socket); the parent only supervises.
        uvicorn.run("hybridcx.app:create_server_app", factory=True, workers=workers, **options)
        return
    uvicorn.run(create_app(settings, settle_heap=True), **options)


@app.command()
def seed() -> None:
    """Seed the demo company into the configured database (idempotent)."""
    created = asyncio.run(_seed(Settings()))
    typer.echo("Demo company seeded." if created else "Demo company already present.")


async def _seed(settings: Settings) -> bool:
    from hybridcx.demo.seed import seed_demo
    from hybridcx.kit.db import create_engine, session_factory, transaction, upgrade

    engine = create_engine(settings.effective_database_url)
    try:
        await upgrade(engine)
        async with transaction(session_factory(engine)) as session:
            return await seed_demo(session)
    finally:
        await engine.dispose()


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Defaults to HYBRIDCX_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Defaults to HYBRIDCX_PORT.")] = None,
) -> None:
    """Seed the fictional demo company (Northwind Goods) and serve it."""
    from hybridcx.demo.seed import DEMO_INBOX_KEY, STAFF

    settings = Settings()
    asyncio.run(_seed(settings))
    url = f"http://{host or settings.host}:{port or settings.port}"
    typer.echo(f"\nhybridcx demo: Northwind Goods, data in {settings.data_dir.resolve()}")
    typer.echo(f"  Start here:       {url}/")
    typer.echo(f"  Customer chat:    {url}/chat      Self-service: {url}/help")
    typer.echo(f"  Agent desk:       {url}/desk      Supervisor:   {url}/supervisor")
    typer.echo(f"  API and docs:     {url}/docs")
    typer.echo(f"  Health:           {url}/healthz")
    typer.echo(f"  Chat as customer: .venv/bin/hybridcx chat --url {url} --email alex@example.com")
    typer.echo(f"  Web chat inbox:   {DEMO_INBOX_KEY}")
    typer.echo("  Staff logins:")
    for s in STAFF[:3]:
        typer.echo(f"    {s.email:<24} {s.password:<16} {s.role}")
    typer.echo(
        "  Customers: alex@example.com (regular, order 1001), vip@example.com (VIP), "
        "human@example.com (human only)\n"
    )
    if settings.nlu_enabled and not (settings.effective_nlu_model_dir / "model.json").exists():
        typer.echo("First start: training the AI model (about 10 seconds) before serving...")
    _serve(settings, host, port)


@app.command()
def chat(
    url: Annotated[str, typer.Option(help="Server URL.")] = "",
    email: Annotated[str, typer.Option(help="Your email as a customer.")] = "alex@example.com",
    name: Annotated[str, typer.Option(help="Your name.")] = "",
    inbox: Annotated[str | None, typer.Option(help="Public inbox key.")] = None,
) -> None:
    """Talk to a running server as a customer, in the terminal (type /quit to leave)."""
    from hybridcx.chat_client import run_chat

    settings = Settings()
    asyncio.run(
        run_chat(
            url or f"http://{settings.host}:{settings.port}", email=email, name=name, inbox=inbox
        )
    )


@app.command()
def version() -> None:
    """Print the hybridcx version."""
    from hybridcx import __version__

    typer.echo(__version__)


if __name__ == "__main__":
    app()
