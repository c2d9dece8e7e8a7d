"""Expected failures as typed errors; the app turns them into JSON responses with a message."""

from __future__ import annotations


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class ConversationClosed(Conflict):
    code = "conversation_closed"


class AlreadyClaimed(Conflict):
    code = "already_claimed"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"


class InvalidInput(AppError):
    status_code = 422
    code = "invalid_input"


class Busy(AppError):
    """The database stayed busy past the bounded retries: the client retries later."""

    status_code = 503
    code = "busy"
    headers = {"Retry-After": "1"}
