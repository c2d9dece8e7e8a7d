"""FastAPI dependencies that turn the Authorization header into a principal."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from hybridcx.auth.service import CustomerPrincipal, StaffPrincipal, staff_from_token
from hybridcx.improvement.deps import LearningDeps
from hybridcx.kit.deps import DataDirSettings, HasEngine, HasSessions, PublicUrlSettings
from hybridcx.kit.errors import Unauthorized
from hybridcx.macros.deps import MacroDeps
from hybridcx.outreach.deps import OutreachSettings
from hybridcx.routing.deps import RoutingSettings, RoutingStatusDeps

# The dependencies are ``async def`` though they never wait: FastAPI runs a plain ``def``
# dependency in its thread pool, two thread hops on every request for a dictionary lookup.


class LoginDeps(HasSessions, HasEngine, Protocol):
    """Signing in: the engine's key ring hashes the account name for the throttle."""


class AppSettings(PublicUrlSettings, OutreachSettings, RoutingSettings, DataDirSettings, Protocol):
    """The settings the endpoints read (each service's deps.py names its own)."""


class AppDeps(MacroDeps, LearningDeps, RoutingStatusDeps, HasEngine, Protocol):
    """What the endpoints read from the process's runtime: the ports of the services they
    call, together. The runtime is built by the composition root and stored on
    ``app.state.runtime`` by app.py, which checks that it satisfies this protocol."""

    @property
    def settings(self) -> AppSettings: ...

    @property
    def staff_token_hours(self) -> int: ...

    @property
    def erasure_due_days(self) -> int: ...


async def get_runtime(request: Request) -> AppDeps:
    runtime: AppDeps = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[AppDeps, Depends(get_runtime)]


async def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send 'Authorization: Bearer <token>'.")
    return token.strip()


async def any_principal(
    runtime: RuntimeDep, token: Annotated[str, Depends(bearer_token)]
) -> StaffPrincipal | CustomerPrincipal:
    """A staff token if it is one; otherwise a customer token, checked against the conversation."""
    async with runtime.sessions() as session:
        staff = await staff_from_token(session, token)
    return staff or CustomerPrincipal(token=token)


async def staff_principal(
    runtime: RuntimeDep, token: Annotated[str, Depends(bearer_token)]
) -> StaffPrincipal:
    async with runtime.sessions() as session:
        staff = await staff_from_token(session, token)
    if staff is None:
        raise Unauthorized("This needs a staff access token (POST /api/v1/auth/token).")
    return staff


Staff = Annotated[StaffPrincipal, Depends(staff_principal)]
AnyPrincipal = Annotated[StaffPrincipal | CustomerPrincipal, Depends(any_principal)]
