"""Response shapes of the tags and custom fields API."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hybridcx.kit.schemas import ReadModel


class TagRead(ReadModel):
    name: str
    description: str


class TagList(ReadModel):
    items: list[TagRead]


class FieldDefinitionRead(ReadModel):
    entity: str = Field(description="conversation or customer")
    key: str
    label: str
    type: str = Field(description="text, number, boolean, date or select")
    options: list[str] = Field(description="The choices of a select field.")


class FieldDefinitionList(ReadModel):
    items: list[FieldDefinitionRead]


class FieldValueRead(FieldDefinitionRead):
    # The value is of the field's type (text, number, boolean, ISO date); null when unset.
    value: Any


class FieldValueList(ReadModel):
    items: list[FieldValueRead]


class TagsRead(ReadModel):
    tags: list[str]
