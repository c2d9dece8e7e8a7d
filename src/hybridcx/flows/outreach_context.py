"""What a proactive notice (hybridcx.outreach) tells the flows when the customer
answers it: the notice's context is on the conversation's ``ai_state["outreach"]``, so "where
is it?" in reply to a late-shipment SMS is about the order the SMS named.

The order number is offered as if the customer had typed it; the flow still checks that the
order belongs to this customer (``check_order_owner``), as it would a typed number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Context keys of a notice that fill the entity of the same meaning.
ENTITY_OF = {"order_number": "order_number"}


def with_outreach_context(
    ai_state: Mapping[str, Any], entities: Mapping[str, list[Any]]
) -> Mapping[str, list[Any]]:
    """``entities`` plus the notice's values the message did not give itself."""
    context = ai_state.get("outreach")
    if not isinstance(context, dict):
        return entities
    extra = {
        entity: [context[key]]
        for key, entity in ENTITY_OF.items()
        if context.get(key) and not entities.get(entity)
    }
    return {**entities, **extra} if extra else entities
