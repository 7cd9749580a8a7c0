"""API shapes for tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from junction.auth.models import AccessToken


class TokenResponse(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    token_type: str
    access_token: str
    expires_in: int = Field(description="Whole seconds during which the token still works.")
    clientId: str
    issued: str = Field(alias=".issued", description="RFC 1123 date the token was issued.")
    expires: str = Field(alias=".expires", description="RFC 1123 date the token stops working.")
    scope: str | None = None


class AccessTokenOut(BaseModel):
    Id: str
    ClientId: str
    AccountId: str | None = Field(description="Set for tokens restricted to one account.")
    Scope: str
    IssuedDate: datetime
    ExpiresDate: datetime

    @classmethod
    def from_row(cls, row: AccessToken) -> AccessTokenOut:
        return cls(
            Id=row.id,
            ClientId=row.client_id,
            AccountId=row.account_id,
            Scope=f"account:{row.account_id}" if row.account_id else "partner",
            IssuedDate=row.issued_at,
            ExpiresDate=row.expires_at,
        )
