from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from hybridcx.audit import record as audit
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import CustomerWriter
from hybridcx.conversations.schemas import customer_read
from hybridcx.customers.repository import get_by_email, normalize_email
from hybridcx.customers.schemas import CustomerRead
from hybridcx.integrations.outbound import enqueue_customer_push
from hybridcx.kit.db import transaction
from hybridcx.kit.ids import new_id
from hybridcx.models import Customer

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])


class CustomerUpsert(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    external_id: str | None = Field(default=None, max_length=200)
    vip: bool | None = None
    lifetime_value: float | None = Field(default=None, ge=0)
    human_only: bool | None = Field(default=None, description="Opted out of AI: people only.")
    # segment attributes for fairness audits (language, region, plan, ...).
    attributes: dict[str, str] | None = Field(
        default=None, max_length=50, description="Segment attributes, e.g. {'language': 'es'}."
    )


@router.post(
    "",
    status_code=201,
    response_model=CustomerRead,
    responses={200: {"description": "An existing customer was updated."}},
)
async def upsert_customer(
    body: CustomerUpsert,
    staff: CustomerWriter,
    runtime: RuntimeDep,
    response: Response,
) -> dict[str, Any]:
    """Create or update (by email) a customer of your workspace. Admins only.

    Returns 201 when created, 200 when an existing customer was updated."""
    fields = body.model_dump(exclude_unset=True, exclude={"email"})
    async with transaction(runtime.sessions) as session:
        customer = await get_by_email(session, staff.workspace_id, str(body.email))
        created = customer is None
        if customer is None:
            customer = Customer(
                id=new_id(),
                workspace_id=staff.workspace_id,
                email=normalize_email(str(body.email)),
                consents={},
            )
            session.add(customer)
        else:
            response.status_code = 200
        for key, value in fields.items():
            if value is not None:
                setattr(customer, key, value)
        if customer.name is None:
            customer.name = ""
        await session.flush()
        audit(
            session,
            action="customer.updated",
            actor=staff,
            target_type="customer",
            target_id=customer.id,
            details={"fields": sorted(fields), "created": created},
        )
        # The CRM gets the fields its conflict rules let hybridcx own (an outbox row, sent by
        # the sync worker after this commits).
        await enqueue_customer_push(
            session,
            staff.workspace_id,
            customer.id,
            [k for k, v in fields.items() if v is not None],
        )
        return customer_read(customer)
