"""Client credential sets and the access tokens issued to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from junction.db.base import Base
from junction.db.types import UTCDateTime


class ClientCredential(Base):
    __tablename__ = "client_credentials"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Sealed with the keyring (key id beside the ciphertext); never stored in the clear.
    secret_sealed: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccessToken(Base):
    __tablename__ = "access_tokens"

    # A public handle for listing and revoking; the token itself is only kept as a hash.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("client_credentials.client_id", ondelete="CASCADE"), index=True
    )
    # Set for tokens requested with scope=account:{Id}; they die with the account.
    account_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
