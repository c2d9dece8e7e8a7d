"""`hybridcx workspace ...` and `hybridcx staff ...`: set up a deployment without the demo."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.config import Settings
from hybridcx.kit.errors import AppError

workspace_app = typer.Typer(
    help="Workspaces (tenants) and their web chat inbox.", no_args_is_help=True
)
staff_app = typer.Typer(help="Staff accounts (agents, supervisors, admins).", no_args_is_help=True)
T = TypeVar("T")


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from hybridcx.kit.db import create_engine, session_factory, transaction, upgrade

    async def go() -> T:
        engine = create_engine(Settings().effective_database_url)
        try:
            await upgrade(engine)
            async with transaction(session_factory(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except AppError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        raise typer.Exit(2) from None


@workspace_app.command("create")
def workspace_create(
    slug: Annotated[str, typer.Argument(help="Short name, e.g. acme.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    default: Annotated[bool, typer.Option(help="Chats without an inbox key land here.")] = False,
) -> None:
    """Create a workspace with a web chat inbox; prints the inbox key and signing secret."""
    from hybridcx.workspaces.setup import create_workspace

    created = _run(lambda s: create_workspace(s, slug=slug, name=name or slug, default=default))
    typer.echo(f"Workspace {created.slug} created.")
    typer.echo(f"  inbox key (public, goes in the widget): {created.inbox_key}")
    typer.echo(f"  inbox secret (keep on your server, signs identity_hash): {created.inbox_secret}")


@staff_app.command("add")
def staff_add(
    workspace: Annotated[str, typer.Option(help="Workspace slug.")],
    email: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="agent, supervisor, admin or auditor.")] = "agent",
    skills: Annotated[str, typer.Option(help="Comma-separated, e.g. general,billing.")] = "general",
    capacity: Annotated[int, typer.Option(min=1, max=50)] = 3,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Add a staff member (the password is asked for, never echoed)."""
    from hybridcx.workspaces.setup import add_staff

    skill_list = [s.strip() for s in skills.split(",") if s.strip()]
    _run(
        lambda s: add_staff(
            s,
            workspace_slug=workspace,
            email=email,
            name=name,
            role=role,
            password=password,
            skills=skill_list,
            capacity=capacity,
        )
    )
    typer.echo(f"{email} can now sign in as {role} in {workspace}.")


@staff_app.command("reset-mfa")
def staff_reset_mfa(
    email: Annotated[str, typer.Option(help="The staff member's email.")],
) -> None:
    """Break glass: remove a staff member's second factor (e.g. the only admin lost their
    phone) and sign them out. Audited as a CLI action; they enrol again if required."""
    from hybridcx.agents.admin import cli_reset_mfa

    _run(lambda s: cli_reset_mfa(s, email))
    typer.echo(f"{email}'s second factor is removed; they are signed out everywhere.")
