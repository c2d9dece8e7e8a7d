"""FastAPI dependencies that turn the Authorization header into a principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hybridcx.auth.service import CustomerPrincipal, StaffPrincipal, staff_from_token
from hybridcx.kit.errors import Unauthorized
from hybridcx.runtime import Runtime

# The dependencies are ``async def`` though they never wait: FastAPI runs a plain ``def``
# dependency in its thread pool, two thread hops on every request for a dictionary lookup.


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


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
