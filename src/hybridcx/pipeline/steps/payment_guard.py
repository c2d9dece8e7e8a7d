"""The redact step: card numbers and CVVs never enter the turn, and the customer learns why."""

from __future__ import annotations

from hybridcx.kit.redaction import has_payment_data, mask_payment_data
from hybridcx.pipeline.base import Reply, TurnContext

SECURE_PAYMENT_TEXT = (
    "For your security I removed the card details from your message: please never type card "
    "numbers or security codes in a chat. To pay or update a card, use our secure payment form "
    "at /pay, or on a phone call key the card number in with your keypad (DTMF) so no one hears it."
)


class PaymentDataGuard:
    """Masks payment data in the turn's text (storage masked it already) and answers with the
    secure ways to pay. A person handling the conversation sees a system note instead."""

    name = "redact"

    def __call__(self, ctx: TurnContext) -> None:
        if ctx.text is None:
            return
        masked = mask_payment_data(ctx.text)
        if not has_payment_data(masked):
            return
        ctx.text = masked
        ctx.replies.append(Reply("system" if ctx.with_humans else "ai", SECURE_PAYMENT_TEXT))
