"""API shapes for account connectors (connectors installed in an account)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from junction.connectors.accounts.custom_field_schemas import CustomFieldOut
from junction.connectors.catalog.schemas import ConnectorParameterOut
from junction.tolerant import TolerantInput

# What answers show in place of stored credentials: the secret itself never leaves Junction.
# A PUT that sends this text back as AuthValue leaves the credentials as they are.
MASKED_AUTH_VALUE = "********"

NameText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PropertyIn(TolerantInput):
    READ_ONLY = frozenset({"AccountConnectorId"})  # in the answer: sent back, ignored

    Name: NameText
    Value: str | None = None
    Id: int | None = Field(None, description="Accepted and ignored (Cyclr sends it back).")


class InstallIn(_Input):
    Name: NameText | None = Field(None, description="Defaults to the connector's name.")
    Description: str | None = None
    AuthenticationId: str | None = Field(
        None, description="Which of the connector's authentications; the default one if omitted."
    )
    AuthValue: str | None = Field(
        None,
        description="API key as text; Basic as base64 'user:password'; OAuth2 as JSON "
        '{"AccessToken","RefreshToken","Expires"}; AuthFields as a JSON object by Key.',
    )
    Properties: list[PropertyIn] = Field(default_factory=list)


class AccountConnectorUpdate(TolerantInput):
    """Partial: omitted fields stay. AuthValue (re)authenticates."""

    # READ_ONLY: every field of AccountConnectorOut (set below), so that a GET body sent
    # back as the PUT is read; the fields a PUT sets are read as ever.

    Name: NameText | None = None
    Description: str | None = None
    AuthenticationId: str | None = None
    AuthValue: str | None = None
    Properties: list[PropertyIn] | None = Field(
        None,
        description="A sensitive property sent with a null Value (as answers show it) keeps "
        "its value.",
    )
    Id: int | None = Field(None, description="Accepted and ignored.")


class PropertyOut(BaseModel):
    Id: int
    Name: str
    Value: str | None = Field(description="Sensitive values are never shown.")
    AccountConnectorId: int


class TriggerOut(BaseModel):
    Name: str = Field(description="Run it with POST .../triggers/{Name}.")
    MethodUniqueIdentifier: str
    IdentifierKey: str
    HumanReadableKey: str


class ConnectorSummary(BaseModel):
    Id: int
    Name: str
    Version: str
    Description: str | None
    Status: str = Field(description="Approved (a Live release), Draft or Deprecated.")
    Icon: str | None
    AuthDescription: str | None
    AuthType: str
    OAuth2Type: str | None
    AuthScheme: str | None
    Triggers: list[TriggerOut] = Field(description="The connector's look-up triggers.")
    Parameters: list[ConnectorParameterOut] = Field(
        description="The connector's parameters, as GET /connectors lists them."
    )


class AccountConnectorOut(BaseModel):
    Id: int
    Name: str
    Description: str | None
    AuthValue: str | None = Field(
        description=f"'{MASKED_AUTH_VALUE}' when credentials are stored, else null; "
        "never the credentials themselves."
    )
    AuthenticationId: str | None
    Authenticated: bool
    AuthError: str | None = Field(description="Junction extension: why it is unauthenticated.")
    Connector: ConnectorSummary
    IsPartnerIntegrationConnector: bool = Field(
        description="Always false: Junction has no partner integration connectors."
    )
    Properties: list[PropertyOut]
    CustomFields: list[CustomFieldOut]
    CreatedDate: datetime


AccountConnectorUpdate.READ_ONLY = frozenset(AccountConnectorOut.model_fields)
