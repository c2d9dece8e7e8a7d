from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.service import sign_in
from hybridcx.kit.db import transaction

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenRequest(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=200)


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"


@router.post("/token", response_model=TokenRead)
async def create_token(body: TokenRequest, runtime: RuntimeDep) -> TokenRead:
    """Sign a staff member in; the token goes in `Authorization: Bearer ...`."""
    async with transaction(runtime.sessions) as session:
        token = await sign_in(session, body.email, body.password, hours=runtime.staff_token_hours)
    return TokenRead(access_token=token)
