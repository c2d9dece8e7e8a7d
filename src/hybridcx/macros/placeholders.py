"""The placeholders a macro's text may use, checked when it is saved and filled when applied."""

from __future__ import annotations

import re
from collections.abc import Mapping

from hybridcx.kit.errors import InvalidInput

#: Every placeholder, and what it is filled with.
PLACEHOLDERS: dict[str, str] = {
    "customer.name": "the customer's name",
    "customer.first_name": "the first word of the customer's name",
    "agent.name": "the name of the agent sending the reply",
    "order.id": "the order number in the conversation (the last one the customer gave)",
}
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def names_in(text: str) -> list[str]:
    return [m.group(1) for m in _PLACEHOLDER.finditer(text)]


def check_text(text: str) -> None:
    """422 on a placeholder nobody can fill (a typo would reach the customer as written)."""
    for name in names_in(text):
        if name not in PLACEHOLDERS:
            known = ", ".join("{{" + k + "}}" for k in PLACEHOLDERS)
            raise InvalidInput(
                f"Unknown placeholder {{{{{name}}}}} in the macro text; the placeholders are "
                f"{known}."
            )
    rest = _PLACEHOLDER.sub("", text)
    if "{{" in rest or "}}" in rest:
        raise InvalidInput("The macro text has an unclosed placeholder: write {{name}}.")


def fill(text: str, values: Mapping[str, str | None]) -> tuple[str, list[str]]:
    """The text with every known value filled in; a placeholder without a value stays as
    written (so the agent sees it and edits it) and is listed as missing."""
    missing: list[str] = []

    def one(m: re.Match[str]) -> str:
        value = values.get(m.group(1))
        if value:
            return value
        if m.group(1) not in missing:
            missing.append(m.group(1))
        return m.group(0)

    return _PLACEHOLDER.sub(one, text), missing
