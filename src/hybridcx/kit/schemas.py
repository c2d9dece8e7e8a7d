"""The base of the API's read models (the shapes routes declare as ``response_model``).

A route that returns a dict is validated against its read model before it is sent, so the
model is the route's contract and the OpenAPI document shows it. Two settings keep the wire
format exactly what the dict says:

- ``extra="forbid"``: a key the model does not declare is an error (a 500 in the tests) instead
  of being dropped silently from the response;
- ``strict=True``: no coercion (``"1"`` is not turned into ``1``, ``True`` not into ``1``).

Strict pydantic still turns an ``int`` into ``1.0`` for a ``float`` field, so a value that can
be either (a count, a config number, ``round()`` of an int) is declared ``Number``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

Number = int | float


class ReadModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SnapshotModel(ReadModel):
    """A JSON document the database keeps (an evaluation, a plan): the keys written today are
    declared, and a key that an earlier version wrote is passed through unchanged."""

    model_config = ConfigDict(extra="allow", strict=True)
