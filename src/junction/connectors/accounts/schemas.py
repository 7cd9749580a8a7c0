"""API shapes for account connectors (connectors installed in an account)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

NameText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PropertyIn(_Input):
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


class AccountConnectorUpdate(_Input):
    """Partial: omitted fields stay. AuthValue (re)authenticates."""

    Name: NameText | None = None
    Description: str | None = None
    AuthenticationId: str | None = None
    AuthValue: str | None = None
    Properties: list[PropertyIn] | None = None
    Id: int | None = Field(None, description="Accepted and ignored.")


class PropertyOut(BaseModel):
    Id: int
    Name: str
    Value: str | None = Field(description="Sensitive values are never shown.")
    AccountConnectorId: int


class ConnectorSummary(BaseModel):
    Id: int
    Name: str
    Version: str
    Description: str | None
    Icon: str | None
    AuthType: str


class AccountConnectorOut(BaseModel):
    Id: int
    Name: str
    Description: str | None
    AuthenticationId: str | None
    Authenticated: bool
    AuthError: str | None = Field(description="Junction extension: why it is unauthenticated.")
    Connector: ConnectorSummary
    Properties: list[PropertyOut]
    CreatedDate: datetime
