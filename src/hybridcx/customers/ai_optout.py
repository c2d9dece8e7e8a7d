"""A customer's own choice not to be served by the AI.

``human_only`` on the customer sends every conversation of theirs straight to people (the
``human_only`` rule of the pipeline). Staff could always set it; here the customer sets it
themselves: by asking in a conversation ("no bots", "I don't want to talk to an AI") or with
the toggle on the help centre after verifying their email, where they can also opt back in.
Every change is audited (the customer under the audit log's pseudonym) and, when it happens
in a conversation, recorded there as a ``customer.ai_preference`` event."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.audit import record as audit
from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import message_read
from hybridcx.kit.events import MessageCreated
from hybridcx.kit.outbox import Outbox
from hybridcx.models import Conversation, Customer

EVENT = "customer.ai_preference"

# "no bots", "no more AI please", "I don't want to talk to a bot", "never use AI with me",
# "opt out of the AI", "humans only": the request itself, not a mention of bots in passing.
_BOT = r"(?:bots?|robots?|ai|a\.i\.|artificial intelligence|machines?|chat ?bots?|automated (?:replies|answers))"
OPT_OUT = re.compile(
    rf"""(?:
        (?:^|(?<=[.!?,;:]))\s*(?:please\s+)?no\s+(?:more\s+)?{_BOT}\b
      | (?:don'?t|do\s+not|never)\s+(?:want\s+(?:to\s+)?)?(?:talk|speak|chat|deal)\s+(?:to|with)\s+(?:an?\s+|the\s+|your\s+)?{_BOT}\b
      | (?:don'?t|do\s+not|never)\s+(?:want\s+)?(?:an?\s+|the\s+|your\s+)?{_BOT}\b
      | opt(?:ing)?\s+(?:me\s+)?out\s+of\s+(?:the\s+|your\s+)?{_BOT}\b
      | (?:humans?|people|persons?)\s+only\b
      | only\s+(?:a\s+)?(?:humans?|real\s+(?:person|people))\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)

CONFIRMATION = (
    "Understood: from now on our AI assistant will not answer you; a member of our team will. "
    "You can change this at any time in the help centre."
)


def asks_to_opt_out(text: str | None) -> bool:
    return bool(text) and bool(OPT_OUT.search(text or ""))


def set_human_only(
    session: AsyncSession,
    customer: Customer,
    human_only: bool,
    *,
    via: str,
    conversation: Conversation | None = None,
) -> bool:
    """Record the customer's choice; False when it was already so (nothing audited)."""
    if customer.human_only == human_only:
        return False
    customer.human_only = human_only
    audit(
        session,
        action="customer.ai_opt_out" if human_only else "customer.ai_opt_in",
        actor_type="customer",
        workspace_id=customer.workspace_id,
        target_type="customer",
        target_id=customer.id,
        details={"via": via, "human_only": human_only}
        | ({"conversation_id": conversation.id} if conversation is not None else {}),
    )
    if conversation is not None:
        repo.add_event(
            session,
            conversation,
            EVENT,
            actor="customer",
            actor_id=customer.id,
            data={"human_only": human_only, "via": via},
        )
    return True


def opt_out_if_asked(
    session: AsyncSession,
    outbox: Outbox,
    conv: Conversation,
    customer: Customer,
    text: str | None,
) -> None:
    """Called once per customer turn, before the AI decides: a request for "no bots" sets
    ``human_only`` now, so this very turn goes to people, and says so."""
    if not asks_to_opt_out(text) or customer.human_only:
        return
    set_human_only(session, customer, True, via=conv.channel, conversation=conv)
    msg = repo.add_message(session, conv, author="system", text=CONFIRMATION)
    outbox.emit(MessageCreated(conv.workspace_id, conv.id, message=message_read(msg)))
