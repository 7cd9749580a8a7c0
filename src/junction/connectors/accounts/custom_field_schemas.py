"""API shapes for an account connector's custom fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from junction.connectors.spec.models import FieldType, Identifier
from junction.tolerant import TolerantInput, blank_guid_as_none

EXTENSION = "Junction extension. "


class FieldValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    Value: str | int | float | bool
    Label: str | None = Field(None, description="Shown instead of the value; the value if none.")


class CustomFieldIn(TolerantInput):
    """A custom field as it is created or replaced (PUT sends the whole field)."""

    # What the answer adds; sent back, it is ignored.
    READ_ONLY = frozenset({"Source", "AccountConnectorId", "CreatedDate", "UpdatedDate"})

    ConnectorField: Annotated[str, Field(min_length=1, max_length=512)] = Field(
        description="Where the value sits, e.g. [orders].priority_level."
    )
    SystemField: Identifier | None = Field(
        None, description="The name mappings use; the ConnectorField if none."
    )
    DisplayName: str | None = Field(None, max_length=255)
    Description: str | None = None
    DataType: FieldType = FieldType.TEXT
    DataTypeFormat: str | None = Field(None, max_length=64, description="For DateTime.")
    EntityIdentifier: bool = Field(False, description="Response fields: the item's id.")
    MethodUniqueIdentifier: Identifier | None = Field(
        None, description="The method the field belongs to; every method of the connector if none."
    )
    ForRequestFormat: bool = Field(
        False, description="true: a request field (sent); false: a response field (read)."
    )
    DefaultValue: str | None = None
    IsOptional: bool = True
    IsReadOnly: bool = Field(False, description=EXTENSION + "Request fields: kept, but never sent.")
    IsHidden: bool = Field(
        False,
        description=EXTENSION + "Request fields: not offered for mapping; sent with DefaultValue.",
    )
    FieldValues: list[FieldValue] = Field(
        default_factory=list, description=EXTENSION + "The values the field may take."
    )
    Id: int | None = Field(None, description="Accepted and ignored (clients send it back).")

    @field_validator("EntityIdentifier", mode="before")
    @classmethod
    def _null_is_false(cls, value: Any) -> Any:
        # Cyclr answers null for a field that identifies nothing.
        return False if value is None else value

    @field_validator("MethodUniqueIdentifier", mode="before")
    @classmethod
    def _zero_guid_is_none(cls, value: Any) -> Any:
        # Cyclr answers the all-zero GUID for a field of every method.
        return blank_guid_as_none(value)


class CustomFieldOut(BaseModel):
    Id: int
    ConnectorField: str
    SystemField: str | None
    DisplayName: str | None
    Description: str | None
    DataType: str
    DataTypeFormat: str | None
    EntityIdentifier: bool
    MethodUniqueIdentifier: str | None
    ForRequestFormat: bool
    DefaultValue: str | None
    IsOptional: bool
    Source: str = Field(
        description=EXTENSION + "Manual (made through this API) or Lookup (found by the "
        "method's custom fields lookup, and replaced at each discovery)."
    )
    IsReadOnly: bool = Field(description=EXTENSION + "Request fields: never sent.")
    IsHidden: bool = Field(description=EXTENSION + "Request fields: not offered for mapping.")
    FieldValues: list[FieldValue] = Field(description=EXTENSION + "Allowed values, if known.")
    AccountConnectorId: int
    CreatedDate: datetime
    UpdatedDate: datetime


class DiscoveryOut(BaseModel):
    """What a discovery found and changed (Junction extension)."""

    Added: int
    Changed: int
    Removed: int
    Unchanged: int
    Fields: list[CustomFieldOut] = Field(description="The account connector's Lookup fields now.")
