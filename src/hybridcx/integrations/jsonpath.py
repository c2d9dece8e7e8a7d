"""The small JSON path language of the no-code mapping: ``$``, ``.key`` and ``[n]``.

``$.order.shipments[0].carrier`` reads one value; ``$.orders`` (or ``$.orders[*]``) names a
list. Paths are parsed when the mapping is loaded, so a typo is an error at load, not a
wrong answer to a customer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_\-]*)|\[(\d+)\]|\[\*\]")

MISSING = object()


@dataclass(frozen=True)
class JsonPath:
    text: str
    steps: tuple[str | int, ...]
    each: bool = False  # ends with [*]: the list itself

    def get(self, data: Any) -> Any:
        """The value at the path, or ``MISSING``."""
        value = data
        for step in self.steps:
            if isinstance(step, int):
                if not isinstance(value, list) or step >= len(value):
                    return MISSING
                value = value[step]
            else:
                if not isinstance(value, dict) or step not in value:
                    return MISSING
                value = value[step]
        return value


def parse_path(text: str) -> JsonPath:
    """Parse ``$.a.b[0]``; raises ValueError saying what is wrong."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise ValueError(f"JSON path {text!r} must start with '$' (for example $.order.status)")
    rest = text[1:]
    steps: list[str | int] = []
    each = False
    pos = 0
    while pos < len(rest):
        match = _TOKEN.match(rest, pos)
        if match is None or each:
            raise ValueError(
                f"JSON path {text!r}: cannot read {rest[pos:]!r}; use .key, [number] or a final [*]"
            )
        key, index = match.group(1), match.group(2)
        if key is not None:
            steps.append(key)
        elif index is not None:
            steps.append(int(index))
        else:
            each = True
        pos = match.end()
    return JsonPath(text, tuple(steps), each)
